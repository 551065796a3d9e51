import { isTerminalPhase, JANGAR_LABELS, kindByName, type KubeObject, type OutcomeMessage, type RunStatusMessage } from '@jangar/contracts';
import type { Logger } from '@jangar/service-kit';
import type { ReadCurrent } from '../subject.js';
import type { HeldSlot, SlotStore } from './store.js';

/**
 * How long a slot whose run was admitted but never created keeps its place. Its create is
 * normally answered within seconds (an outcome releases the slot or marks the run created), so one
 * still unanswered after an hour is taken to be lost (a message terminated as malformed, say), and
 * its place goes back to the namespace instead of leaking forever.
 */
export const UNCREATED_SLOT_MAX_MS = 60 * 60 * 1000;

/** A run that ended frees its slot (learned from the run-status subjects); returns the slot's namespace when it held one. */
export async function releaseEndedRun(slots: SlotStore, m: RunStatusMessage): Promise<string | undefined> {
  const run = m.payload.run;
  return isTerminalPhase(run.phase)
    ? slots.releaseRun({ id: run.id, kind: run.type, namespace: run.namespace, name: run.name })
    : undefined;
}

/**
 * What the outcome of an admitted create means for its slot: rejected after all, the run never
 * started, so its slot is released and its Budget charges given back, while it keeps its place in
 * the rate window (returns its namespace when it held one); applied, the run exists, so from now
 * on its absence means it is gone.
 */
export async function settleCreated(slots: SlotStore, m: OutcomeMessage): Promise<string | undefined> {
  // Only runs take slots: the creates of every other kind come through here too, and need no statement.
  if (!kindByName(m.payload.kind)?.isRun) return undefined;
  // An earlier attempt's refusal, handled late, is not about the slot a retry of it took since.
  if (m.payload.result === 'rejected') return slots.giveBackRefused(m.requestKey, m.attempt);
  await slots.markCreated(m.requestKey, m.attempt);
  return undefined;
}

/**
 * Whether a held slot's run is over, from the object now under its name (undefined: none). A run
 * that is missing or replaced by another run under its name is over only once it was created — an
 * admitted run is missing until the provisioner creates it, however long a backlog makes that take.
 */
export function slotRunIsOver(held: HeldSlot, current: KubeObject | undefined): boolean {
  // A slot from before run ids were kept cannot tell its run from another of the same name.
  const existed = held.created || held.runId === null;
  const replaced = held.runId !== null && current !== undefined && current.metadata.labels?.[JANGAR_LABELS.id] !== held.runId;
  if (current === undefined || replaced) return existed || held.ageMs > UNCREATED_SLOT_MAX_MS;
  return isTerminalPhase((current.status as { phase?: string } | undefined)?.phase);
}

/** Where a slot reconciler goes on: the request key of the last slot it checked, if its walk is under way. */
export interface ReconcileCursor {
  after?: string;
}

/**
 * Releases slots whose run is gone or ended without the policy service hearing of it (a status
 * message lost past retention, a run deleted behind Jangar's back). Checks the next `pageSize`
 * slots held longer than `olderThanMs` against the cluster, one read each, from where the last
 * pass stopped (`cursor`), and starts over once it has walked them all: every held slot is checked
 * in turn, however many long-running runs hold the first ones. Returns the namespace of each slot
 * it released.
 */
export async function reconcileSlots(
  slots: SlotStore,
  readCurrent: ReadCurrent,
  opts: { olderThanMs: number; cursor?: ReconcileCursor; pageSize?: number; logger?: Logger },
): Promise<string[]> {
  const { cursor = {}, pageSize = 500 } = opts;
  const released: string[] = [];
  const page = await slots.heldSince(opts.olderThanMs, pageSize, cursor.after);
  cursor.after = page.length < pageSize ? undefined : page.at(-1)!.requestKey;
  for (const held of page) {
    const kind = kindByName(held.kind);
    if (!kind) continue;
    try {
      if (!slotRunIsOver(held, await readCurrent(kind, held.namespace, held.name))) continue;
      const namespace = await slots.releaseRequest(held.requestKey);
      if (namespace) released.push(namespace);
    } catch (err) {
      // One slot whose run cannot be read (forbidden, unreadable) must not keep the rest of its page from being checked.
      opts.logger?.warn({ err, requestKey: held.requestKey }, 'could not check a held slot against the cluster; the next walk tries again');
    }
  }
  return released;
}
