import { pino } from 'pino';
import { z } from 'zod';
import { startKubeDev } from './kube-dev.js';
import { writeKubeconfig } from './kubeconfig.js';

// An exported-but-empty variable means "unset", as shells and compose files often produce.
const optional = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema);

const Env = z.object({
  KUBE_DEV_PORT: optional(z.coerce.number().int().min(0).max(65535).default(0)),
  KUBE_DEV_HOST: optional(z.string().default('127.0.0.1')),
  KUBE_DEV_STATE_FILE: optional(z.string().optional()),
  KUBE_DEV_KUBECONFIG: optional(z.string().optional()),
  // The address clients use when it is not the one the server binds (a container's service name).
  KUBE_DEV_PUBLIC_URL: optional(z.string().url().optional()),
  JANGAR_SIM_STEP_MS: optional(z.coerce.number().int().positive().default(300)),
  JANGAR_SIM_DISABLED: optional(z.enum(['1', 'true', '0', 'false']).default('false')),
  // Set by the stack that spawned it: stdin is a pipe from the launcher, and its end means the launcher died.
  JANGAR_EXIT_WITH_PARENT: optional(z.enum(['0', '1']).default('0')),
});

const logger = pino({ name: 'kube-dev' });
const env = Env.parse(process.env);
const kubeDev = await startKubeDev({
  port: env.KUBE_DEV_PORT,
  host: env.KUBE_DEV_HOST,
  stateFile: env.KUBE_DEV_STATE_FILE,
  simulate: env.JANGAR_SIM_DISABLED === '1' || env.JANGAR_SIM_DISABLED === 'true' ? false : { stepMs: env.JANGAR_SIM_STEP_MS },
  logger,
});
if (env.KUBE_DEV_KUBECONFIG) await writeKubeconfig(env.KUBE_DEV_KUBECONFIG, env.KUBE_DEV_PUBLIC_URL ?? kubeDev.url);
logger.info(
  { url: kubeDev.url, port: kubeDev.port, kubeconfig: env.KUBE_DEV_KUBECONFIG, stateFile: env.KUBE_DEV_STATE_FILE },
  'kube-dev ready',
);

let shuttingDown = false;
const shutdown = (signal: NodeJS.Signals | 'launcher exited'): void => {
  if (shuttingDown) return;
  shuttingDown = true;
  logger.info({ signal }, 'kube-dev shutting down');
  kubeDev.close().then(
    () => process.exit(0),
    (err: unknown) => {
      logger.error({ err }, 'kube-dev failed to close cleanly');
      process.exit(1);
    },
  );
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
if (env.JANGAR_EXIT_WITH_PARENT === '1') {
  const launcherExited = () => shutdown('launcher exited');
  process.stdin.once('end', launcherExited).once('close', launcherExited).once('error', launcherExited).resume();
}
