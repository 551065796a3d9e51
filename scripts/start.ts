/**
 * `npm start`: runs the launcher (scripts/launch.ts) in a session of its own and passes it the
 * signals this process gets.
 *
 * Ctrl-C signals the terminal's whole foreground process group. Were the launcher's children in it,
 * the services would drain on SIGINT while the launcher stops Postgres and nats-server under them,
 * and then get the launcher's SIGTERM as a second signal. In a session of its own only the launcher
 * hears the terminal, through this process, and stops the services first, then the servers.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const launcher = spawn(
  process.execPath,
  [...process.execArgv, fileURLToPath(new URL('./launch.ts', import.meta.url)), ...process.argv.slice(2)],
  {
    detached: true,
    // A pipe to stdin that ends when this process dies, however it dies: the launcher then stops everything.
    stdio: ['pipe', 'inherit', 'inherit'],
    env: { ...process.env, JANGAR_EXIT_WITH_PARENT: '1' },
  },
);
launcher.stdin?.on('error', () => undefined);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (launcher.exitCode === null && launcher.signalCode === null) launcher.kill(signal);
  });
}
launcher.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
launcher.on('error', (err) => {
  console.error(`Jangar: could not run the launcher: ${err.message}`);
  process.exit(1);
});
