import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
  DEAD_LETTER_HEADERS,
  deadLetterInfo,
  MESSAGE_SCHEMA_VERSION,
  SCHEMA_VERSION_HEADER,
  STREAM_NAMES,
  streamDefinitions,
  SUBJECTS,
  type ConsumerDefinition,
} from '@jangar/contracts';
import { scratchNats, waitFor, type NatsServerHandle } from '@jangar/devstack';
import { consume, HeldMessages, type Subscription } from '../src/bus.js';
import { TransientError } from '../src/errors.js';
import { createLogger } from '../src/logger.js';
import { metrics } from '../src/metrics.js';
import { ensureConsumer, ensureStreams } from '../src/nats.js';
import { metricSample } from '../../../test/support/fixtures.js';

const logger = createLogger('test', 'silent');
const STREAM = 'BUS_TEST';
const Message = z.object({ n: z.number() });
// A short ack wait, so that a handler outliving it, or a replica dying, shows within a test.
const ACK_WAIT_MS = 1_000;

let nats: NatsServerHandle;
let nc: NatsConnection;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  nats = await scratchNats('bus');
  nc = await connect({ servers: nats.url });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: STREAM, subjects: ['bus.test.>'] });
  await ensureStreams(jsm, [streamDefinitions().deadLetters]);
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

afterAll(async () => {
  await nc?.close();
  await nats?.stop();
});

/** A durable consumer of its own on the test stream, with the short ack wait. */
async function consumerFor(name: string): Promise<ConsumerDefinition> {
  const def = { stream: STREAM, durable: name, filter: `bus.test.${name}`, ackWaitMs: ACK_WAIT_MS, maxDeliver: -1 };
  await ensureConsumer(await jetstreamManager(nc), def);
  return def;
}

async function subscribe(
  conn: NatsConnection,
  def: ConsumerDefinition,
  handler: (m: z.infer<typeof Message>, redelivered: boolean) => Promise<void>,
): Promise<Subscription> {
  const sub = await consume(conn, def, Message, (m, ctx) => handler(m, ctx.redelivered), { logger, concurrency: 1 });
  cleanups.push(() => sub.stop());
  return sub;
}

describe('consuming a durable consumer', () => {
  it('keeps a message whose handler outlives the ack wait, and delivers it once', async () => {
    const def = await consumerFor('slow');
    const deliveries: boolean[] = [];
    const sub = await subscribe(nc, def, async (_, redelivered) => {
      deliveries.push(redelivered);
      // Three ack waits: without "still working" JetStream would hand the message out again meanwhile.
      await new Promise((r) => setTimeout(r, 3 * ACK_WAIT_MS));
    });
    await jetstream(nc).publish(def.filter, JSON.stringify({ n: 1 }));
    await waitFor('the slow message to be handled', async () => sub.handled() === 1, { timeoutMs: 20_000 });
    const jsm = await jetstreamManager(nc);
    // Every delivery, a redelivery too, takes a consumer sequence number: one means it went out once.
    const info = await waitFor('the ack to reach the server', async () => {
      const now = await jsm.consumers.info(STREAM, def.durable);
      return now.num_ack_pending === 0 && now;
    });
    expect(info.delivered.consumer_seq).toBe(1);
    expect(deliveries).toEqual([false]);
  });

  it('hands the messages of a replica that died to one that lives', async () => {
    const def = await consumerFor('failover');
    const dying = await connect({ servers: nats.url });
    let taken!: () => void;
    const tookIt = new Promise<void>((r) => (taken = r));
    // The first replica takes the message and never finishes it: its process is about to die.
    await consume(
      dying,
      def,
      Message,
      async () => {
        taken();
        await new Promise(() => {});
      },
      { logger, concurrency: 1 },
    );
    await jetstream(nc).publish(def.filter, JSON.stringify({ n: 7 }));
    await tookIt;
    // A dead process sends nothing more: no ack, and no "still working".
    await dying.close();
    const got: Array<{ n: number; redelivered: boolean }> = [];
    const live = await subscribe(nc, def, async (m, redelivered) => void got.push({ n: m.n, redelivered }));
    await waitFor('the live replica to handle the dead one’s message', async () => live.handled() === 1, {
      timeoutMs: 20_000,
    });
    expect(got).toEqual([{ n: 7, redelivered: true }]);
  });
});

describe('a message its handler cannot process', () => {
  /**
   * Publishes `body` to a consumer of its own, consumed with a poison answer from delivery `after`;
   * `answer` may fail. Resolves once the message has left the consumer, acked or terminated, with
   * how many deliveries and answers it took and the consumer's sequence.
   */
  async function poisoned(
    name: string,
    body: unknown,
    after: number,
    handler: (delivery: number) => Promise<void>,
    answer: ((n: number) => Promise<void>) | null = async () => {},
  ) {
    const def = await consumerFor(name);
    let deliveries = 0;
    let answers = 0;
    const sub = await consume(nc, def, Message, () => handler(++deliveries), {
      logger,
      concurrency: 1,
      giveUp: { after, ...(answer ? { answer: () => answer(++answers) } : {}) },
    });
    cleanups.push(() => sub.stop());
    await jetstream(nc).publish(def.filter, JSON.stringify(body));
    const jsm = await jetstreamManager(nc);
    const info = await waitFor(
      'the message to leave the consumer',
      async () => {
        const now = await jsm.consumers.info(STREAM, def.durable);
        return now.num_ack_pending === 0 && now.num_pending === 0 && now.delivered.consumer_seq > 0 && now;
      },
      { timeoutMs: 20_000 },
    );
    return { deliveries, answers, handled: sub.handled(), sequence: info.delivered.consumer_seq };
  }
  const bug = async () => {
    throw new TypeError("Cannot read properties of undefined (reading 'spec')");
  };

  it('is parked in the dead letters and terminated at once, handler untouched, when it does not match its schema', async () => {
    expect(await poisoned('mismatch', { n: 'one' }, 3, bug)).toEqual({ deliveries: 0, answers: 0, handled: 0, sequence: 1 });
    const parked = await deadLetterOf('mismatch');
    expect(parked.body).toBe(JSON.stringify({ n: 'one' }));
    expect(parked.info).toMatchObject({
      consumer: 'mismatch',
      stream: STREAM,
      subject: 'bus.test.mismatch',
      deliveryCount: 1,
      reason: 'schema',
    });
    expect(parked.info.error).toMatch(/^ZodError: /);
  });

  it('that a replica of an older version cannot parse, is handled by one of the newer version', async () => {
    const def = await consumerFor('upgrade');
    const jsm = await jetstreamManager(nc);
    const older = await consume(nc, def, Message, async () => {}, { logger, concurrency: 1 });
    // Written by a replica of the next schema version, which `n` may also be a name in.
    const h = headers();
    h.set(SCHEMA_VERSION_HEADER, String(MESSAGE_SCHEMA_VERSION + 1));
    await jetstream(nc).publish(def.filter, JSON.stringify({ n: 'two' }), { headers: h });
    // Delivered twice: the older replica refused it once, and did not terminate it.
    await waitFor(
      'the older replica to have refused it',
      async () => (await jsm.consumers.info(STREAM, def.durable)).delivered.consumer_seq >= 2,
    );
    await older.stop();
    const got: unknown[] = [];
    const newer = await consume(nc, def, z.object({ n: z.union([z.number(), z.string()]) }), async (m) => void got.push(m.n), {
      logger,
      concurrency: 1,
    });
    cleanups.push(() => newer.stop());
    await waitFor('the newer replica to handle it', async () => newer.handled() === 1, { timeoutMs: 20_000 });
    expect(got).toEqual(['two']);
  });

  it('is parked in the dead letters, answered and terminated at the delivery `after`, and never delivered again', async () => {
    expect(await poisoned('poison', { n: 1 }, 3, bug)).toEqual({ deliveries: 3, answers: 1, handled: 0, sequence: 3 });
    const parked = await deadLetterOf('poison');
    expect(parked.body).toBe(JSON.stringify({ n: 1 }));
    expect(parked.info).toMatchObject({
      consumer: 'poison',
      subject: 'bus.test.poison',
      deliveryCount: 3,
      reason: 'poison',
      answered: true,
      error: "TypeError: Cannot read properties of undefined (reading 'spec')",
    });
  });

  it('is parked and terminated at the delivery `after` by a consumer that has no answer to give', async () => {
    expect(await poisoned('unanswerable', { n: 4 }, 2, bug, null)).toEqual({ deliveries: 2, answers: 0, handled: 0, sequence: 2 });
    expect((await deadLetterOf('unanswerable')).info).toMatchObject({ deliveryCount: 2, reason: 'poison', answered: false });
  });

  it('is delivered on past `after` while its handler fails for a dependency, until it succeeds', async () => {
    const outage = async (delivery: number) => {
      if (delivery < 4) throw new TransientError('postgres is down');
    };
    expect(await poisoned('outage', { n: 2 }, 2, outage)).toEqual({ deliveries: 4, answers: 0, handled: 1, sequence: 4 });
  });

  it('is answered again and terminated, unhandled, when delivered again after an answer that may not have landed', async () => {
    // Its answer was published, say, but the acknowledgement was lost: the message stays.
    const ackLost = async (n: number) => {
      if (n === 1) throw new Error('nats: timeout');
    };
    // And the state the handler tripped on has moved on: handled now, it would succeed, and its
    // run would follow the 500 its client may already have.
    const healed = async (delivery: number) => {
      if (delivery <= 2) await bug();
    };
    expect(await poisoned('unanswered', { n: 3 }, 2, healed, ackLost)).toEqual({ deliveries: 2, answers: 2, handled: 0, sequence: 3 });
    // The give-up whose answer failed counted nothing; the delivery that settled it counts, for an alert.
    expect(await failures('unanswered')).toEqual({ poison: 0, 'given-up': 1 });
  });

  it('is handled, not answered again, past `after` when an answered dead letter of its sequence holds another message', async () => {
    // Parked by the durable of the same name from a stream of the same name, deleted and made
    // again since: its messages are numbered afresh, and this one has that letter's sequence.
    const jsm = await jetstreamManager(nc);
    const sequence = (await jsm.streams.info(STREAM)).state.last_seq + 1;
    const h = headers();
    const info = { consumer: 'renumbered', stream: STREAM, streamSequence: sequence, subject: 'bus.test.renumbered', deliveryCount: 2 };
    const why = { ...info, reason: 'poison', answered: true, error: 'TypeError: an old bug', parkedAt: new Date().toISOString() };
    for (const [field, header] of Object.entries(DEAD_LETTER_HEADERS)) h.set(header, String(why[field as keyof typeof why]));
    const subject = SUBJECTS.deadLetter.subject({ consumer: 'renumbered', stream: STREAM, sequence: String(sequence) });
    await jetstream(nc).publish(subject, JSON.stringify({ n: 99 }), { headers: h });
    const outage = async (delivery: number) => {
      if (delivery <= 2) throw new TransientError('postgres is down');
    };
    expect(await poisoned('renumbered', { n: 7 }, 2, outage)).toEqual({ deliveries: 3, answers: 0, handled: 1, sequence: 3 });
    expect(await failures('renumbered')).toEqual({ poison: 0, 'given-up': 0 });
  });
});

/** How many of `durable`'s messages this process counted as given up on, and as delivered again after that. */
async function failures(durable: string) {
  const { body } = await metrics().render();
  const count = (reason: string) => metricSample(body, 'jangar_messages_failed_total', { consumer: durable, reason });
  return { poison: count('poison'), 'given-up': count('given-up') };
}

/** The last message `durable` parked in the dead letters: its body as text and why it is there. */
async function deadLetterOf(durable: string) {
  const jsm = await jetstreamManager(nc);
  const stored = await jsm.streams.getMessage(STREAM_NAMES.deadLetters, {
    last_by_subj: SUBJECTS.deadLetter.filter({ consumer: durable }),
  });
  if (!stored) throw new Error(`no dead letter of ${durable}`);
  return { body: stored.string(), info: deadLetterInfo(stored.header) };
}

describe('a message that cannot be parked', () => {
  /**
   * On a server of its own, at first without the dead letters' stream: publishes `body`, consumed
   * by `handler` with a give-up from the first delivery; once it has been delivered thrice, adds the
   * stream and waits for the message to leave. Resolves with how many answers were given and
   * handler calls made before the stream was there, the answers in all, and the dead letter.
   */
  async function parkedLate(durable: string, body: unknown, handler: () => Promise<void>) {
    const server = await scratchNats('bus-unparked');
    const conn = await connect({ servers: server.url });
    cleanups.push(async () => {
      await conn.close();
      await server.stop();
    });
    const jsm = await jetstreamManager(conn);
    await jsm.streams.add({ name: STREAM, subjects: ['bus.test.>'] });
    const def = { stream: STREAM, durable, filter: `bus.test.${durable}`, ackWaitMs: ACK_WAIT_MS, maxDeliver: -1 };
    await ensureConsumer(jsm, def);
    let answers = 0;
    let calls = 0;
    const counted = () => {
      calls++;
      return handler();
    };
    const sub = await consume(conn, def, Message, counted, {
      logger,
      concurrency: 1,
      giveUp: { after: 1, answer: async () => void answers++ },
    });
    cleanups.push(() => sub.stop());
    await jetstream(conn).publish(def.filter, JSON.stringify(body));
    // The third: the second is then settled, its handler called (or not) and the message given back.
    await waitFor('a third delivery', async () => (await jsm.consumers.info(STREAM, def.durable)).delivered.consumer_seq >= 3, {
      timeoutMs: 20_000,
    });
    const [answersBefore, callsBefore] = [answers, calls];
    await ensureStreams(jsm, [streamDefinitions().deadLetters]);
    await waitFor(
      'the message to leave the consumer, parked',
      async () => {
        const now = await jsm.consumers.info(STREAM, def.durable);
        return now.num_ack_pending === 0 && now.num_pending === 0;
      },
      { timeoutMs: 20_000 },
    );
    const parked = await jsm.streams.getMessage(STREAM_NAMES.deadLetters, {
      last_by_subj: SUBJECTS.deadLetter.filter({ consumer: durable }),
    });
    return { answersBefore, callsBefore, answers, handled: sub.handled(), info: deadLetterInfo(parked!.header) };
  }

  it('is delivered again, not terminated, until the dead letters take it', async () => {
    const result = await parkedLate('unparked', { n: 'five' }, async () => {});
    expect(result.info.deliveryCount).toBeGreaterThanOrEqual(2);
    expect(result.handled).toBe(0);
  });

  it('is not answered until it is parked: an answer before a failed park would have it handled again after its 500', async () => {
    const bug = async () => {
      throw new TypeError('a bug');
    };
    const result = await parkedLate('unparked-answer', { n: 6 }, bug);
    expect([result.answersBefore, result.answers]).toEqual([0, 1]);
    // Handled at every delivery meanwhile: with no dead letters, none of them can follow a give-up.
    expect(result.callsBefore).toBeGreaterThanOrEqual(2);
    expect(result.info).toMatchObject({ reason: 'poison', answered: true });
  });
});

/**
 * Publishes `body` (with headers `h`) to a consumer of its own whose handler always fails as a bug
 * does, given up on from the first delivery unless `declines` says otherwise; once it has been
 * delivered three times, says how many answers were given and what was parked.
 */
async function failedThrice(name: string, declines?: () => Promise<string | undefined>, h = headers()) {
  const def = await consumerFor(name);
  const jsm = await jetstreamManager(nc);
  let answers = 0;
  const bug = async () => {
    throw new TypeError('a bug, or a field this version has not got');
  };
  const giveUp = { after: 1, answer: async () => void answers++, ...(declines ? { declines } : {}) };
  const sub = await consume(nc, def, Message, bug, { logger, concurrency: 1, giveUp });
  cleanups.push(() => sub.stop());
  await jetstream(nc).publish(def.filter, JSON.stringify({ n: 12 }), { headers: h });
  await waitFor('a third delivery', async () => (await jsm.consumers.info(STREAM, def.durable)).delivered.consumer_seq >= 3, {
    timeoutMs: 20_000,
  });
  const parked = await jsm.streams.getMessage(STREAM_NAMES.deadLetters, {
    last_by_subj: SUBJECTS.deadLetter.filter({ consumer: def.durable }),
  });
  return { answers, parked };
}

describe('a message its handler cannot process, that must not be given up on', () => {
  it('is neither parked nor answered, and is delivered again', async () => {
    expect(await failedThrice('declined', async () => 'its run could still follow a 500')).toEqual({ answers: 0, parked: null });
  });
});

describe('a message of a newer schema version that its handler fails on', () => {
  it('is not given up on by a replica of an older version, which a replica of its own version may process', async () => {
    const h = headers();
    h.set(SCHEMA_VERSION_HEADER, String(MESSAGE_SCHEMA_VERSION + 1));
    expect(await failedThrice('newer-failing', undefined, h)).toEqual({ answers: 0, parked: null });
  });
});

describe('a consumer without handlers', () => {
  it('is refused, instead of fetching messages it would never handle', async () => {
    const def = await consumerFor('idle');
    await expect(consume(nc, def, Message, async () => {}, { logger, concurrency: 0 })).rejects.toThrow(/at least 1/);
  });
});

describe('stopping a replica', () => {
  it('gives back what no handler has started, for another replica to take at once, and waits for the handler running', async () => {
    const def = await consumerFor('stopping');
    const stoppingConn = await connect({ servers: nats.url });
    cleanups.push(() => stoppingConn.close());
    const handledThere: number[] = [];
    let running!: () => void;
    const firstRunning = new Promise<void>((r) => (running = r));
    let finishFirst!: () => void;
    const first = new Promise<void>((r) => (finishFirst = r));
    const stopping = await consume(
      stoppingConn,
      def,
      Message,
      async (m) => {
        handledThere.push(m.n);
        running();
        await first;
      },
      { logger, concurrency: 1 },
    );
    const js = jetstream(nc);
    for (const n of [1, 2, 3]) await js.publish(def.filter, JSON.stringify({ n }));
    await firstRunning;

    const stopped = stopping.stop();
    const got: number[] = [];
    await subscribe(nc, def, async (m) => void got.push(m.n));
    // Handed on while the stopping replica's handler still runs: given back, not left to the drain.
    // At least once: on a loaded machine a fetched message can also pass the 1 s ack wait and come twice.
    await waitFor(
      'the live replica to take the two messages the stopping one did not start',
      async () => got.includes(2) && got.includes(3),
      {
        timeoutMs: 20_000,
      },
    );
    finishFirst();
    await stopped;

    expect(new Set(got)).toEqual(new Set([2, 3]));
    expect(handledThere).toEqual([1]);
    expect(stopping.handled()).toBe(1);
  });
});

describe('the messages a replica holds', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('are said to be worked on when taken, then every third of the ack wait until released', () => {
    vi.useFakeTimers();
    const held = new HeldMessages(3_000);
    const a = { working: vi.fn() };
    const b = { working: vi.fn() };
    const releaseA = held.hold(a);
    expect(a.working).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1_500);
    held.hold(b);
    vi.advanceTimersByTime(1_000);
    expect(a.working).toHaveBeenCalledTimes(3);
    expect(b.working).toHaveBeenCalledTimes(2);
    releaseA();
    vi.advanceTimersByTime(10_000);
    expect(a.working).toHaveBeenCalledTimes(3);
    expect(b.working).toHaveBeenCalledTimes(12);
  });

  it('are let go once held past the longest a handler may take, so a stuck one’s message moves on', () => {
    vi.useFakeTimers();
    const held = new HeldMessages(3_000, 10_000);
    const m = { working: vi.fn() };
    held.hold(m);
    vi.advanceTimersByTime(60_000);
    // At take, then at 1 s, 2 s, … 9 s; at 10 s it is let go.
    expect(m.working).toHaveBeenCalledTimes(10);
    expect(held.size).toBe(0);
  });

  it('are all said to be worked on again at once when asked, as after a reconnect', () => {
    vi.useFakeTimers();
    const held = new HeldMessages(30_000);
    const ms = [{ working: vi.fn() }, { working: vi.fn() }];
    for (const m of ms) held.hold(m);
    held.signal();
    for (const m of ms) expect(m.working).toHaveBeenCalledTimes(2);
  });
});
