import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DecisionPayload } from '@jangar/contracts';
import { waitFor } from '@jangar/devstack';
import { DecisionStore } from '../src/decisions/store.js';
import { POLICY_DATABASE } from '../src/database.js';
import { scratchDatabase, type ScratchDatabase } from '../../../test/support/database.js';

let scratch: ScratchDatabase;
let decisions: DecisionStore;

beforeAll(async () => {
  scratch = await scratchDatabase('first-decisions', POLICY_DATABASE);
  decisions = new DecisionStore(scratch.db);
});

afterAll(async () => {
  await scratch?.stop();
});

const decision = (verdict: DecisionPayload['verdict']): DecisionPayload => ({
  request: { id: '00000000-0000-4000-8000-000000000001', kind: 'AgentRun', verb: 'create', metadata: { namespace: 'team-a', name: 'r' } },
  verdict,
  mode: 'enforce',
  violations: [],
  policyVersion: 'v1',
  evaluatedAt: '2026-11-26T21:00:00.000Z',
});
const limited = { code: 'concurrency_limit', detail: '1 of 1 runs are active in namespace "team-a"' };

describe('the first decision of an attempt', () => {
  it('is kept with its rejection and read back as it was', async () => {
    const kept = await decisions.keep('alice:d-1', 1, { decision: decision('deny'), error: limited });
    expect(kept).toEqual({ decision: decision('deny'), error: limited });
    expect(await decisions.first('alice:d-1', 1)).toEqual({ decision: decision('deny'), error: limited });
  });

  it('stands against a later decision of the same attempt, which gets the first back', async () => {
    await decisions.keep('alice:d-2', 1, { decision: decision('deny'), error: limited });
    // Redelivered once a slot freed, the attempt would now be admitted: the first decision stands.
    expect(await decisions.keep('alice:d-2', 1, { decision: decision('allow') })).toEqual({ decision: decision('deny'), error: limited });
  });

  it('gives one of two keeps of an attempt in the same batch, and the other finds it', async () => {
    const [a, b] = await Promise.all([
      decisions.keep('alice:d-3', 1, { decision: decision('allow') }),
      decisions.keep('alice:d-3', 1, { decision: decision('deny'), error: limited }),
    ]);
    expect(b).toEqual(a);
    expect(await decisions.first('alice:d-3', 1)).toEqual(a);
  });

  it('keeps each attempt apart: a retry after a retryable refusal is decided afresh', async () => {
    await decisions.keep('alice:d-4', 1, { decision: decision('deny'), error: limited });
    expect(await decisions.first('alice:d-4', 2)).toBeUndefined();
    expect(await decisions.keep('alice:d-4', 2, { decision: decision('allow') })).toEqual({ decision: decision('allow') });
  });
});

describe('the decision that settles a held attempt', () => {
  it('takes the place of the pending one kept while it was held, and then stands as any first decision', async () => {
    await decisions.keep('alice:s-1', 1, { decision: decision('pending') });
    const settling = { decision: decision('allow') };
    expect(await decisions.settle('alice:s-1', 1, settling)).toBe(settling);
    expect(await decisions.first('alice:s-1', 1)).toEqual(settling);
    // A redelivery, or a second try of the same entry, gets it back.
    expect(await decisions.keep('alice:s-1', 1, { decision: decision('deny'), error: limited })).toEqual(settling);
    expect(await decisions.settle('alice:s-1', 1, { decision: decision('deny'), error: limited })).toEqual(settling);
  });

  it('is kept as the first when the replica that held the attempt died before keeping its pending one', async () => {
    const settling = { decision: decision('allow') };
    expect(await decisions.settle('alice:s-2', 1, settling)).toBe(settling);
    expect(await decisions.first('alice:s-2', 1)).toEqual(settling);
  });

  it("gives way to another replica's final decision of the attempt, kept first", async () => {
    await decisions.keep('alice:s-3', 1, { decision: decision('deny'), error: limited });
    expect(await decisions.settle('alice:s-3', 1, { decision: decision('allow') })).toEqual({ decision: decision('deny'), error: limited });
    expect(await decisions.first('alice:s-3', 1)).toEqual({ decision: decision('deny'), error: limited });
  });

  it('waits for a pending decision still being kept, and takes its place once it is', async () => {
    let inserted!: () => void;
    let commit!: () => void;
    const insertedNow = new Promise<void>((r) => (inserted = r));
    const committing = new Promise<void>((r) => (commit = r));
    // The replica that queued the run is keeping its pending decision: written, not yet committed.
    const keeping = scratch.db.transaction(async (q) => {
      await q(`insert into policy.first_decisions (request_key, attempt, decision) values ('alice:s-5', 1, ?::jsonb)`, [
        JSON.stringify(decision('pending')),
      ]);
      inserted();
      await committing;
    });
    await insertedNow;
    const settling = { decision: decision('allow') };
    const settled = decisions.settle('alice:s-5', 1, settling);
    await waitFor('the settling to wait on the keep', async () => {
      const [row] = await scratch.db.query<{ n: string }>(
        `select count(*) as n from pg_stat_activity where wait_event_type = 'Lock' and query like '%into policy.first_decisions%'`,
      );
      return Number(row?.n) > 0;
    });
    commit();
    await keeping;
    expect(await settled).toBe(settling);
    expect(await decisions.first('alice:s-5', 1)).toEqual(settling);
  });

  it('is one of two settlings of an attempt at once, and the other gets it back', async () => {
    await decisions.keep('alice:s-4', 1, { decision: decision('pending') });
    const [a, b] = await Promise.all([
      decisions.settle('alice:s-4', 1, { decision: decision('allow') }),
      decisions.settle('alice:s-4', 1, { decision: decision('deny'), error: limited }),
    ]);
    expect(b).toEqual(a);
    expect(await decisions.first('alice:s-4', 1)).toEqual(a);
  });
});
