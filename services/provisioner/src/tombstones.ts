/**
 * Tombstones: the object a delete request is about to remove, kept on the bus per request. A
 * provisioner that dies after the delete but before publishing the outcome is redelivered the
 * request and finds nothing to delete; without a tombstone it could only answer `not_found`, and
 * the client's retry would read a 404 for a delete that succeeded. A tombstone says this request
 * removed the object, and what the object was, so the redelivery answers as the first attempt
 * would have. One message per request on its own subject (`max_msgs_per_subject` 1, dropped with
 * the stream's retention); nothing consumes them, a redelivery reads one back by subject.
 *
 * A delete also records a removal under the create that made the object (by the object's delivery
 * label): a create redelivered after the delete, its ack lost to a crash, would otherwise find no
 * object of its name and make the run again, a second side effect of one request.
 */
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { dedupIds, JANGAR_LABELS, SUBJECTS, TombstoneMessage, type KubeObject } from '@jangar/contracts';
import { deliveryLabelValue, publish, sha256 } from '@jangar/service-kit';

/** The subject token of a request's tombstone: its key hashed, since a deliveryId may hold any character. */
const paramsOf = (requestKey: string) => ({ request: sha256(requestKey) });

/** The key a removal is kept under: the delivery label of the create that made the object. */
export const removalKey = (deliveryLabel: string) => `removed:${deliveryLabel}`;

/**
 * The request a tombstone belongs to: its key, and its id. A deliveryId the gateway has forgotten
 * (past `JANGAR_IDEMPOTENCY_RETENTION_HOURS`) may come back as a new request with the same key and
 * another id; an older request's tombstone is not that one's.
 */
export interface TombstoneOwner {
  key: string;
  id?: string;
}

/** Whether a stored tombstone is `owner`'s: same key, and no other request id. */
export function belongsTo(stored: TombstoneMessage, owner: TombstoneOwner): boolean {
  return stored.requestKey === owner.key && (stored.requestId === undefined || owner.id === undefined || stored.requestId === owner.id);
}

export class Tombstones {
  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
  ) {}

  /**
   * Records that `requestKey` is deleting `object` (`cancelling`: is about to cancel the run before
   * deleting it); resolves once the stream has it. Each stage is recorded once per request.
   */
  async record(owner: TombstoneOwner, object: KubeObject, stage?: 'cancelling'): Promise<void> {
    const message: TombstoneMessage = {
      requestKey: owner.key,
      ...(owner.id === undefined ? {} : { requestId: owner.id }),
      deletedAt: new Date().toISOString(),
      object,
    };
    await publish(this.js, SUBJECTS.tombstone, paramsOf(owner.key), message, dedupIds.tombstone(owner.key, stage));
  }

  /** Records that `object` is being deleted, under the create that made it; an object Jangar did not create has none. */
  async recordRemoval(object: KubeObject): Promise<void> {
    const label = object.metadata.labels?.[JANGAR_LABELS.delivery];
    if (label !== undefined) await this.record({ key: removalKey(label) }, object);
  }

  /** The object the create `requestKey` made, if a delete removed it since. */
  async removalOf(requestKey: string): Promise<KubeObject | undefined> {
    return this.find({ key: removalKey(deliveryLabelValue(requestKey)) });
  }

  /** The object `owner` deleted, if it recorded one. */
  async find(owner: TombstoneOwner): Promise<KubeObject | undefined> {
    const stored = await this.jsm.streams.getMessage(SUBJECTS.tombstone.stream, {
      last_by_subj: SUBJECTS.tombstone.subject(paramsOf(owner.key)),
    });
    if (!stored) return undefined;
    const parsed = TombstoneMessage.safeParse(stored.json());
    return parsed.success && belongsTo(parsed.data, owner) ? parsed.data.object : undefined;
  }
}
