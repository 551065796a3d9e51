import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DecisionPayload } from '@jangar/contracts';
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
