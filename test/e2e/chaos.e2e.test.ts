/**
 * `npm run chaos` in small: a retry storm of a few hundred creates, a share sent twice (some
 * racing their own first attempt), a tenth of the runs deleted once created and a tenth patched,
 * while one of two provisioner replicas, policy, one of two gateway replicas, the Kubernetes API
 * server and nats-server are each killed with SIGKILL and restarted, and Postgres hangs (SIGSTOP)
 * past the gateway's database deadline. A deliveryId's attempts take turns between the two
 * gateways, so retries and racing copies land on the replica that did not take the first.
 * Afterwards the same invariants as the full run must hold.
 */
import { CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultTarget } from '../../scripts/chaos/faults.js';
import { CHAOS_CALLER, describeResult, runChaos } from '../../scripts/chaos/run.js';
import { createAgent, kubeConfigOf, testStack } from '../support/stack.js';

const FAULTS: FaultTarget[] = ['provisioner-1', 'policy', 'api-gateway-1', 'kube-dev', 'nats-server', 'freeze postgres'];

let stack: Awaited<ReturnType<typeof testStack>>;

beforeAll(async () => {
  // Restarts wait for readiness too; on a shared two-core machine a service can take minutes to start.
  stack = await testStack({
    readyTimeoutMs: 300_000,
    // The killed provisioner replica's messages must pass to the one that lives; the killed
    // gateway's clients retry on the other.
    replicas: { provisioner: 2, 'api-gateway': 2 },
    env: { JANGAR_API_TOKENS: JSON.stringify([CHAOS_CALLER]), JANGAR_DB_DEADLINE_MS: '1000' },
  });
  await createAgent(stack, CHAOS_CALLER.namespaces[0]!);
}, 600_000);

afterAll(async () => {
  await stack?.close();
});

describe('chaos', () => {
  it(
    'keeps every invariant through kill -9 of a provisioner replica, policy, a gateway replica, the API server and nats-server, and a hung Postgres, under a retry storm',
    { timeout: 600_000 },
    async () => {
      const lines: string[] = [];
      const result = await runChaos(
        stack,
        { kube: kubeConfigOf(stack).makeApiClient(CustomObjectsApi), db: stack.db },
        {
          total: 300,
          concurrency: 8,
          retryShare: 0.3,
          seed: 10,
          faults: FAULTS,
          freezeMs: 3_000,
          timeoutMs: 60_000,
          log: (l) => lines.push(l),
        },
      );
      expect(result.violations, [...lines, ...describeResult(result)].join('\n')).toEqual([]);
      expect(result.faults.map((f) => f.target)).toEqual(FAULTS);
      expect(result.counts.accepted).toBe(300);
      // About a tenth of the runs were deleted once created and a tenth patched: each change was
      // accepted once, removed or changed its run (verified above) and was audited.
      const deletes = result.counts['deletes accepted'] as number;
      const patches = result.counts['patches accepted'] as number;
      expect(deletes).toBeGreaterThan(0);
      expect(patches).toBeGreaterThan(0);
      expect(result.counts['runs deleted']).toBe(deletes);
      expect(result.counts['runs patched']).toBe(patches);
      expect(result.counts['custom resources']).toBe(300 - deletes);
      expect(result.counts['audit events']).toBe(300 + deletes + patches);
    },
  );
});
