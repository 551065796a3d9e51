/**
 * Typed publish and consume over JetStream.
 *
 * Delivery: at least once. A consumer acks only after its handler resolved, i.e. after its effect
 * is durable; a crash before the ack means redelivery after `ackWaitMs`, so every handler must be
 * idempotent on the message's dedup ID. While a message waits for a handler or is handled, the
 * replica tells JetStream it is still working on it, so the ack wait is how long a dead replica's
 * messages wait for another one, not a bound on how long a handler may take. Publishers pass a
 * dedup ID as `msgID`, so a re-publish inside the stream's duplicate window is dropped by the
 * server (`PubAck.duplicate`).
 *
 * Shutdown: `stop()` stops pulling, gives back (nak) what it fetched and no handler started, waits
 * for the handlers running (bounded), and returns; another replica takes what was given back at once,
 * and what a handler did not ack one ack wait later.
 */
import { millis, headers as natsHeaders, type NatsConnection, type Status } from '@nats-io/transport-node';
import { jetstream, type JetStreamClient, type JsMsg, type PubAck } from '@nats-io/jetstream';
import {
  MESSAGE_SCHEMA_VERSION,
  REPLAY_FOR_HEADER,
  SCHEMA_VERSION_HEADER,
  type ConsumerDefinition,
  type SubjectDefinition,
} from '@jangar/contracts';
import type { z } from 'zod';
import { findDeadLetter, park } from './dead-letters.js';
import { isDeterministicFailure } from './errors.js';
import type { Logger } from './logger.js';
import { metrics } from './metrics.js';
import { extractTrace, injectTrace, SpanKind, withSpan } from './tracing.js';

/** Publishes one message on a typed subject; the message is validated against the subject's schema first. */
export async function publish<T extends string, S extends z.ZodType>(
  js: JetStreamClient,
  def: SubjectDefinition<T, S>,
  params: Readonly<Record<T, string>>,
  message: z.input<S>,
  msgID: string,
): Promise<PubAck> {
  const subject = def.subject(params);
  const body = def.schema.parse(message);
  return withSpan(
    `publish ${def.prefix}`,
    { kind: SpanKind.PRODUCER, attributes: { 'messaging.destination': subject, 'messaging.message.id': msgID } },
    async () => {
      const h = natsHeaders();
      h.set(SCHEMA_VERSION_HEADER, String(MESSAGE_SCHEMA_VERSION));
      injectTrace(h);
      return js.publish(subject, JSON.stringify(body), { msgID, headers: h });
    },
  );
}

export interface HandlerContext {
  readonly subject: string;
  readonly deliveryCount: number;
  readonly redelivered: boolean;
  readonly log: Logger;
}

export interface Subscription {
  /** Stops pulling and waits for in-flight handlers. */
  stop(): Promise<void>;
  /** Messages handled and acked since start. */
  readonly handled: () => number;
}

/**
 * How long a replica keeps a message to itself by saying it is still working on it. A handler
 * that takes longer is stuck rather than slow (a provisioner's calls to the API server have 10 s
 * deadlines, and it makes a few), and JetStream delivers the message again one ack wait later, to
 * any replica, this one included: a duplicate, handled like any other.
 */
export const MAX_WORKING_MS = 60_000;

/** What {@link HeldMessages} needs of a message: saying "still working" on it. */
type Workable = Pick<JsMsg, 'working'>;

/**
 * The messages a replica holds, from the moment its consumer hands one over until the handler
 * settles, kept from redelivery while the replica lives: each is told "still working" (`+WPI`)
 * when it is taken, every third of the ack wait after, and again after a reconnect, since what the
 * client sends while disconnected is dropped. A message held longer than `maxMs` is let go. A
 * replica that dies says nothing more, and JetStream hands its messages on one ack wait later.
 */
export class HeldMessages {
  private readonly since = new Map<Workable, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ackWaitMs: number,
    private readonly maxMs = MAX_WORKING_MS,
  ) {}

  /** Holds `m` until the returned function is called. */
  hold(m: Workable): () => void {
    m.working();
    this.since.set(m, Date.now());
    if (!this.timer) {
      this.timer = setInterval(() => this.signal(), Math.max(50, Math.floor(this.ackWaitMs / 3)));
      this.timer.unref();
    }
    return () => this.release(m);
  }

  /** Says "still working" on every message held, letting go of those held past `maxMs`. */
  signal(): void {
    const now = Date.now();
    for (const [m, since] of this.since) {
      if (now - since < this.maxMs) m.working();
      else this.release(m);
    }
  }

  get size(): number {
    return this.since.size;
  }

  /** Lets go of every message held: nothing more is said of them. */
  clear(): void {
    for (const m of [...this.since.keys()]) this.release(m);
  }

  private release(m: Workable): void {
    this.since.delete(m);
    if (this.since.size > 0 || !this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** Delay before a failed message is offered again, growing with each attempt. */
function backoffMs(deliveryCount: number): number {
  return Math.min(250 * 2 ** Math.max(0, deliveryCount - 1), 10_000);
}

/**
 * How a consumer gives up on a message its handler cannot process — a bug, not an outage — instead
 * of delivering it for ever: from delivery `after` on, a failure {@link isDeterministicFailure} says
 * no retry can fix is parked in the dead letters, answered by `answer`, if given (say, publishing
 * the request's final `internal` outcome, so its client is not left waiting), and terminated —
 * unless `declines` says why it must not be given up on yet. A failure to park or to answer leaves
 * the message to be delivered again: nothing is given up unkept. Once answered, it stays answered:
 * delivered again (its termination lost), it is answered again and terminated, not handled.
 */
export interface GiveUp<T> {
  /**
   * The delivery from which to give up (`JANGAR_POISON_AFTER_DELIVERIES`, 8 by default): a few
   * more than one, in case the failure was a fluke of a state mid-change, and few enough that the
   * client has its answer within half a minute (the backoff between them: 0.25, 0.5, 1 … 10 s).
   */
  after: number;
  /**
   * Why this message must not be given up on now, if it must not: say, its run could still follow
   * a `500`. It is then neither parked nor answered, and goes on being delivered.
   */
  declines?(message: T): Promise<string | undefined>;
  answer?(message: T, err: unknown): Promise<void>;
}

/** The schema version a message says it was written in; 0 for one without (written before versions were). */
function schemaVersionOf(m: JsMsg): number {
  const version = Number(m.headers?.get(SCHEMA_VERSION_HEADER));
  return Number.isInteger(version) ? version : 0;
}

/**
 * Consumes a durable consumer with at most `concurrency` handlers in flight. A handler failure is
 * nak'ed with backoff, unless `giveUp` ends it. A message that does not parse is parked in the dead
 * letters and terminated (it never will parse), unless it says it was written in a newer schema
 * version than this process knows: a rolling upgrade is under way, and it is nak'ed with backoff
 * for a replica of that version to take. `stop()` gives back at once what no handler has started,
 * and waits (bounded) for the handlers running.
 */
export async function consume<S extends z.ZodType>(
  nc: NatsConnection,
  def: ConsumerDefinition,
  schema: S,
  handler: (message: z.infer<S>, ctx: HandlerContext) => Promise<void>,
  opts: { logger: Logger; concurrency?: number; drainTimeoutMs?: number; giveUp?: GiveUp<z.infer<S>> },
): Promise<Subscription> {
  const js = jetstream(nc);
  const consumer = await js.consumers.get(def.stream, def.durable);
  // The consumer's ack wait, or the definition's if that is shorter: JANGAR_ACK_WAIT_MS may have
  // changed it, and a replica of a newer version may be about to lower it.
  const ackWait = (await consumer.info(true)).config.ack_wait;
  const held = new HeldMessages(Math.min(def.ackWaitMs, ackWait === undefined ? def.ackWaitMs : millis(ackWait)));
  let stopped = false;
  // Typed as a plain iterable, it is a queued iterator that stop() takes off the connection.
  const statuses = nc.status() as AsyncIterable<Status> & { stop(): void };
  void (async () => {
    for await (const status of statuses) if (status.type === 'reconnect') held.signal();
  })();
  const concurrency = opts.concurrency ?? 16;
  if (!(concurrency >= 1)) throw new Error(`consume ${def.durable}: concurrency must be at least 1, not ${concurrency}`);
  const messages = await consumer.consume({ max_messages: concurrency * 2 });
  const inFlight = new Set<Promise<void>>();
  let handled = 0;
  const meter = metrics();
  const labels = { consumer: def.durable };
  // Zero-valued series from the start, so a replica that got no work shows 0 rather than nothing.
  meter.messagesHandled.inc(labels, 0);
  meter.messagesFailed.inc({ ...labels, reason: 'handler' }, 0);
  meter.messagesFailed.inc({ ...labels, reason: 'schema' }, 0);
  meter.messagesFailed.inc({ ...labels, reason: 'poison' }, 0);
  meter.messagesFailed.inc({ ...labels, reason: 'given-up' }, 0);

  // Only a consumer that answers what it gives up on reads its dead letters back.
  const jsm = opts.giveUp?.answer ? await js.jetstreamManager() : undefined;

  /**
   * Settles, without its handler, a message an earlier delivery gave up on and answered whose
   * termination did not land (its answer's PubAck lost, or the replica gone before `term`): it is
   * answered again (the answer's dedup ID keeps it one) and terminated. Handled instead, it could
   * succeed and carry out a request whose client already has its 500. True when settled so, or
   * given back because the dead letters could not be read.
   */
  const settledAsGivenUp = async (m: JsMsg, message: z.infer<S>, log: Logger): Promise<boolean> => {
    const { giveUp } = opts;
    const deliveryCount = m.info.deliveryCount;
    // No delivery before the one after `after` can follow one that gave up.
    if (!giveUp?.answer || !jsm || deliveryCount <= giveUp.after) return false;
    let parkedAt: string;
    try {
      const letter = await findDeadLetter(jsm, def.durable, m.info.stream, m.seq);
      // Byte for byte the message parked: a stream deleted and made again numbers its messages afresh.
      if (!letter?.info?.answered || !Buffer.from(letter.data).equals(m.data)) return false;
      parkedAt = letter.info.parkedAt;
      await giveUp.answer(message, new Error(letter.info.error));
    } catch (err) {
      log.warn(
        { err, deliveryCount },
        'could not tell whether an earlier delivery gave up on the message, or answer it again; it will be redelivered',
      );
      m.nak(backoffMs(deliveryCount));
      return true;
    }
    log.warn(
      { deliveryCount, parkedAt },
      'an earlier delivery gave up on the message and answered it; answered it again and terminated it, unhandled',
    );
    m.term();
    meter.messagesFailed.inc({ ...labels, reason: 'given-up' });
    return true;
  };

  const endedAsPoison = async (m: JsMsg, message: z.infer<S>, err: unknown, log: Logger): Promise<boolean> => {
    const { giveUp } = opts;
    const deliveryCount = m.info.deliveryCount;
    if (!giveUp || deliveryCount < giveUp.after || !isDeterministicFailure(err)) return false;
    // Written by a newer version than this one: a replica of that version may well process it.
    if (schemaVersionOf(m) > MESSAGE_SCHEMA_VERSION) return false;
    try {
      const declined = await giveUp.declines?.(message);
      if (declined) {
        log.warn(
          { err, deliveryCount, declined },
          'handler cannot process the message, which must not be given up on; it will be redelivered',
        );
        return false;
      }
      // Parked first: an answer given, then a park that failed, would have the message handled
      // again after its client was told 500.
      await park(js, def.durable, m, { reason: 'poison', answered: giveUp.answer !== undefined }, err);
      await giveUp.answer?.(message, err);
    } catch (keepErr) {
      log.warn({ err: keepErr, deliveryCount }, 'could not park or answer a message its handler cannot process; it will be redelivered');
      return false;
    }
    log.error(
      { err, deliveryCount },
      `handler cannot process the message (a failure no retry fixes); parked it in the dead letters, ${giveUp.answer ? 'answered it ' : ''}and terminated it`,
    );
    m.term(); // no reason, as for a schema mismatch below
    meter.messagesFailed.inc({ ...labels, reason: 'poison' });
    return true;
  };

  const handleOne = async (m: JsMsg): Promise<void> => {
    const log = opts.logger.child({ consumer: def.durable, subject: m.subject, seq: m.seq });
    // A dead letter replayed for another durable of the same subject: that one gave up on it, this one did not.
    const replayedFor = m.headers?.get(REPLAY_FOR_HEADER);
    if (replayedFor && replayedFor !== def.durable) {
      m.ack();
      return;
    }
    let parsed: z.infer<S>;
    try {
      parsed = schema.parse(m.json());
    } catch (err) {
      const deliveryCount = m.info.deliveryCount;
      const version = schemaVersionOf(m);
      if (version > MESSAGE_SCHEMA_VERSION) {
        log.warn({ err, deliveryCount, version }, 'message of a newer schema version; leaving it for a replica that knows it');
        m.nak(backoffMs(deliveryCount));
        return;
      }
      try {
        await park(js, def.durable, m, { reason: 'schema', answered: false }, err);
      } catch (parkErr) {
        log.warn({ err: parkErr, deliveryCount }, 'message does not match its schema and could not be parked; it will be redelivered');
        m.nak(backoffMs(deliveryCount));
        return;
      }
      log.error({ err, deliveryCount, version }, 'message does not match its schema; parked it in the dead letters and terminated it');
      // No reason: nats-server 2.9 reads `+TERM <reason>` as no ack at all, and delivers the
      // message again one ack wait later, for ever (the reason is 2.10's).
      m.term();
      meter.messagesFailed.inc({ ...labels, reason: 'schema' });
      return;
    }
    if (await settledAsGivenUp(m, parsed, log)) return;
    const parent = extractTrace(m.headers);
    const timer = meter.messageHandleSeconds.startTimer(labels);
    try {
      await withSpan(
        `process ${def.durable}`,
        { kind: SpanKind.CONSUMER, parent, attributes: { 'messaging.destination': m.subject } },
        () => handler(parsed, { subject: m.subject, deliveryCount: m.info.deliveryCount, redelivered: m.redelivered, log }),
      );
      timer();
      m.ack();
      handled++;
      meter.messagesHandled.inc(labels);
    } catch (err) {
      timer();
      if (await endedAsPoison(m, parsed, err, log)) return;
      const delay = backoffMs(m.info.deliveryCount);
      log.warn({ err, deliveryCount: m.info.deliveryCount, retryInMs: delay }, 'handler failed; message will be redelivered');
      m.nak(delay);
      meter.messagesFailed.inc({ ...labels, reason: 'handler' });
    }
  };

  // The loop waits for room with a promise of its own each time, woken by a handler that settles
  // or by stop(): racing the handlers against one promise that lives until stop() would keep a
  // reaction per wait on it, for as long as the process runs.
  let wake: (() => void) | undefined;
  const room = () => new Promise<void>((r) => (wake = r));
  const wakeLoop = () => {
    wake?.();
    wake = undefined;
  };
  const loop = (async () => {
    for await (const m of messages) {
      // A stopping replica starts nothing more: what the client had fetched, or was waiting for a
      // free handler, goes back at once, for another replica to take now rather than after the drain.
      if (stopped) {
        m.nak();
        continue;
      }
      // From here the message is this replica's: waiting for a free handler counts as working on it.
      const release = held.hold(m);
      while (inFlight.size >= concurrency && !stopped) await room();
      if (stopped) {
        release();
        m.nak();
        continue;
      }
      const p = handleOne(m).finally(() => {
        release();
        inFlight.delete(p);
        wakeLoop();
      });
      inFlight.add(p);
    }
  })();

  return {
    handled: () => handled,
    async stop() {
      stopped = true;
      statuses.stop();
      wakeLoop();
      // The drain's deadline counts from here: closing waits until the loop has given back what
      // the client had fetched, and that too must not hold a shutdown.
      const deadline = new Promise<void>((r) => setTimeout(r, opts.drainTimeoutMs ?? 10_000).unref());
      const drain = (async () => {
        await messages.close();
        await loop;
        await Promise.all(inFlight);
      })();
      await Promise.race([drain, deadline]);
      // A handler still running past the deadline is left to end with the process: its message
      // goes to another replica one ack wait after the last "still working", not a minute later.
      held.clear();
    },
  };
}
