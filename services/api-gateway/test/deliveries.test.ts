import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutcomePayload } from '@jangar/contracts';
import { createLogger, TransientError } from '@jangar/service-kit';
import { connectPg, waitFor } from '@jangar/devstack';
import type { Database } from '@jangar/service-kit/db';
import { GATEWAY_DATABASE } from '../src/database.js';
import { answerOfAttempt, DeliveryStore, storedResponse } from '../src/deliveries/store.js';
import { RequestPublisher } from '../src/publisher.js';
import { claimOf } from './claims.js';
import { scratchDatabase, type ScratchDatabase } from '../../../test/support/database.js';

let scratch: ScratchDatabase;
let db: Database;
let store: DeliveryStore;

beforeAll(async () => {
  scratch = await scratchDatabase('deliveries', GATEWAY_DATABASE);
  db = scratch.db;
  store = new DeliveryStore(db, 24);
});

afterAll(async () => {
  await scratch?.stop();
});

/** Alice's claim of an AgentRun's create under `deliveryId`. */
const delivery = (deliveryId: string) => claimOf(deliveryId);

const answer = { status: 201, contentType: 'application/json', body: '{"ok":true}' };

describe('the delivery store', () => {
  it('claims a delivery once and hands a second claim the stored row', async () => {
    const d = delivery('claim-1');
    expect(await store.claim(d)).toEqual({ claimed: true });
    const again = await store.claim(d);
    expect(again.claimed).toBe(false);
    expect(again.claimed === false && again.existing).toMatchObject({
      requestKey: d.requestKey,
      fingerprint: d.fingerprint,
      resourceId: d.resourceId,
      state: 'pending',
      attempt: 1,
      name: null,
      message: d.message,
    });
  });

  it('claims a burst of deliveries in fewer statements than claims, each one claimed', async () => {
    const burst = new DeliveryStore(db, 24);
    const ds = Array.from({ length: 20 }, (_, i) => delivery(`burst-${i}`));
    const claims = await Promise.all(ds.map((d) => burst.claim(d)));
    expect(claims).toEqual(ds.map(() => ({ claimed: true })));
    // The first claim goes alone; the other 19 arrive while it runs and go together in the next.
    expect(burst.claimStats).toEqual({ writes: 2, items: 20 });
    for (const d of ds)
      expect(await store.get(d.requestKey)).toMatchObject({ requestKey: d.requestKey, resourceId: d.resourceId, message: d.message });
  });

  it('gives one claim of a deliveryId sent twice in the same batch, and the stored row to the other', async () => {
    const burst = new DeliveryStore(db, 24);
    const lead = delivery('twice-lead');
    const d = delivery('twice');
    const twin = { ...d, resourceId: randomUUID() };
    const [, first, second] = await Promise.all([burst.claim(lead), burst.claim(d), burst.claim(twin)]);
    expect(burst.claimStats.writes).toBe(2);
    expect(first).toEqual({ claimed: true });
    expect(second.claimed === false && second.existing.resourceId).toBe(d.resourceId);
  });

  it('fails only the claim that cannot be stored, not the others of its batch', async () => {
    const burst = new DeliveryStore(db, 24);
    const good = [delivery('batch-good-1'), delivery('batch-good-2')];
    const bad = { ...delivery('batch-bad'), resourceId: 'not-a-uuid' };
    const results = await Promise.allSettled([delivery('batch-lead'), good[0]!, bad, good[1]!].map((d) => burst.claim(d)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    for (const d of good) expect(await store.get(d.requestKey)).toBeDefined();
    expect(await store.get(bad.requestKey)).toBeUndefined();
  });

  it('stores the first answer of an attempt and finds the delivery by the Jangar id it carries', async () => {
    const d = delivery('complete-1');
    expect(await store.findByResource(d.resourceId)).toBeUndefined();
    await store.claim(d);
    expect(await store.findByResource(d.resourceId)).toMatchObject({ requestKey: d.requestKey, state: 'pending', resource: null });
    expect(await store.complete(d.requestKey, 1, answer, { kind: 'AgentRun' })).toBe(true);
    // A late outcome changes nothing: the answer is stored once.
    expect(await store.complete(d.requestKey, 1, { ...answer, status: 500 }, undefined)).toBe(false);
    expect(storedResponse((await store.get(d.requestKey))!)).toEqual(answer);
    const row = await store.findByResource(d.resourceId);
    expect(row).toMatchObject({ requestKey: d.requestKey, state: 'completed', resource: { kind: 'AgentRun' } });
    expect(storedResponse(row!)).toEqual(answer);
  });

  it('reopens a retryable rejection once, as the next attempt', async () => {
    const d = delivery('retry-1');
    await store.claim(d);
    await store.markRetryable(d.requestKey, 1, { ...answer, status: 429 });
    const retryable = (await store.get(d.requestKey))!;
    expect(answerOfAttempt(retryable, 1)).toEqual({ ...answer, status: 429 });
    const reopened = await store.reopen(retryable);
    expect(reopened).toMatchObject({ state: 'pending', attempt: 2, statusCode: null, message: { ...d.message, attempt: 2 } });
    expect(await store.reopen(retryable)).toBeUndefined();
  });

  it('leaves a row unmarked for the sweep when a late mark names the attempt before the one a retry reopened it as', async () => {
    const d = delivery('reopened-1');
    await store.claim(d);
    await store.markRetryable(d.requestKey, 1, { status: 429, contentType: 'application/problem+json', body: '{}' });
    await store.reopen((await store.get(d.requestKey))!);
    // Attempt 1's mark, held up in its replica's batch, lands after the reopen.
    await store.markPublished([{ requestKey: d.requestKey, attempt: 1 }]);
    expect((await store.unpublished(0)).map((r) => r.requestKey)).toContain(d.requestKey);
    await store.markPublished([{ requestKey: d.requestKey, attempt: 2 }]);
    expect((await store.unpublished(0)).map((r) => r.requestKey)).not.toContain(d.requestKey);
  });

  it('lists the claims never published, and only those; one statement marks a batch of them', async () => {
    const lost = delivery('lost-1');
    const sent = delivery('sent-1');
    const sentToo = delivery('sent-2');
    await store.claim(lost);
    await store.claim(sent);
    await store.claim(sentToo);
    await store.markPublished([
      { requestKey: sent.requestKey, attempt: 1 },
      { requestKey: sentToo.requestKey, attempt: 1 },
    ]);
    const keys = (await store.unpublished(0)).map((r) => r.requestKey);
    expect(keys).toContain(lost.requestKey);
    expect(keys).not.toContain(sent.requestKey);
    expect(keys).not.toContain(sentToo.requestKey);
    expect((await store.unpublished(0)).find((r) => r.requestKey === lost.requestKey)?.message).toEqual(lost.message);
  });
});

describe('a claim while Postgres holds its statement', () => {
  // Without the claim's deadline both claims wait as long as the lock is held, here until the test's limit.
  it(
    'fails at its deadline as transient, the claims queued behind it too; the statement under way lands once Postgres lets go, the queued one never',
    { timeout: 20_000 },
    async () => {
      const bounded = new DeliveryStore(db, 24, 300);
      const holder = await connectPg(scratch.url);
      try {
        await holder.query('begin');
        await holder.query('lock table gateway.deliveries in access exclusive mode');
        const first = delivery('held-1');
        const claims = [bounded.claim(first), bounded.claim(delivery('held-2'))];
        for (const claim of claims) await expect(claim).rejects.toBeInstanceOf(TransientError);
        await holder.query('commit');
        // What the client's retry with the same deliveryId finds: the claim it was told to retry, as
        // its statement was under way; the claim still queued behind it was dropped, never stored.
        await waitFor('the first claim to be stored', async () => ((await bounded.get(first.requestKey)) ? true : undefined));
        // Any later claim through the same queue shows what it still held. A loaded machine may take
        // longer than the short deadline for it: then it is retried, as a client would.
        await waitFor('a later claim through the same queue', async () =>
          (await bounded.claim(delivery('held-3')).catch(() => undefined)) ? true : undefined,
        );
        expect(await bounded.get('alice:held-2')).toBeUndefined();
      } finally {
        await holder.end();
      }
    },
  );
});

describe('retention', () => {
  it('purges the deliveries past their expiry in batches, and keeps the others', async () => {
    const expired = ['purge-1', 'purge-2', 'purge-3', 'purge-4', 'purge-5'].map(delivery);
    const kept = delivery('purge-kept');
    for (const d of [...expired, kept]) expect((await store.claim(d)).claimed).toBe(true);
    await db.query("update gateway.deliveries set expires_at = now() - interval '1 minute' where request_key in (?, ?, ?, ?, ?)", [
      ...expired.map((d) => d.requestKey),
    ]);
    // Batches of two: three statements, the last one short.
    expect(await store.purgeExpired(2)).toBe(5);
    for (const d of expired) expect(await store.get(d.requestKey)).toBeUndefined();
    expect(await store.get(kept.requestKey)).toMatchObject({ requestKey: kept.requestKey });
    expect(await store.purgeExpired(2)).toBe(0);
  });
});

describe('storing outcomes as answers', () => {
  // Storing answers touches only the deliveries table; the bus parts are not reached.
  const publisher = (over: DeliveryStore = store) =>
    new RequestPublisher(undefined as never, over, undefined as never, undefined as never, createLogger('test', 'silent'));
  const applied = (name: string): OutcomePayload => ({
    result: 'applied',
    id: randomUUID(),
    kind: 'AgentRun',
    verb: 'create',
    created: true,
    resource: { apiVersion: 'agents.proompteng.ai/v1alpha1', kind: 'AgentRun', metadata: { name, namespace: 'team-a' } } as never,
  });

  it('answers a waiter with the answer another path stored first, not with its own', async () => {
    const d = delivery('outcome-1');
    await store.claim(d);
    const first = await publisher().store(d.requestKey, 1, applied('first'));
    expect(first.stored).toBe(true);
    const second = await publisher().record(d.requestKey, 1, applied('second'));
    expect(second).toEqual(first.response);
    expect(JSON.parse(second!.body)).toMatchObject({ metadata: { name: 'first' } });
  });

  const notNow = (): OutcomePayload => ({
    result: 'rejected',
    id: randomUUID(),
    kind: 'AgentRun',
    verb: 'create',
    error: { code: 'concurrency_limit', detail: 'not now' },
  });

  it("answers a waiter with the retryable refusal another replica stored first, and reports no write for an earlier attempt's late copy", async () => {
    const d = delivery('outcome-6');
    await store.claim(d);
    const first = await publisher().store(d.requestKey, 1, notNow());
    expect(first.stored).toBe(true);
    // Another replica, whose waiter got the same outcome a moment later.
    expect(await publisher().record(d.requestKey, 1, notNow())).toEqual(first.response);

    // The client retried: attempt 2 is under way when attempt 1's outcome comes once more.
    await store.reopen((await store.get(d.requestKey))!);
    expect((await publisher().store(d.requestKey, 1, notNow())).stored).toBe(false);
    expect(await publisher().record(d.requestKey, 1, notNow())).toBeUndefined();
    expect((await store.get(d.requestKey))?.state).toBe('pending');
  });

  it('stores an outcome once, however many paths deliver it', async () => {
    const d = delivery('outcome-2');
    await store.claim(d);
    const answer = await publisher().record(d.requestKey, 1, applied('only'));
    expect((await publisher().store(d.requestKey, 1, applied('late'))).stored).toBe(false);
    expect(storedResponse((await store.get(d.requestKey))!)).toEqual(answer);
  });

  /** One replica whose deliveries statements are recorded. */
  const countedReplica = () => {
    const statements: string[] = [];
    const counted = new DeliveryStore({ ...db, query: (sql, params) => (statements.push(sql), db.query(sql, params)) }, 24);
    return { statements, replica: publisher(counted) };
  };

  it('sends no statement for the second copy of an outcome this replica already stored', async () => {
    const d = delivery('outcome-3');
    await store.claim(d);
    const { replica, statements } = countedReplica();
    const waiter = await replica.record(d.requestKey, 1, applied('once'));
    const before = statements.length;
    const consumer = await replica.store(d.requestKey, 1, applied('once'));
    expect(statements.length).toBe(before);
    expect(consumer).toEqual({ stored: false, storedHere: true, response: waiter });
    expect(storedResponse((await store.get(d.requestKey))!)).toEqual(waiter);
  });

  it('answers with what this replica stored when a later copy of the same attempt differs', async () => {
    // A provisioner that crashed after publishing publishes again on redelivery, from the object as
    // it is by then: the stream drops the copy by its dedup ID, but a waiter's plain subscription sees it.
    const d = delivery('outcome-5');
    await store.claim(d);
    const { replica } = countedReplica();
    const first = await replica.store(d.requestKey, 1, applied('as-created'));
    const waiter = await replica.record(d.requestKey, 1, applied('as-read-later'));
    expect(waiter).toEqual(first.response);
    expect(storedResponse((await store.get(d.requestKey))!)).toEqual(waiter);
    const [a, b] = await Promise.all([
      replica.store(d.requestKey, 1, applied('third')),
      replica.record(d.requestKey, 1, applied('fourth')),
    ]);
    expect(a.response).toEqual(first.response);
    expect(b).toEqual(first.response);
  });

  it('writes once when both copies of an outcome arrive at the same time', async () => {
    const d = delivery('outcome-4');
    await store.claim(d);
    const { replica, statements } = countedReplica();
    const [waiter, consumer] = await Promise.all([
      replica.record(d.requestKey, 1, applied('both')),
      replica.store(d.requestKey, 1, applied('both')),
    ]);
    // One write, and no read back: whichever copy came second knows the answer this replica stored.
    expect(statements.map((sql) => sql.trim().split(/\s+/)[0])).toEqual(['update']);
    expect(consumer.response).toEqual(waiter);
  });
});
