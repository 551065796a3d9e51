import { isTerminalPhase, type RunProviderStatus } from '@jangar/contracts';
import type { Logger } from '@jangar/service-kit';
import type { BoundRun, PollingStatusSource } from './types.js';

/** Polls a terminal run that has no answer yet this often before leaving it be. */
const FINAL_TRIES = 3;

const sameState = (a: RunProviderStatus | undefined, b: RunProviderStatus) => a?.phase === b.phase && a.message === b.message;

/** The latest state a {@link PollingStatusSource} reported per run, kept current by polling. */
export interface StatusPoller {
  start(): void;
  stop(): Promise<void>;
  /** The last state polled for the run with this uid, if any. */
  stateOf(key: string): RunProviderStatus | undefined;
}

/**
 * Polls `source` every `source.intervalMs` (one round at a time, the first at once) about the runs
 * `runs()` yields, and calls `onChange` for each run whose state differs from the last one polled.
 * A run is polled until its provider state is terminal, or until it is terminal itself and has
 * been polled once more since (a few times when that poll goes unanswered), so the provider's final
 * state shows but finished runs cost nothing. A run `runs()` no longer yields is forgotten.
 */
export function pollStatuses(
  source: PollingStatusSource,
  deps: { runs: () => Iterable<BoundRun>; onChange: (run: BoundRun) => void; logger: Logger },
): StatusPoller {
  const states = new Map<string, RunProviderStatus>();
  const settled = new Set<string>();
  const finalTries = new Map<string, number>();
  const abort = new AbortController();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let round: Promise<void> | undefined;

  const tick = async () => {
    const due: BoundRun[] = [];
    const present = new Set<string>();
    for (const run of deps.runs()) {
      present.add(run.key);
      if (!settled.has(run.key)) due.push(run);
    }
    for (const key of states.keys()) if (!present.has(key)) states.delete(key);
    for (const key of settled) if (!present.has(key)) settled.delete(key);
    for (const key of finalTries.keys()) if (!present.has(key)) finalTries.delete(key);
    if (due.length === 0) return;

    const answers = await source.poll(due, abort.signal);
    if (stopped) return;
    for (const run of due) {
      const state = answers.get(run.key);
      if (state && !sameState(states.get(run.key), state)) {
        states.set(run.key, state);
        deps.onChange(run);
      }
      if (state && isTerminalPhase(state.phase)) settled.add(run.key);
      else if (isTerminalPhase(run.phase)) {
        const tries = (finalTries.get(run.key) ?? 0) + 1;
        if (state || tries >= FINAL_TRIES) {
          settled.add(run.key);
          finalTries.delete(run.key);
        } else finalTries.set(run.key, tries);
      }
    }
  };

  const schedule = (ms: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      round = tick()
        .catch((err: unknown) => deps.logger.warn({ err, provider: source.provider }, 'a status poll round failed'))
        .finally(() => {
          round = undefined;
          schedule(source.intervalMs);
        });
    }, ms);
    timer.unref();
  };

  return {
    start: () => schedule(0),
    async stop() {
      stopped = true;
      clearTimeout(timer);
      abort.abort();
      await round;
    },
    stateOf: (key) => states.get(key),
  };
}
