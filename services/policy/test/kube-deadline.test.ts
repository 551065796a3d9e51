import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentRun } from '@jangar/contracts';
import { TransientError } from '@jangar/service-kit';
import { budgetStatusPatcher } from '../src/budget-usage.js';
import { readCurrentFrom } from '../src/subject.js';
import { stalledApiServer, type StalledApiServer } from '../../../test/support/stalled-api-server.js';

let stalled: StalledApiServer;

beforeAll(async () => {
  stalled = await stalledApiServer();
});

afterAll(async () => {
  await stalled?.close();
});

// Without the deadlines each call waits undici's five minutes: these tests then fail at their own limit.
const LIMIT = { timeout: 20_000 };
describe("policy's calls to an API server that does not answer", () => {
  it('gives up reading the object a patch applies to at its deadline, as a transient failure', LIMIT, async () => {
    await expect(readCurrentFrom(stalled.api, 300)(AgentRun, 'team-a', 'r1')).rejects.toBeInstanceOf(TransientError);
  });

  it("gives up a Budget's status patch at its deadline, so the Budget's lock is not held for it", LIMIT, async () => {
    await expect(budgetStatusPatcher(stalled.api, 300)('team-a', 'monthly', { runs: 1 })).rejects.toThrow();
  });
});
