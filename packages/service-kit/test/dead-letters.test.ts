import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { STREAM_NAMES, streamDefinitions, type ConsumerDefinition } from '@jangar/contracts';
import { scratchNats, waitFor, type NatsServerHandle } from '@jangar/devstack';
import { consume } from '../src/bus.js';
import { filterMatches, findDeadLetter, listDeadLetters, replayDeadLetter, type DeadLetter } from '../src/dead-letters.js';
import { createLogger } from '../src/logger.js';
import { ensureConsumer, ensureStreams } from '../src/nats.js';

const logger = createLogger('test', 'silent');
const STREAM = 'DEAD_LETTER_TEST';
const Message = z.object({ n: z.number() });

let nats: NatsServerHandle;
let nc: NatsConnection;
let jsm: JetStreamManager;

beforeAll(async () => {
  nats = await scratchNats('dead-letters');
  nc = await connect({ servers: nats.url });
  jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: STREAM, subjects: ['dl.>'] });
  await ensureStreams(jsm, [streamDefinitions().deadLetters]);
});

afterAll(async () => {
  await nc?.close();
  await nats?.stop();
});

/**
 * Consumes `def` with a handler that fails as a bug does, given up on at the first delivery, until
 * `fix()`; `got` has what it handled since.
 */
async function buggyUntilFixed(def: ConsumerDefinition) {
  let fixed = false;
  const got: number[] = [];
  const handler = async (m: z.infer<typeof Message>) => {
    if (!fixed) throw new TypeError("Cannot read properties of undefined (reading 'n')");
    got.push(m.n);
  };
  const sub = await consume(nc, def, Message, handler, { logger, concurrency: 1, giveUp: { after: 1 } });
  return { sub, got, fix: () => void (fixed = true) };
}

/** The first dead letter `durable` parks, once it has. */
async function parkedBy(durable: string): Promise<DeadLetter> {
  const [letter] = await waitFor(`${durable} to park a message`, async () => {
    const letters = await listDeadLetters(jsm, durable);
    return letters.length > 0 && letters;
  });
  return letter!;
}

describe('the dead letters', () => {
  it('list what a consumer gave up on, and replay it on its subject once the cause is fixed', async () => {
    const def = { stream: STREAM, durable: 'dl-fixed-later', filter: 'dl.fixed', ackWaitMs: 1_000, maxDeliver: -1 };
    await ensureConsumer(jsm, def);
    const { sub, got, fix } = await buggyUntilFixed(def);
    try {
      const h = headers();
      h.set('traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
      await jetstream(nc).publish('dl.fixed', JSON.stringify({ n: 7 }), { headers: h });
      const letter = await parkedBy(def.durable);
      expect(letter.info).toMatchObject({
        consumer: def.durable,
        stream: STREAM,
        subject: 'dl.fixed',
        reason: 'poison',
        deliveryCount: 1,
      });
      expect(new TextDecoder().decode(letter.data)).toBe(JSON.stringify({ n: 7 }));
      expect(letter.headers.get('traceparent')).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
      expect(await listDeadLetters(jsm, 'another-consumer')).toEqual([]);
      // Found by the message it parks, as a consumer delivered that message again looks for it.
      const parked = letter.info!.streamSequence;
      expect((await findDeadLetter(jsm, def.durable, STREAM, parked))?.sequence).toBe(letter.sequence);
      expect(await findDeadLetter(jsm, 'another-consumer', STREAM, parked)).toBeUndefined();
      expect(await findDeadLetter(jsm, def.durable, STREAM, parked + 1)).toBeUndefined();

      fix();
      const info = await replayDeadLetter(jetstream(nc), jsm, letter.sequence);
      expect(info.subject).toBe('dl.fixed');
      await waitFor('the replayed message to be handled', async () => sub.handled() === 1);
      expect(got).toEqual([7]);
      expect(await listDeadLetters(jsm, def.durable)).toEqual([]);
      expect(await findDeadLetter(jsm, def.durable, STREAM, parked)).toBeUndefined();
    } finally {
      await sub.stop();
    }
  });

  it('list every one, oldest first, however many batches they take, and leave no consumer behind', async () => {
    const def = { stream: STREAM, durable: 'dl-many', filter: 'dl.many', ackWaitMs: 1_000, maxDeliver: -1 };
    await ensureConsumer(jsm, def);
    const { sub } = await buggyUntilFixed(def);
    try {
      const count = 600; // more than two of the listing's batches
      const js = jetstream(nc);
      for (let n = 0; n < count; n++) await js.publish('dl.many', JSON.stringify({ n }));
      const letters = await waitFor('every message to be parked', async () => {
        const listed = await listDeadLetters(jsm, def.durable);
        return listed.length === count && listed;
      });
      const sequences = letters.map((l) => l.sequence);
      expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
      const bodies = letters.map((l) => (JSON.parse(new TextDecoder().decode(l.data)) as { n: number }).n);
      expect(bodies).toEqual(Array.from({ length: count }, (_, n) => n));
      expect(await jsm.consumers.list(STREAM_NAMES.deadLetters).next()).toEqual([]);
    } finally {
      await sub.stop();
    }
  });

  it('are not replayed when the request was answered as they were parked: that answer stands', async () => {
    const def = { stream: STREAM, durable: 'dl-answered', filter: 'dl.answered', ackWaitMs: 1_000, maxDeliver: -1 };
    await ensureConsumer(jsm, def);
    const bug = async () => {
      throw new TypeError('a bug');
    };
    const sub = await consume(nc, def, Message, bug, { logger, concurrency: 1, giveUp: { after: 1, answer: async () => {} } });
    try {
      await jetstream(nc).publish('dl.answered', JSON.stringify({ n: 8 }));
      const letter = await parkedBy(def.durable);
      expect(letter.info?.answered).toBe(true);
      await expect(replayDeadLetter(jetstream(nc), jsm, letter.sequence)).rejects.toThrow(/answered 500 .* new deliveryId/);
      expect(await listDeadLetters(jsm, def.durable)).toHaveLength(1);
    } finally {
      await sub.stop();
    }
  });

  it('are replayed for the consumer that parked them alone, not for the others of the same subject', async () => {
    const failing = { stream: STREAM, durable: 'dl-shared-failing', filter: 'dl.shared', ackWaitMs: 1_000, maxDeliver: -1 };
    const fine = { ...failing, durable: 'dl-shared-fine' };
    await ensureConsumer(jsm, failing);
    await ensureConsumer(jsm, fine);
    const buggy = await buggyUntilFixed(failing);
    const byFailing = buggy.got;
    const byFine: number[] = [];
    const subs = [buggy.sub, await consume(nc, fine, Message, async (m) => void byFine.push(m.n), { logger, concurrency: 1 })];
    try {
      await jetstream(nc).publish('dl.shared', JSON.stringify({ n: 10 }));
      const letter = await parkedBy(failing.durable);
      await waitFor('the other consumer to handle it', async () => byFine.length === 1);
      buggy.fix();
      await replayDeadLetter(jetstream(nc), jsm, letter.sequence);
      await waitFor('the failing consumer to handle the replay', async () => byFailing.length === 1);
      // The other consumer has had the replay too (it is on the subject), and passed it by.
      await waitFor('the other consumer to pass the replay by', async () => {
        const info = await jsm.consumers.info(STREAM, fine.durable);
        return info.delivered.consumer_seq >= 2 && info.num_ack_pending === 0;
      });
      expect(byFine).toEqual([10]);
      expect(byFailing).toEqual([10]);
    } finally {
      await Promise.all(subs.map((s) => s.stop()));
    }
  });

  it('list a message that does not say why it is there, without its reasons', async () => {
    await jetstream(nc).publish('jangar.dead.stray', 'not parked by a consumer');
    const stray = (await listDeadLetters(jsm)).filter((l) => l.info === undefined);
    expect(stray.map((l) => new TextDecoder().decode(l.data))).toEqual(['not parked by a consumer']);
  });

  it('are not replayed for a durable that is gone, which nothing else would handle them for', async () => {
    const def = { stream: STREAM, durable: 'dl-retired', filter: 'dl.retired', ackWaitMs: 1_000, maxDeliver: -1 };
    await ensureConsumer(jsm, def);
    const bug = async () => {
      throw new TypeError('a bug');
    };
    const sub = await consume(nc, def, Message, bug, { logger, concurrency: 1, giveUp: { after: 1 } });
    await jetstream(nc).publish('dl.retired', JSON.stringify({ n: 11 }));
    const letter = await parkedBy(def.durable);
    await sub.stop();
    await jsm.consumers.delete(STREAM, def.durable);
    await expect(replayDeadLetter(jetstream(nc), jsm, letter.sequence)).rejects.toThrow(/dl-retired, which no longer takes dl.retired/);
    expect(await listDeadLetters(jsm, def.durable)).toHaveLength(1);
  });

  it('cannot replay a message that does not say why it is there', async () => {
    const ack = await jetstream(nc).publish('jangar.dead.stray-too', 'not parked by a consumer either');
    await expect(replayDeadLetter(jetstream(nc), jsm, ack.seq)).rejects.toThrow(/does not say why it is there/);
  });

  it('cannot replay a dead letter that is not there', async () => {
    await expect(replayDeadLetter(jetstream(nc), jsm, 999_999)).rejects.toThrow();
  });
});

describe('a subject filter', () => {
  it('takes what NATS would deliver for it', () => {
    expect(filterMatches('jangar.decision.allow.*.*', 'jangar.decision.allow.agentrun.create')).toBe(true);
    expect(filterMatches('jangar.decision.allow.*.*', 'jangar.decision.deny.agentrun.create')).toBe(false);
    expect(filterMatches('jangar.outcome.>', 'jangar.outcome.agentrun.create')).toBe(true);
    expect(filterMatches('jangar.outcome.>', 'jangar.outcome')).toBe(false);
    expect(filterMatches('jangar.run.status.*.*.*.ended', 'jangar.run.status.team-a.agentrun.r1.active')).toBe(false);
    expect(filterMatches('a.*', 'a.b.c')).toBe(false);
    expect(filterMatches('>', 'a')).toBe(true);
  });
});
