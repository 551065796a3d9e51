/**
 * Settings of a stack that an option sets and, when it does not, an environment variable (so
 * `npm start` can be tuned without code), else a default that the README's table documents.
 */

/** The default readiness deadline of each process, as the README documents for `JANGAR_READY_TIMEOUT_MS`. */
export const DEFAULT_READY_TIMEOUT_MS = 90_000;
/** The default pace of kube-dev's simulated runtime, as the README documents for `JANGAR_SIM_STEP_MS`. */
export const DEFAULT_SIM_STEP_MS = 300;

/** `env[name]` as a positive integer; undefined when it is unset, empty or not one. */
export function positiveIntFromEnv(name: string, env: NodeJS.ProcessEnv = process.env): number | undefined {
  const value = Number(env[name]);
  return env[name] !== undefined && env[name] !== '' && Number.isInteger(value) && value > 0 ? value : undefined;
}

/** How long each process may take to become ready: the option, else `JANGAR_READY_TIMEOUT_MS`, else 90 s. */
export function readyTimeoutMs(opts: { readyTimeoutMs?: number | undefined }, env: NodeJS.ProcessEnv = process.env): number {
  return opts.readyTimeoutMs ?? positiveIntFromEnv('JANGAR_READY_TIMEOUT_MS', env) ?? DEFAULT_READY_TIMEOUT_MS;
}

/** The simulated runtime's step: the option, else `JANGAR_SIM_STEP_MS`, else 300 ms. */
export function simStepMs(opts: { simStepMs?: number | undefined }, env: NodeJS.ProcessEnv = process.env): number {
  return opts.simStepMs ?? positiveIntFromEnv('JANGAR_SIM_STEP_MS', env) ?? DEFAULT_SIM_STEP_MS;
}
