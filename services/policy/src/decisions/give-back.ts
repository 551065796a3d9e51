import type { Logger } from '@jangar/service-kit';
import type { RequestMessage } from '@jangar/contracts';
import type { QueueStore } from '../queue/store.js';
import type { SlotStore } from '../slots/store.js';
import type { DecisionStore, KeptDecision } from './store.js';

interface GiveBackDeps {
  slots: Pick<SlotStore, 'releaseUnlessDequeued'>;
  queue: Pick<QueueStore, 'settleUnleased'>;
}

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
  // A drainer trying the entry now finds the standing decision kept (tryQueued) and lets it go.
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
  deps: GiveBackDeps & { decisions: Pick<DecisionStore, 'keep'>; logger: Logger; onSlotReleased?: (namespace: string) => void },
): Promise<KeptDecision> {
  const standing = await deps.decisions.keep(message.requestKey, message.attempt, ours);
  if (standing === ours) return ours;
  const freed = await giveBackLostAdmission(message.requestKey, ours, standing, deps);
  deps.logger.info({ requestKey: message.requestKey, attempt: message.attempt, freed }, 'another replica decided this attempt first');
  if (freed) deps.onSlotReleased?.(freed);
  return standing;
}
