import { waitFor } from '@jangar/devstack';

/** What a probe of a converging condition found: done or not, and a progress line for a person. */
export interface Convergence {
  done: boolean;
  line: string;
}

/**
 * Polls `probe` until it reports done or `timeoutMs` passes, printing its progress line whenever
 * it changes (at most every few seconds), and resolves with the last probe's result either way:
 * not converging is a finding to report, not a crash.
 */
export async function settle(
  what: string,
  probe: () => Promise<Convergence>,
  timeoutMs: number,
  log: (line: string) => void,
): Promise<Convergence> {
  let last: Convergence = { done: false, line: 'not probed yet' };
  let printed = '';
  let printedAt = 0;
  const show = () => {
    if (last.line === printed || Date.now() - printedAt < 3_000) return;
    log(`  … ${what}: ${last.line}`);
    printed = last.line;
    printedAt = Date.now();
  };
  await waitFor(
    what,
    async () => {
      last = await probe();
      if (!last.done) show();
      return last.done;
    },
    { timeoutMs, intervalMs: 500 },
  ).catch(() => undefined);
  log(`  ${last.done ? '✓' : '✗'} ${what}: ${last.line}`);
  return last;
}
