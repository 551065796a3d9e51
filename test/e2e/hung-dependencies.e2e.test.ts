/**
 * Dependencies that hang instead of failing: their processes stopped with SIGSTOP, so connections
 * stay open and nothing answers, as in a partition, a stalled disk or a failover in progress. TCP
 * sees nothing wrong; only deadlines notice. The gateway must still answer — 503, retry with the
 * same deliveryId — and the retry once the dependency is back must find what the first attempt did.
 */
import { CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryLabelValue, requestKeyFor } from '@jangar/service-kit';
import { api, createAgent, eventually, kubeConfigOf, testStack } from '../support/stack.js';

const NS = 'hung';
let stack: Awaited<ReturnType<typeof testStack>>;
let client: ReturnType<typeof api>;

beforeAll(async () => {
  stack = await testStack({ env: { JANGAR_DB_DEADLINE_MS: '1000' } });
  client = api(stack.gatewayUrl, stack.devToken);
  await createAgent(stack, NS);
}, 300_000);

afterAll(async () => {
  await stack?.close();
});

const runBody = (deliveryId: string) => ({
  deliveryId,
  metadata: { namespace: NS },
  spec: { agentRef: { name: 'coder' }, runtime: { type: 'job' }, implementation: { inline: { text: deliveryId } } },
});

/** AgentRuns the provisioner created for the dev caller's deliveryId. */
async function resourcesFor(deliveryId: string): Promise<number> {
  const kube = kubeConfigOf(stack).makeApiClient(CustomObjectsApi);
  const list = (await kube.listNamespacedCustomObject({
    group: 'agents.proompteng.ai',
    version: 'v1alpha1',
    namespace: NS,
    plural: 'agentruns',
    labelSelector: `jangar.proompteng.ai/delivery=${deliveryLabelValue(requestKeyFor('dev', deliveryId))}`,
  })) as { items: unknown[] };
  return list.items.length;
}

describe('while Postgres hangs', () => {
  it('the gateway answers 503 at its database deadline and reports itself not ready; the retry once Postgres is back gets the run, created once', async () => {
    await stack.freeze('postgres');
    try {
      const first = await client.post('/v1/agent-runs', runBody('hung-pg-1'));
      expect(first.status).toBe(503);
      expect(first.headers.get('content-type')).toContain('application/problem+json');
      expect(first.headers.get('retry-after')).toBe('1');
      expect(first.json).toMatchObject({ code: 'unavailable' });

      const ready = await client.get('/readyz');
      expect(ready.status).toBe(503);
      expect(ready.json.checks.postgres).toBe(false);
    } finally {
      stack.thaw('postgres');
    }

    const retried = await eventually('the retry to be answered with the run', async () => {
      const res = await client.post('/v1/agent-runs', runBody('hung-pg-1'));
      return res.status === 201 ? res : undefined;
    });
    expect(retried.json.metadata.namespace).toBe(NS);
    await eventually('the run to exist', async () => ((await resourcesFor('hung-pg-1')) > 0 ? true : undefined));
    expect(await resourcesFor('hung-pg-1')).toBe(1);
  });
});
