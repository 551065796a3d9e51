/**
 * Replicas scale independently: JetStream splits each durable consumer's work between the replicas
 * of a service, nothing is done twice, and a restart of any service under load loses and
 * duplicates nothing. The work split is read from each replica's Prometheus `/metrics`.
 */
import { CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JANGAR_LABELS } from '@jangar/contracts';
import { deliveryLabelValue, requestKeyFor } from '@jangar/service-kit';
import type { ServiceName } from '@jangar/stack';
import { api, createAgent, eventually, kubeConfigOf, testStack } from '../support/stack.js';
import { metricSample } from '../support/fixtures.js';

const TOKEN = 'alice-token-123';
const REPLICAS = { policy: 2, provisioner: 2, audit: 2 } as const satisfies Partial<Record<ServiceName, number>>;

let stack: Awaited<ReturnType<typeof testStack>>;
let alice: ReturnType<typeof api>;
let kube: CustomObjectsApi;

const run = (text: string) => ({
  metadata: { namespace: 'team-a' },
  spec: { agentRef: { name: 'coder' }, runtime: { type: 'job' }, implementation: { inline: { text } } },
});

const sample = metricSample;

async function scrape(url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`);
  if (!res.ok) throw new Error(`GET ${url}/metrics answered ${res.status}`);
  return res.text();
}

/** Messages each replica of `service` handled on `consumer`, in replica order. */
async function handledPerReplica(service: ServiceName, consumer: string): Promise<number[]> {
  const count = stack.processes(service).length;
  return Promise.all(
    Array.from({ length: count }, async (_, i) =>
      Number(sample(await scrape(stack.healthUrl(service, i)), 'jangar_messages_handled_total', { consumer }) ?? 0),
    ),
  );
}

/** How many custom resources carry each deliveryId's delivery label (one list call). */
async function resourcesPerDelivery(deliveryIds: readonly string[]): Promise<Map<string, number>> {
  const list = (await kube.listNamespacedCustomObject({
    group: 'agents.proompteng.ai',
    version: 'v1alpha1',
    namespace: 'team-a',
    plural: 'agentruns',
  })) as { items: Array<{ metadata: { labels?: Record<string, string> } }> };
  const byLabel = new Map<string, number>();
  for (const item of list.items) {
    const label = item.metadata.labels?.[JANGAR_LABELS.delivery];
    if (label) byLabel.set(label, (byLabel.get(label) ?? 0) + 1);
  }
  return new Map(deliveryIds.map((id) => [id, byLabel.get(deliveryLabelValue(requestKeyFor('alice', id))) ?? 0]));
}

/** Audit events per deliveryId, once every deliveryId has at least one. */
async function auditEventsPerDelivery(deliveryIds: readonly string[]): Promise<Map<string, number>> {
  return eventually(
    `an audit event for each of ${deliveryIds.length} requests`,
    async () => {
      const { rows } = await stack.db.query<{ delivery_id: string; n: number }>(
        "select delivery_id, count(*)::int as n from audit.audit_events where actor = 'alice' and delivery_id = any($1) group by delivery_id",
        [deliveryIds],
      );
      return rows.length === deliveryIds.length ? new Map(rows.map((r) => [r.delivery_id, r.n])) : undefined;
    },
    120_000,
  );
}

const ones = (ids: readonly string[]) => new Map(ids.map((id) => [id, 1]));

beforeAll(async () => {
  stack = await testStack({
    replicas: REPLICAS,
    env: { JANGAR_API_TOKENS: JSON.stringify([{ token: TOKEN, subject: 'alice', namespaces: ['team-a'] }]) },
  });
  alice = api(stack.gatewayUrl, TOKEN);
  kube = kubeConfigOf(stack).makeApiClient(CustomObjectsApi);
  await createAgent(stack, 'team-a');
});

afterAll(async () => {
  await stack?.close();
});

describe('independent scaling', () => {
  it('splits the work of every consumer between replicas and does nothing twice', async () => {
    const N = 60;
    const ids = Array.from({ length: N }, (_, i) => `scale-${i}`);
    const first = new Map<string, number>();
    const queue = [...ids];
    // Ten clients at a time; a 202 is retried with the same deliveryId until its stored 201 replays.
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
          const deliveryId = id;
          const res = await alice.post('/v1/agent-runs', { deliveryId, ...run(deliveryId) });
          first.set(deliveryId, res.status);
          if (res.status === 202) {
            await eventually(`the replayed 201 of ${deliveryId}`, async () => {
              const again = await alice.post('/v1/agent-runs', { deliveryId, ...run(deliveryId) });
              return again.status === 201 ? again : undefined;
            });
          }
        }
      }),
    );
    expect([...first.values()].filter((s) => s !== 201 && s !== 202)).toEqual([]);

    expect(await auditEventsPerDelivery(ids)).toEqual(ones(ids));
    expect(await resourcesPerDelivery(ids)).toEqual(ones(ids));

    // Each consumer saw the Agent's request too; summed over replicas, each message was handled once.
    const expected = N + 1;
    const consumers: Array<[ServiceName, string]> = [
      ['policy', 'policy-requests'],
      ['provisioner', 'provisioner-allowed'],
      ['audit', 'audit-decisions'],
      ['audit', 'audit-outcomes'],
      ['api-gateway', 'gateway-outcomes'],
    ];
    const split = await eventually(
      'every consumer to have handled every message',
      async () => {
        const counts = await Promise.all(
          consumers.map(async ([service, consumer]) => [consumer, await handledPerReplica(service, consumer)] as const),
        );
        return counts.every(([, perReplica]) => perReplica.reduce((a, b) => a + b, 0) >= expected) ? new Map(counts) : undefined;
      },
      30_000,
    );
    for (const [consumer, perReplica] of split) {
      expect({ consumer, total: perReplica.reduce((a, b) => a + b, 0) }).toEqual({ consumer, total: expected });
    }
    // Every replica of a scaled service took part.
    for (const [service, replicas] of Object.entries(REPLICAS) as Array<[ServiceName, number]>) {
      const mine = consumers.filter(([s]) => s === service).map(([, c]) => split.get(c)!);
      expect(mine[0]).toHaveLength(replicas);
      for (let i = 0; i < replicas; i++) {
        expect(
          mine.reduce((sum, perReplica) => sum + perReplica[i]!, 0),
          `${service} replica ${i} handled nothing`,
        ).toBeGreaterThan(0);
      }
    }

    // The provisioner created each resource once (a redelivery would show as a 409 create).
    const provisioners = await Promise.all([0, 1].map((i) => scrape(stack.healthUrl('provisioner', i))));
    const creates = (code: string) =>
      provisioners.reduce(
        (sum, text) => sum + (sample(text, 'jangar_kube_request_seconds_count', { verb: 'create', kind: 'AgentRun', code }) ?? 0),
        0,
      );
    expect(creates('201')).toBe(N);
    expect(creates('409')).toBe(0);

    // Consumer gauges come from JetStream: nothing left pending once the work is done.
    const policyText = await scrape(stack.healthUrl('policy', 1));
    expect(sample(policyText, 'jangar_consumer_pending', { consumer: 'policy-requests', service: 'policy' })).toBe(0);
    expect(sample(policyText, 'jangar_consumer_ack_pending', { consumer: 'policy-requests' })).toBe(0);
    expect(sample(policyText, 'jangar_consumer_redelivered', { consumer: 'policy-requests' })).toBe(0);

    // The gateway serves the same registry on its API port, with the HTTP latency histogram.
    const gatewayText = await scrape(stack.gatewayUrl);
    expect(
      sample(gatewayText, 'jangar_http_request_duration_seconds_count', { method: 'POST', route: '/v1/agent-runs', status: '201' }),
    ).toBeGreaterThanOrEqual(N);
  });

  it('loses and duplicates nothing while each service restarts under load', { timeout: 300_000 }, async () => {
    const TOTAL = 80;
    const ORDER: ServiceName[] = ['policy', 'provisioner', 'status-aggregator', 'audit', 'api-gateway'];
    const perService = TOTAL / ORDER.length;
    const gate = new Gate();
    const answers = new Map<string, { status: number; id?: string; code?: string }>();
    let next = 0;

    /** Sends one request, retrying it with the same deliveryId until the gateway accepts it. */
    const send = async (deliveryId: string) => {
      const res = await eventually(
        `an accepted answer for ${deliveryId}`,
        async () => {
          const r = await alice.post('/v1/agent-runs', { deliveryId, ...run(deliveryId) });
          if (r.status === 503 || (r.status === 409 && r.json?.code === 'request_in_progress')) return undefined;
          return r;
        },
        60_000,
      );
      answers.set(deliveryId, { status: res.status, id: res.json?.id, code: res.json?.code });
    };
    // The load is released in slices around each restart, so every service restarts with requests in flight.
    const workers = Array.from({ length: 4 }, async () => {
      while (await gate.take()) await send(`roll-${next++}`);
    });

    for (const name of ORDER) {
      gate.release(perService / 2);
      await stack.restart(name);
      gate.release(perService / 2);
    }
    await eventually('the load to be sent', async () => (next >= TOTAL ? true : undefined), 120_000);
    gate.close();
    await Promise.all(workers);

    const ids = [...answers.keys()];
    expect(ids).toHaveLength(TOTAL);
    expect([...answers].filter(([, a]) => a.status !== 201 && a.status !== 202)).toEqual([]);

    const unfinished = new Set(ids);
    await eventually(
      'every accepted run to succeed',
      async () => {
        for (const deliveryId of [...unfinished]) {
          const r = await alice.get(`/v1/runs/${answers.get(deliveryId)!.id}`);
          if (r.json?.phase === 'Succeeded') unfinished.delete(deliveryId);
        }
        return unfinished.size === 0 ? true : undefined;
      },
      120_000,
    );
    expect(await auditEventsPerDelivery(ids)).toEqual(ones(ids));
    expect(await resourcesPerDelivery(ids)).toEqual(ones(ids));
  });
});

/** Counts out permits to the load's workers; `take` resolves false once the gate is closed. */
class Gate {
  private permits = 0;
  private closed = false;
  private readonly waiters: Array<(ok: boolean) => void> = [];

  release(n: number): void {
    this.permits += n;
    while (this.permits > 0 && this.waiters.length > 0) {
      this.permits--;
      this.waiters.shift()!(true);
    }
  }

  take(): Promise<boolean> {
    if (this.permits > 0) {
      this.permits--;
      return Promise.resolve(true);
    }
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) waiter(false);
  }
}
