import { kindByName, type OutcomeMessage, type RunStatusMessage } from '@jangar/contracts';
import { isTerminal } from '../concurrency.js';
import type { ReadCurrent } from '../subject.js';
import type { SlotStore } from './store.js';

/** A run that ended frees its slot (learned from the run-status subjects); true when it held one. */
export async function releaseEndedRun(slots: SlotStore, m: RunStatusMessage): Promise<boolean> {
  const run = m.payload.run;
  return isTerminal(run.phase) ? slots.releaseRun(run.type, run.namespace, run.name) : false;
}

/** A create the policy admitted but the provisioner then rejected never started: its slot is free (true when it held one). */
export async function releaseRejected(slots: SlotStore, m: OutcomeMessage): Promise<boolean> {
  return m.payload.result === 'rejected' ? slots.releaseRequest(m.requestKey) : false;
}

/**
 * Releases slots whose run is gone or ended without the policy service hearing of it (a status
 * message lost past retention, a run deleted behind Jangar's back). Runs slots held longer than
 * `olderThanMs` past the cluster.
 */
export async function reconcileSlots(slots: SlotStore, readCurrent: ReadCurrent, olderThanMs: number): Promise<number> {
  let released = 0;
  for (const held of await slots.heldSince(olderThanMs)) {
    const kind = kindByName(held.kind);
    if (!kind) continue;
    const run = await readCurrent(kind, held.namespace, held.name);
    const phase = (run?.status as { phase?: string } | undefined)?.phase;
    if (!run || isTerminal(phase)) {
      if (await slots.releaseRun(held.kind, held.namespace, held.name)) released++;
    }
  }
  return released;
}
