/**
 * Tombstones: the object a delete request is about to remove, kept on the bus per request. A
 * provisioner that dies after the delete but before publishing the outcome is redelivered the
 * request and finds nothing to delete; without a tombstone it could only answer `not_found`, and
 * the client's retry would read a 404 for a delete that succeeded. A tombstone says this request
 * removed the object, and what the object was, so the redelivery answers as the first attempt
 * would have. One message per request on its own subject (`max_msgs_per_subject` 1, dropped with
 * the stream's retention); nothing consumes them, a redelivery reads one back by subject.
 */
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { dedupIds, SUBJECTS, TombstoneMessage, type KubeObject } from '@jangar/contracts';
import { publish, sha256 } from '@jangar/service-kit';

/** The subject token of a request's tombstone: its key hashed, since a deliveryId may hold any character. */
const paramsOf = (requestKey: string) => ({ request: sha256(requestKey) });

export class Tombstones {
  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
  ) {}

  /**
   * Records that `requestKey` is deleting `object` (`cancelling`: is about to cancel the run before
   * deleting it); resolves once the stream has it. Each stage is recorded once per request.
   */
  async record(requestKey: string, object: KubeObject, stage?: 'cancelling'): Promise<void> {
    const message: TombstoneMessage = { requestKey, deletedAt: new Date().toISOString(), object };
    await publish(this.js, SUBJECTS.tombstone, paramsOf(requestKey), message, dedupIds.tombstone(requestKey, stage));
  }

  /** The object `requestKey` deleted, if it recorded one. */
  async find(requestKey: string): Promise<KubeObject | undefined> {
    const stored = await this.jsm.streams.getMessage(SUBJECTS.tombstone.stream, {
      last_by_subj: SUBJECTS.tombstone.subject(paramsOf(requestKey)),
    });
    if (!stored) return undefined;
    const parsed = TombstoneMessage.safeParse(stored.json());
    return parsed.success && parsed.data.requestKey === requestKey ? parsed.data.object : undefined;
  }
}
