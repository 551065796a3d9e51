import type { JetStreamClient } from '@nats-io/jetstream';
import {
  dedupIds,
  kindByName,
  RETRYABLE_CODES,
  SUBJECTS,
  type DecisionMessage,
  type ErrorCode,
  type OutcomePayload,
  type RequestMessage,
} from '@jangar/contracts';
import { DomainError, faultPoint, publish, type Logger } from '@jangar/service-kit';
import type { PublishedMarks } from './deliveries/published-marks.js';
import { answerOfAttempt, type DeliveryStore, type StoredResponse } from './deliveries/store.js';
import type { OutcomeWaiter } from './outcomes.js';
import { problemFor } from './problems.js';
import { Recent } from './recent.js';
import { responseForHold, responseForOutcome, responseForProblem } from './responses.js';

/** What this replica remembers of the answers it stored (the oldest are forgotten first). */
const STORED_HERE_LIMITS = { entries: 10_000, bytes: 32 * 1024 * 1024, ageMs: 60_000 };

/** Publishes accepted requests and turns their outcomes into stored answers. */
export class RequestPublisher {
  /** Attempts whose answer this replica is storing or stored lately, with that answer. */
  private readonly storedHere = new Recent<Promise<StoredResponse | undefined>>(STORED_HERE_LIMITS);

  constructor(
    private readonly js: JetStreamClient,
    private readonly deliveries: DeliveryStore,
    private readonly marks: PublishedMarks,
    private readonly waiter: OutcomeWaiter,
    private readonly logger: Logger,
  ) {}

  /** Publishes with the request key as dedup ID; a duplicate PubAck is as good as a first one. */
  async publish(message: RequestMessage): Promise<void> {
    const kind = kindByName(message.payload.kind);
    if (!kind) throw new Error(`unknown kind ${message.payload.kind}`);
    try {
      const ack = await publish(
        this.js,
        SUBJECTS.request,
        { kind: kind.token, verb: message.payload.verb },
        message,
        dedupIds.request(message.requestKey, message.attempt),
      );
      if (ack.duplicate) this.logger.debug({ requestKey: message.requestKey }, 'request was already on the stream');
    } catch (err) {
      // The client refuses a message over the server's max_payload before sending it: no retry can help.
      if (err instanceof Error && err.name === 'InvalidArgumentError' && err.message.includes('max_payload')) {
        throw new DomainError('payload_too_large', 'the request is larger than the message bus takes', { cause: err });
      }
      throw new DomainError('unavailable', 'the message bus did not accept the request; retry with the same deliveryId', { cause: err });
    }
    // Not awaited: the mark only steers the recovery sweep, and a mark lost in a crash makes the
    // sweep publish again under the same dedup ID (see published-marks.ts).
    this.marks.add(message.requestKey, message.attempt);
  }

  /** Publishes, then waits up to `waitMs` for the stored answer; with no wait, nothing listens for it. */
  async publishAndWait(message: RequestMessage, waitMs: number): Promise<StoredResponse | undefined> {
    if (waitMs <= 0) {
      await this.publish(message);
      faultPoint('gateway.after-publish');
      return undefined;
    }
    const key = message.requestKey;
    const wait = this.waiter.expect(key, message.attempt, async () => {
      const row = await this.deliveries.get(key);
      return row ? answerOfAttempt(row, message.attempt) : undefined;
    });
    try {
      await this.publish(message);
    } catch (err) {
      await wait(0); // releases the waiter registered above
      throw err;
    }
    faultPoint('gateway.after-publish');
    const got = await wait(waitMs);
    if (got === undefined || 'body' in got) return got;
    return this.record(key, got.attempt, got.payload);
  }

  /**
   * Stores an attempt's outcome as the gateway's answer: final, or — for a retryable rejection —
   * kept only as this attempt's answer, so the next retry is decided again.
   */
  async record(requestKey: string, attempt: number, outcome: OutcomePayload): Promise<StoredResponse | undefined> {
    const { stored, storedHere, response } = await this.store(requestKey, attempt, outcome);
    if (stored || storedHere) return response;
    // Another path stored an answer first (the durable consumer, another replica): that one stands,
    // a retryable one included, as long as the row is still at this attempt.
    const row = await this.deliveries.get(requestKey);
    return row ? answerOfAttempt(row, attempt) : undefined;
  }

  /**
   * Stores an attempt's outcome as {@link record} does, for a caller that does not need the answer
   * back. Every outcome comes twice — to the waiting request and to the durable consumer — and
   * with one replica both land here: an attempt this replica stored already costs no statement.
   * The copies need not be equal: a provisioner redelivered after a crash publishes again from the
   * object as it is by then, and a plain subscription sees that copy too. So `response` is always
   * the answer stored: `stored`, this call wrote it; `storedHere`, this replica wrote it before.
   */
  async store(
    requestKey: string,
    attempt: number,
    outcome: OutcomePayload,
  ): Promise<{ stored: boolean; storedHere: boolean; response: StoredResponse }> {
    const key = `${requestKey}#${attempt}`;
    // The two copies usually arrive within a millisecond, so the second waits for the first's write.
    // Looked up synchronously: a copy arriving while this one writes must find the write in flight.
    const inFlight = this.storedHere.get(key);
    const earlier = inFlight && (await inFlight);
    if (earlier) return { stored: false, storedHere: true, response: earlier };
    const response = responseForOutcome(outcome);
    const writing = (async () => {
      if (!isRetryable(outcome)) {
        return this.deliveries.complete(requestKey, attempt, response, outcome.result === 'applied' ? outcome.resource : undefined);
      }
      return this.deliveries.markRetryable(requestKey, attempt, response);
    })();
    // Remembered only once it stored: a failed or losing write leaves nothing to skip.
    const stored = writing.then(
      (wrote) => (wrote ? response : undefined),
      () => undefined,
    );
    this.storedHere.set(key, stored, response.body.length);
    if (!(await stored)) this.storedHere.forget(key, stored);
    return { stored: await writing, storedHere: false, response };
  }

  /** Stores the 202 of a request a `pending` decision holds for approval. */
  async recordHold(m: DecisionMessage): Promise<void> {
    const response = responseForHold(m);
    if (response) await this.deliveries.markAwaiting(m.requestKey, m.attempt, response);
  }

  /**
   * Re-publishes requests claimed but never published (a crash hit between the two); returns how
   * many it published. One row that fails does not hold up the rest: the oldest come first, so a
   * row no publish can carry would otherwise stop every replica's sweep for good. Such a row (too
   * large for the bus, claimed before the gateway checked sizes) gets its refusal as its answer.
   */
  async sweepUnpublished(olderThanMs: number): Promise<number> {
    const rows = await this.deliveries.unpublished(olderThanMs);
    let published = 0;
    for (const row of rows) {
      try {
        await this.publish(row.message);
        published++;
      } catch (err) {
        if (err instanceof DomainError && err.code === 'payload_too_large') {
          await this.deliveries.complete(row.requestKey, row.attempt, responseForProblem(problemFor(err.code, err.message)), undefined);
          this.logger.warn({ requestKey: row.requestKey }, 'a claimed request is too large for the message bus; answered 413');
        } else {
          this.logger.warn({ err, requestKey: row.requestKey }, 'could not publish a claimed request; the next sweep tries again');
        }
      }
    }
    if (published > 0) this.logger.info({ count: published }, 'recovered unpublished requests');
    return published;
  }
}

/** True for a rejection that says "not now": a retry with the same deliveryId is decided again. */
export function isRetryable(outcome: OutcomePayload): boolean {
  return outcome.result === 'rejected' && RETRYABLE_CODES.includes(outcome.error.code as ErrorCode);
}
