import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kindByName } from '@jangar/contracts';
import { TransientError } from '@jangar/service-kit';
import { Cluster } from '../src/cluster.js';
import { stalledApiServer, type StalledApiServer } from '../../../test/support/stalled-api-server.js';

let stalled: StalledApiServer;
let cluster: Cluster;

beforeAll(async () => {
  stalled = await stalledApiServer();
  cluster = new Cluster(stalled.api, undefined, 300);
});

afterAll(async () => {
  await stalled?.close();
});

// Without the deadline each call waits undici's five minutes: the test then fails at its own limit.
const LIMIT = { timeout: 20_000 };

describe('a call to an API server that does not answer', () => {
  const agentRun = kindByName('AgentRun')!;
  const body = { apiVersion: 'agents.proompteng.ai/v1alpha1', kind: 'AgentRun', metadata: { name: 'r1', namespace: 'team-a' } };

  it('is abandoned at its deadline as a transient failure, for reads and writes alike', LIMIT, async () => {
    for (const call of [
      () => cluster.get(agentRun, 'team-a', 'r1'),
      () => cluster.create(agentRun, 'team-a', body),
      () => cluster.patchStatus(agentRun, 'team-a', 'r1', { phase: 'Cancelled' }),
      () => cluster.list(agentRun, 'team-a', undefined),
    ]) {
      const failure = await call().then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(failure).toBeInstanceOf(TransientError);
    }
  });
});
