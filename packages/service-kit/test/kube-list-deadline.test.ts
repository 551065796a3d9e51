import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kindByName } from '@jangar/contracts';
import { listClusterWide } from '../src/kube.js';
import { stalledApiServer, type StalledApiServer } from '../../../test/support/stalled-api-server.js';

let stalled: StalledApiServer;

beforeAll(async () => {
  stalled = await stalledApiServer();
});

afterAll(async () => {
  await stalled?.close();
});

describe('a cluster-wide list the API server does not answer', () => {
  // Without the deadline the list waits undici's five minutes: the test then fails at its own limit.
  it('fails at its deadline instead of holding the informer that waits on it', { timeout: 20_000 }, async () => {
    const failure = await listClusterWide(stalled.api, kindByName('AgentRun')!, 300).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(Error);
    expect(String(failure)).toMatch(/abort|timeout/i);
  });
});
