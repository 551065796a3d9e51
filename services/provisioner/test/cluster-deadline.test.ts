import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kindByName } from '@jangar/contracts';
import { kubeconfigFor } from '@jangar/kube-dev';
import { TransientError } from '@jangar/service-kit';
import { Cluster } from '../src/cluster.js';

// An API server that takes every request and never answers: a stalled control plane.
let stalled: Server;
const held: Socket[] = [];
let cluster: Cluster;

beforeAll(async () => {
  stalled = createServer((req) => held.push(req.socket));
  await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', resolve));
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfigFor(`http://127.0.0.1:${(stalled.address() as AddressInfo).port}`));
  cluster = new Cluster(kc.makeApiClient(CustomObjectsApi), undefined, 300);
});

afterAll(async () => {
  for (const socket of held) socket.destroy();
  await new Promise((resolve) => stalled.close(resolve));
});

describe('a call to an API server that does not answer', () => {
  const agentRun = kindByName('AgentRun')!;
  const body = { apiVersion: 'agents.proompteng.ai/v1alpha1', kind: 'AgentRun', metadata: { name: 'r1', namespace: 'team-a' } };

  it('is abandoned at its deadline as a transient failure, for reads and writes alike', async () => {
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
      // Without the deadline the call waits undici's five minutes, and the test times out.
      expect(failure).toBeInstanceOf(TransientError);
    }
  });
});
