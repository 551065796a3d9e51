import { kindByName, type OutcomeMessage, type RunStatusMessage } from '@jangar/contracts';
import { isTerminal } from '../concurrency.js';
import type { ReadCurrent } from '../subject.js';
import type { SlotStore } from './store.js';

/** A run that ended frees its slot (learned from the run-status subjects); returns the slot's namespace when it held one. */
export async function releaseEndedRun(slots: SlotStore, m: RunStatusMessage): Promise<string | undefined> {
  const run = m.payload.run;
  return isTerminal(run.phase) ? slots.releaseRun(run.type, run.namespace, run.name) : undefined;
}

/** A create the policy admitted but the provisioner then rejected never started: its slot is free (returns its namespace when it held one). */
export async function releaseRejected(slots: SlotStore, m: OutcomeMessage): Promise<string | undefined> {
  return m.payload.result === 'rejected' ? slots.releaseRequest(m.requestKey) : undefined;
}

/**
 * Releases slots whose run is gone or ended without the policy service hearing of it (a status
 * message lost past retention, a run deleted behind Jangar's back). Runs slots held longer than
 * `olderThanMs` past the cluster; returns the namespace of each slot it released.
 */
export async function reconcileSlots(slots: SlotStore, readCurrent: ReadCurrent, olderThanMs: number): Promise<string[]> {
  const released: string[] = [];
  for (const held of await slots.heldSince(olderThanMs)) {
    const kind = kindByName(held.kind);
    if (!kind) continue;
    const run = await readCurrent(kind, held.namespace, held.name);
    const phase = (run?.status as { phase?: string } | undefined)?.phase;
    if (!run || isTerminal(phase)) {
      const namespace = await slots.releaseRun(held.kind, held.namespace, held.name);
      if (namespace) released.push(namespace);
    }
  }
  return released;
}
