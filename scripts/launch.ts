/**
 * The launcher of `npm start` (run by scripts/start.ts in a session of its own): the whole control
 * plane on embedded defaults, state kept in `.jangar/`. NATS_URL, DATABASE_URL, KUBECONFIG and
 * JANGAR_TEMPORAL_URL switch each part to an external one.
 */
import path from 'node:path';
import { lockStackDir, startStack, REPO_ROOT, type Stack } from '@jangar/stack';
import { ensureUiBuilt } from './ui-build.js';

const port = Number(process.env.JANGAR_HTTP_PORT ?? 8080);
const devToken = process.env.JANGAR_DEV_TOKEN ?? 'dev';
const dataDir = process.env.JANGAR_DATA_DIR ?? path.join(REPO_ROOT, '.jangar');

console.log(`Jangar: starting the control plane (state in ${path.relative(process.cwd(), dataDir) || dataDir})`);
const abandon = new AbortController();
let lock: Awaited<ReturnType<typeof lockStackDir>> | undefined;
let stack: Stack | undefined;

const startup = (async () => {
  // Before the UI build: a second start on the directory must not rebuild packages/ui/dist under the
  // gateway of the one that runs, only to be refused after.
  lock = await lockStackDir(dataDir);
  abandon.signal.throwIfAborted();
  // A gateway pointed at another build (JANGAR_UI_DIR) does not serve this one.
  if (process.env.JANGAR_UI_DIR === undefined) {
    try {
      // Without a build the API still works; /ui then says how to build it.
      ensureUiBuilt((line) => console.log(line));
    } catch (err) {
      console.error(`The web UI could not be built; the API starts without it.\n${(err as Error).message}`);
    }
  }
  stack = await startStack({
    dataDir,
    httpPort: port,
    devToken,
    natsUrl: process.env.NATS_URL,
    databaseUrl: process.env.DATABASE_URL,
    kubeconfig: process.env.KUBECONFIG,
    temporalUrl: process.env.JANGAR_TEMPORAL_URL,
    log: (line) => console.log(line),
    lock,
    signal: abandon.signal,
  });
})();

let stopping = false;
const stop = async (code: number) => {
  if (stopping) return;
  stopping = true;
  console.log('\nJangar: stopping…');
  // Exiting mid-start would leave what had started so far (initdb, a postmaster not yet handed over)
  // running without a parent, and the lock taken: let the start end first, at its next step.
  abandon.abort(new Error('stopped during startup'));
  await startup.catch(() => undefined);
  await stack?.stop();
  await lock?.release();
  console.log('Jangar: stopped.');
  process.exit(code);
};
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
process.on('SIGHUP', () => void stop(0));
// stdin is a pipe from scripts/start.ts: its end means that process died (kill -9 included), and
// nothing else would stop this one and what it started.
if (process.env.JANGAR_EXIT_WITH_PARENT === '1') {
  const parentGone = () => void stop(0);
  process.stdin.once('end', parentGone).once('close', parentGone).once('error', parentGone).resume();
}

const started = await startup.then(
  () => true,
  (err: unknown) => {
    if (stopping) return false;
    console.error(`\nJangar did not start: ${(err as Error).message}`);
    console.error(`Logs are in ${path.join(dataDir, 'logs')}.`);
    void stop(1);
    return false;
  },
);

if (started && !stopping) {
  console.log(`
Jangar is ready at ${stack!.gatewayUrl}
Web UI: ${stack!.gatewayUrl}/ui/ (token: ${devToken})

  curl -s -H 'Authorization: Bearer ${devToken}' ${stack!.gatewayUrl}/readyz
  kubectl --kubeconfig ${path.relative(process.cwd(), stack!.kubeconfig) || stack!.kubeconfig} get agentruns -A

Logs: ${path.relative(process.cwd(), path.join(dataDir, 'logs'))}/   Press Ctrl-C to stop.`);

  // A part that dies leaves a control plane that only looks up; the stack has said which and where its log is.
  void stack!.failed.then(() => stop(1));
}
