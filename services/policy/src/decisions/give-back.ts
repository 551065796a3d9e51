import type { Logger } from '@jangar/service-kit';
import type { QueueState, RequestMessage } from '@jangar/contracts';
import type { QueueRow, QueueStore } from '../queue/store.js';
import type { SlotStore } from '../slots/store.js';
import type { DecisionStore, KeptDecision } from './store.js';

interface GiveBackDeps {
  slots: Pick<SlotStore, 'releaseUnlessDequeued'>;
  queue: Pick<QueueStore, 'settleUnleased'>;
}

type KeepDeps<M extends keyof DecisionStore, Q extends keyof QueueStore = never> = Omit<GiveBackDeps, 'queue'> & {
  queue: Pick<QueueStore, 'settleUnleased' | Q>;
  decisions: Pick<DecisionStore, M>;
  logger: Logger;
  onSlotReleased?: (namespace: string) => void;
};

/** Whether a decision lets its run start now: allowed, with no rejection. */
export const admits = (d: KeptDecision) => d.decision.verdict === 'allow' && !d.error;

/**
 * Gives back what this replica's admission of an attempt took when another replica decided the
 * same attempt first (both handled one redelivered message at once): the standing decision is the
 * one published, so a slot taken for a run it refuses or queues, and a queue entry it never made,
 * would otherwise stay — the slot until the reconciler's hour, the entry to be admitted a second
 * time. Returns the namespace of a slot given back.
 */
export async function giveBackLostAdmission(
  requestKey: string,
  ours: KeptDecision,
  standing: KeptDecision,
  deps: GiveBackDeps,
): Promise<string | undefined> {
  const queued = ours.decision.queue;
  // A drainer trying the entry now finds the standing decision kept (tryQueued) or loses to it
  // (keepSettling), and lets the entry go as it says.
  if (queued?.state === 'Queued' && standing.decision.queue?.id !== queued.id) {
    await deps.queue.settleUnleased(queued.id, admits(standing) ? 'Admitted' : 'Rejected');
  }
  // Both admitted: they took one slot between them (a slot is the request key's). Queued by the
  // standing decision, the run may be leaving the queue on this very slot.
  if (admits(ours) && !admits(standing)) return deps.slots.releaseUnlessDequeued(requestKey);
  return undefined;
}

/**
 * Keeps `ours` as the first decision of a fresh request's attempt and returns the decision that
 * stands: ours, or another replica's, in which case what ours took is given back first.
 */
export async function keepFirst(
  message: Pick<RequestMessage, 'requestKey' | 'attempt'>,
  ours: KeptDecision,
  deps: KeepDeps<'keep'>,
): Promise<KeptDecision> {
  return givenBackUnlessStands(message, ours, await deps.decisions.keep(message.requestKey, message.attempt, ours), deps);
}

/**
 * Keeps `ours`, the decision that settles an attempt held in the queue (`entry`, being tried) or
 * for approval, in place of the `pending` one kept while it was held; returns the decision that
 * stands. Another final decision of the attempt may stand already: another replica's, kept after
 * the drainer read none (the replica that queued the run died before keeping its `pending`, and a
 * redelivery was refused), or an earlier try's, whose entry a crash left waiting. Publishing ours
 * too would answer the attempt twice — a refusal for its client, and a run. So the entry leaves the
 * queue as the standing decision says, what ours took is given back, and that decision is the one
 * to publish.
 */
export async function keepSettling(
  message: Pick<RequestMessage, 'requestKey' | 'attempt'>,
  ours: KeptDecision,
  deps: KeepDeps<'settle', 'settle'>,
  entry?: Pick<QueueRow, 'id' | 'attempt'>,
): Promise<KeptDecision> {
  const standing = await deps.decisions.settle(message.requestKey, message.attempt, ours);
  if (standing === ours) return ours;
  // Settling replaces a pending decision; one standing against it was kept by a version that settles otherwise.
  if (standing.decision.verdict === 'pending') throw new Error(`a pending decision of ${message.requestKey} stood against its settling`);
  // Settled first: while this drainer's lease holds the entry, the slot counts as its run's.
  if (entry) await deps.queue.settle(entry, leavesAs(standing, entry));
  return givenBackUnlessStands(message, ours, standing, deps);
}

/**
 * How queue entry `entry` leaves the queue by final decision `standing`: as the decision says when
 * it settled this very entry (an expiry is `Expired`), else admitted or rejected by its verdict.
 */
export function leavesAs(standing: KeptDecision, entry: Pick<QueueRow, 'id'>): Exclude<QueueState, 'Queued'> {
  const settled = standing.decision.queue;
  if (settled?.id === entry.id && settled.state !== 'Queued') return settled.state;
  return admits(standing) ? 'Admitted' : 'Rejected';
}

/** `ours` when it stands; else the standing decision, once what ours took is given back. */
async function givenBackUnlessStands(
  message: Pick<RequestMessage, 'requestKey' | 'attempt'>,
  ours: KeptDecision,
  standing: KeptDecision,
  deps: KeepDeps<never>,
): Promise<KeptDecision> {
  if (standing === ours) return ours;
  const freed = await giveBackLostAdmission(message.requestKey, ours, standing, deps);
  deps.logger.info(
    { requestKey: message.requestKey, attempt: message.attempt, freed },
    'a decision of this attempt kept first stands; publishing it instead of this one',
  );
  if (freed) deps.onSlotReleased?.(freed);
  return standing;
}
