import type { RunBinding, RunProviderStatus } from '@jangar/contracts';

/** A run whose binding names a provider served by a polling source, as the source needs it. */
export interface BoundRun {
  /** The run's uid: the key of the answer. */
  key: string;
  namespace: string;
  name: string;
  /** The run's own `status.phase`, if it has one. */
  phase?: string | undefined;
  binding: RunBinding;
}

/**
 * Where the state of a provider without Kubernetes objects (Temporal) comes from: its API, asked
 * every `intervalMs` about the runs bound to `provider`. A run missing from the answer was not
 * answered (not found, or the API failed) and keeps the state it had; a source logs its own
 * failures and never throws for them.
 */
export interface PollingStatusSource {
  /** The binding provider it serves (`binding.provider`). */
  readonly provider: string;
  readonly intervalMs: number;
  poll(runs: readonly BoundRun[], signal: AbortSignal): Promise<Map<string, RunProviderStatus>>;
}
