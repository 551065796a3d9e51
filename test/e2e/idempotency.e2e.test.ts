import { CustomObjectsApi } from '@kubernetes/client-node';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSUMERS, deadLetterInfo, STREAM_NAMES, SUBJECTS } from '@jangar/contracts';
import { deliveryLabelValue, requestKeyFor } from '@jangar/service-kit';
import { api, createAgent, eventually, kubeConfigOf, testStack } from '../support/stack.js';
import { stuckRunBody } from '../support/fixtures.js';

const DEDUP_WINDOW_MS = 1_000;
const tokens = [
  { token: 'alice-token-123', subject: 'alice', namespaces: ['team-a'] },
  { token: 'bob-token-12345', subject: 'bob', namespaces: ['team-a'] },
];

let stack: Awaited<ReturnType<typeof testStack>>;
let alice: ReturnType<typeof api>;
let bob: ReturnType<typeof api>;
let nc: NatsConnection;
let kube: CustomObjectsApi;

const run = (text = 'do the thing', labels: Record<string, string> = {}) => ({
  metadata: { namespace: 'team-a', labels },
  spec: { agentRef: { name: 'coder' }, runtime: { type: 'job' }, implementation: { inline: { text } } },
});

/** Custom resources created for one caller's deliveryId, found by the label the provisioner sets. */
async function resourcesFor(subject: string, deliveryId: string): Promise<number> {
  const list = (await kube.listNamespacedCustomObject({
    group: 'agents.proompteng.ai',
    version: 'v1alpha1',
    namespace: 'team-a',
    plural: 'agentruns',
    labelSelector: `jangar.proompteng.ai/delivery=${deliveryLabelValue(requestKeyFor(subject, deliveryId))}`,
  })) as { items: unknown[] };
  return list.items.length;
}

/** AgentRuns named `name` in `namespace`. */
async function resourcesIn(namespace: string, name: string): Promise<number> {
  const list = (await kube.listNamespacedCustomObject({
    group: 'agents.proompteng.ai',
    version: 'v1alpha1',
    namespace,
    plural: 'agentruns',
    fieldSelector: `metadata.name=${name}`,
  })) as { items: unknown[] };
  return list.items.length;
}

async function auditEventsFor(deliveryId: string, actor = 'alice'): Promise<number> {
  const { rows } = await stack.db.query('select count(*)::int as n from audit.audit_events where delivery_id = $1 and actor = $2', [
    deliveryId,
    actor,
  ]);
  return rows[0].n as number;
}

/** Waits until audit has recorded the request, so "exactly one" is checked after the work is done. */
const audited = (deliveryId: string, actor = 'alice') =>
  eventually(`the audit event of ${deliveryId}`, async () => ((await auditEventsFor(deliveryId, actor)) > 0 ? true : undefined));

beforeAll(async () => {
  stack = await testStack({
    env: {
      JANGAR_API_TOKENS: JSON.stringify(tokens),
      JANGAR_DEDUP_WINDOW_MS: String(DEDUP_WINDOW_MS),
      JANGAR_ACK_WAIT_MS: '2000',
      JANGAR_WAIT_MS: '1500',
      JANGAR_RECOVERY_SWEEP_MS: '500',
      JANGAR_IDEMPOTENCY_PURGE_INTERVAL_MS: '500',
    },
  });
  alice = api(stack.gatewayUrl, 'alice-token-123');
  bob = api(stack.gatewayUrl, 'bob-token-12345');
  nc = await connect({ servers: stack.natsUrl });
  kube = kubeConfigOf(stack).makeApiClient(CustomObjectsApi);
  await createAgent(stack, 'team-a');
});

afterAll(async () => {
  await nc?.close();
  await stack?.close();
});

describe('idempotency with deliveryId', () => {
  it('replays from the database after the JetStream duplicate window, and a redelivered request creates nothing', async () => {
    const first = await alice.post('/v1/agent-runs', { deliveryId: 'late-retry', ...run() });
    expect(first.status).toBe(201);
    await audited('late-retry');
    const published = Date.now();
    // The behaviour under test is what happens once the server forgets the dedup ID: let that time pass.
    await eventually('the duplicate window to pass', async () => (Date.now() - published > DEDUP_WINDOW_MS * 2 ? true : undefined));

    const retry = await alice.post('/v1/agent-runs', { deliveryId: 'late-retry', ...run() });
    expect(retry.status).toBe(201);
    expect(retry.text).toBe(first.text);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');

    // Re-publish the original request itself, past the window: JetStream accepts it as new, so
    // policy, provisioner and audit all see it again — and still nothing is created twice.
    const { rows } = await stack.db.query("select message from gateway.deliveries where delivery_id = 'late-retry'");
    const message = rows[0].message;
    const ack = await jetstream(nc).publish(SUBJECTS.request.subject({ kind: 'agentrun', verb: 'create' }), JSON.stringify(message), {
      msgID: message.requestKey,
    });
    expect(ack.duplicate).toBe(false);
    // The redelivery leaves no trace of its own to wait on (audit dedups it). A marker request
    // published after it on the same subject does: policy, provisioner and audit take both in order,
    // so once the marker is audited the redelivery has been through them too.
    const marker = await alice.post('/v1/agent-runs', { deliveryId: 'late-retry-marker', ...run('marker') });
    expect(marker.status).toBe(201);
    await audited('late-retry-marker');
    const again = await alice.post('/v1/agent-runs', { deliveryId: 'late-retry', ...run() });
    expect(again.text).toBe(first.text);
    expect(await resourcesFor('alice', 'late-retry')).toBe(1);
    expect(await auditEventsFor('late-retry')).toBe(1);
  });

  it('gives 50 parallel requests with one deliveryId one resource, one audit event and 50 identical answers', async () => {
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => alice.post('/v1/agent-runs', { deliveryId: 'burst-1', ...run('burst') })),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(50).fill(201));
    expect(new Set(answers.map((a) => a.text)).size).toBe(1);
    expect(answers.filter((a) => a.headers.get('idempotent-replayed') === 'true')).toHaveLength(49);
    await audited('burst-1');
    expect(await resourcesFor('alice', 'burst-1')).toBe(1);
    expect(await auditEventsFor('burst-1')).toBe(1);
  });

  it('refuses the same deliveryId with a different body (422) and creates nothing for it', async () => {
    const first = await alice.post('/v1/agent-runs', { deliveryId: 'reused-1', ...run('one') });
    expect(first.status).toBe(201);
    const other = await alice.post('/v1/agent-runs', { deliveryId: 'reused-1', ...run('two') });
    expect(other.status).toBe(422);
    expect(other.json).toMatchObject({ code: 'idempotency_key_reused', errors: [{ path: 'deliveryId' }] });
    await audited('reused-1');
    expect(await resourcesFor('alice', 'reused-1')).toBe(1);
    expect(await auditEventsFor('reused-1')).toBe(1);
  });

  it("keeps two principals' equal keys apart", async () => {
    const a = await alice.post('/v1/agent-runs', { deliveryId: 'shared-key', ...run('alice work') });
    const b = await bob.post('/v1/agent-runs', { deliveryId: 'shared-key', ...run('bob work') });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.json!.id).not.toBe(a.json!.id);
    expect(b.json!.spec.implementation.inline.text).toBe('bob work');
    expect((await bob.post('/v1/agent-runs', { deliveryId: 'shared-key', ...run('bob work') })).text).toBe(b.text);
    expect(await resourcesFor('alice', 'shared-key')).toBe(1);
    expect(await resourcesFor('bob', 'shared-key')).toBe(1);
  });

  it('ignores an Idempotency-Key on reads', async () => {
    const created = await alice.post('/v1/agent-runs', { ...run() }, { 'idempotency-key': 'read-check' });
    expect(created.status).toBe(201);
    const read = await alice.get(`/v1/runs/${created.json!.id}`, { 'idempotency-key': 'anything' });
    expect(read.status).toBe(200);
  });

  it('answers 409 request_in_progress with Retry-After while the first request is still in flight', async () => {
    await stack.kill('policy');
    const first = await alice.post('/v1/agent-runs', { deliveryId: 'in-flight', ...run() });
    expect(first.status).toBe(202);
    expect(first.headers.get('location')).toBe(`/v1/runs/${first.json!.id}`);
    const retry = await alice.post('/v1/agent-runs', { deliveryId: 'in-flight', ...run() });
    expect(retry.status).toBe(409);
    expect(retry.headers.get('retry-after')).toBe('1');
    expect(retry.json).toMatchObject({ code: 'request_in_progress' });

    await stack.restart('policy');
    const done = await eventually('the request to complete', async () => {
      const r = await alice.post('/v1/agent-runs', { deliveryId: 'in-flight', ...run() });
      return r.status === 201 ? r : undefined;
    });
    expect(done.json!.id).toBe(first.json!.id);
    expect(await resourcesFor('alice', 'in-flight')).toBe(1);
  });
});

describe('crashes lose nothing and duplicate nothing', () => {
  it('recovers when the provisioner dies after creating the resource but before acking', async () => {
    await stack.restart('provisioner', { JANGAR_FAULTS: 'provisioner.after-create' });
    const [provisioner] = stack.processes('provisioner');
    const first = await alice.post('/v1/agent-runs', { deliveryId: 'crash-provisioner', ...run() });
    expect(first.status).toBe(202);
    await provisioner!.exited;
    expect(await resourcesFor('alice', 'crash-provisioner')).toBe(1);

    await stack.restart('provisioner', {});
    const retry = await eventually('the final result', async () => {
      const r = await alice.post('/v1/agent-runs', { deliveryId: 'crash-provisioner', ...run() });
      return r.status === 201 ? r : undefined;
    });
    expect(retry.json!.id).toBe(first.json!.id);
    await audited('crash-provisioner');
    expect(await resourcesFor('alice', 'crash-provisioner')).toBe(1);
    expect(await auditEventsFor('crash-provisioner')).toBe(1);
  });

  it('answers a delete the provisioner carried out but died before answering as done, not 404, on the retry', async () => {
    const created = await alice.post('/v1/agent-runs', { deliveryId: 'doomed', ...run() });
    expect(created.status).toBe(201);
    const { name } = created.json!.metadata as { name: string };
    await stack.restart('provisioner', { JANGAR_FAULTS: 'provisioner.after-delete' });
    const [provisioner] = stack.processes('provisioner');
    const first = await alice.delete(`/v1/agent-runs/team-a/${name}`, 'crash-delete');
    expect(first.status).toBe(202);
    await provisioner!.exited;
    expect(await resourcesFor('alice', 'doomed')).toBe(0);

    // Redelivered, the delete finds nothing to delete: its tombstone says this request removed it.
    await stack.restart('provisioner', {});
    const retry = await eventually('the final answer of the delete', async () => {
      const r = await alice.delete(`/v1/agent-runs/team-a/${name}`, 'crash-delete');
      return r.status === 202 ? undefined : r;
    });
    expect(retry.status).toBe(200);
    expect(retry.json).toMatchObject({ kind: 'AgentRun', metadata: { name } });
    // A delete of the same name under a new deliveryId is another request, and finds nothing.
    expect((await alice.delete(`/v1/agent-runs/team-a/${name}`, 'delete-again')).status).toBe(404);
  });

  it('answers a request redelivered after its refusal was published with that refusal, not a second decision', async () => {
    const NS = 'redeliver';
    const dev = api(stack.gatewayUrl, stack.devToken);
    const stuck = (deliveryId: string) => stuckRunBody(NS, deliveryId);
    await createAgent(stack, NS);
    const limits = { deliveryId: 'redeliver-limits', metadata: { namespace: NS, name: 'limits' }, spec: { concurrency: { namespace: 1 } } };
    expect((await dev.post('/v1/guardrails', limits)).status).toBe(201);
    // Runs take slots until policy's informer has the guardrail, and then the namespace is full.
    let probe = 0;
    await eventually('the namespace to be at its limit of one run', async () =>
      (await dev.post('/v1/agent-runs', stuck(`redeliver-holder-${++probe}`))).status === 429 ? true : undefined,
    );

    await stack.restart('policy', { JANGAR_FAULTS: 'policy.after-decision' });
    const [policy] = stack.processes('policy');
    // Refused at the limit: the decision is published, and policy dies before the outcome.
    expect((await dev.post('/v1/agent-runs', stuck('redelivered'))).status).toBe(202);
    await policy!.exited;
    // While policy is down, the namespace's runs end: decided again, the request would now be admitted.
    await stack.db.query('update policy.run_slots set released_at = now() where namespace = $1', [NS]);
    await stack.restart('policy', {});

    // Read from the gateway's store, not by posting again: a retry after a 429 is a new attempt.
    const answer = await eventually('the redelivered request to be answered', async () => {
      const { rows } = await stack.db.query(
        "select state, status_code, response_body from gateway.deliveries where delivery_id = 'redelivered' and state <> 'pending'",
      );
      return rows[0] as { state: string; status_code: number; response_body: string } | undefined;
    });
    expect(answer).toMatchObject({ state: 'retryable', status_code: 429 });
    expect(JSON.parse(answer.response_body)).toMatchObject({ code: 'concurrency_limit' });
    expect(await resourcesIn(NS, 'redelivered')).toBe(0);
  });

  it('never starts a queued run deleted before its create came back from a policy replica that died having queued it', async () => {
    const NS = 'queue-crash';
    const dev = api(stack.gatewayUrl, stack.devToken);
    await createAgent(stack, NS);
    const guardrail = { metadata: { namespace: NS, name: 'queue' }, spec: { concurrency: { namespace: 1 }, queue: {} } };
    expect((await dev.post('/v1/guardrails', { deliveryId: 'queue-crash-guardrail', ...guardrail })).status).toBe(201);
    // Runs take slots until policy's informer has the guardrail, and then a run waits in the queue;
    // deleted, it leaves the queue empty again.
    let probe = 0;
    await eventually('a run to wait in the queue', async () =>
      (await dev.post('/v1/agent-runs', stuckRunBody(NS, `queue-crash-holder-${++probe}`))).status === 202 ? true : undefined,
    );
    expect((await dev.delete(`/v1/agent-runs/${NS}/queue-crash-holder-${probe}`, 'queue-crash-probe-delete')).status).toBe(200);

    // An ack wait long enough that the delete below is surely handled before the create comes back.
    const slowAck = { JANGAR_ACK_WAIT_MS: '8000' };
    await stack.restart('policy', { ...slowAck, JANGAR_FAULTS: 'policy.after-enqueue' });
    const [policy] = stack.processes('policy');
    // Queued, and policy dies before it keeps or publishes that decision; respond-async answers at once.
    expect((await dev.post('/v1/agent-runs', stuckRunBody(NS, 'queue-crash'), { prefer: 'respond-async' })).status).toBe(202);
    await policy!.exited;
    // While policy is down, the namespace's runs end: decided again, the create would now be admitted.
    await stack.db.query('update policy.run_slots set released_at = now() where namespace = $1', [NS]);
    await stack.restart('policy', slowAck);
    // The user deletes the waiting run, and the new replica cancels it.
    expect((await dev.delete(`/v1/agent-runs/${NS}/queue-crash`, 'queue-crash-delete')).status).toBe(200);

    // One ack wait after the dead replica took it, the create comes back; whatever it leads to is done
    // once policy and the provisioner have nothing pending.
    const jsm = await jetstreamManager(nc);
    const idle = (def: { stream: string; durable: string }) => async () => {
      const info = await jsm.consumers.info(def.stream, def.durable);
      return info.num_ack_pending === 0 && info.num_pending === 0 ? true : undefined;
    };
    await eventually('policy to have handled the create again', idle(CONSUMERS.policyRequests));
    await eventually('the provisioner to have handled every allowed request', idle(CONSUMERS.provisionerAllowed));
    await stack.restart('policy', {});

    expect(await resourcesIn(NS, 'queue-crash')).toBe(0);
    const cancelled = (await dev.get(`/v1/queue?namespace=${NS}&state=Cancelled`)).json.items as Array<{ deliveryId: string }>;
    expect(cancelled.map((q) => q.deliveryId)).toContain('queue-crash');
    const answer = await dev.post('/v1/agent-runs', stuckRunBody(NS, 'queue-crash'));
    expect(answer.status).toBe(410);
    expect(answer.json).toMatchObject({ code: 'run_cancelled' });
  });

  it('recovers when the gateway dies after publishing but before answering', async () => {
    await stack.restart('api-gateway', { JANGAR_FAULTS: 'gateway.after-publish' });
    await expect(alice.post('/v1/agent-runs', { deliveryId: 'crash-gateway', ...run() })).rejects.toThrow();
    await stack.restart('api-gateway', {});
    const retry = await eventually('the final result', async () => {
      const r = await alice.post('/v1/agent-runs', { deliveryId: 'crash-gateway', ...run() });
      return r.status === 201 ? r : undefined;
    });
    expect(retry.json).toMatchObject({ kind: 'AgentRun' });
    await audited('crash-gateway');
    expect(await resourcesFor('alice', 'crash-gateway')).toBe(1);
    expect(await auditEventsFor('crash-gateway')).toBe(1);
  });

  it('publishes a request the gateway claimed but never published, without any retry', async () => {
    await stack.restart('api-gateway', { JANGAR_FAULTS: 'gateway.after-claim' });
    await expect(alice.post('/v1/agent-runs', { deliveryId: 'crash-claim', ...run() })).rejects.toThrow();
    await stack.restart('api-gateway', {});
    await audited('crash-claim');
    expect(await resourcesFor('alice', 'crash-claim')).toBe(1);
    const replay = await alice.post('/v1/agent-runs', { deliveryId: 'crash-claim', ...run() });
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
  });

  it.each([
    ['policy', 'policy.before-decide', CONSUMERS.policyRequests.durable],
    ['provisioner', 'provisioner.before-apply', CONSUMERS.provisionerAllowed.durable],
  ] as const)(
    'answers 500, and replays it, when %s cannot process a request, instead of never answering; the request is parked',
    async (service, fault, durable) => {
      // A bug in the service, met by this request on every delivery; given up on at the second.
      await stack.restart(service, { JANGAR_FAULTS: `${fault}=throw`, JANGAR_POISON_AFTER_DELIVERIES: '2' });
      const deliveryId = `cannot-process-${service}`;
      const send = () => alice.post('/v1/agent-runs', { deliveryId, ...run() });
      const answer = await eventually('the final answer', async () => {
        const r = await send();
        return r.status === 500 ? r : undefined;
      });
      expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(answer.json).toMatchObject({ status: 500, code: 'internal' });
      // What failed is in the service's log, not in the answer.
      expect(JSON.stringify(answer.json)).not.toContain('injected');

      const replay = await send();
      expect([replay.status, replay.json]).toEqual([500, answer.json]);
      await audited(deliveryId);
      expect(await auditEventsFor(deliveryId)).toBe(1);
      expect(await resourcesFor('alice', deliveryId)).toBe(0);
      // Given up on, not lost: the message is in the dead letters as it was delivered, with why.
      const parked = await (
        await jetstreamManager(nc)
      ).streams.getMessage(STREAM_NAMES.deadLetters, {
        last_by_subj: SUBJECTS.deadLetter.filter({ consumer: durable }),
      });
      expect(parked?.json<{ deliveryId: string }>().deliveryId).toBe(deliveryId);
      expect(deadLetterInfo(parked!.header)).toMatchObject({ consumer: durable, reason: 'poison', deliveryCount: 2, answered: true });
      await stack.restart(service, {});
    },
  );
});

describe('retention', () => {
  it('purges deliveries past their retention', async () => {
    await stack.db.query(
      `insert into gateway.deliveries (request_key, principal, delivery_id, fingerprint, resource_id, kind, verb, namespace, message, expires_at)
       values ('expired:key', 'alice', 'expired', 'f', gen_random_uuid(), 'AgentRun', 'create', 'team-a', '{}'::jsonb, now() - interval '1 second')`,
    );
    await eventually('the expired delivery to be purged', async () => {
      const { rows } = await stack.db.query("select 1 from gateway.deliveries where request_key = 'expired:key'");
      return rows.length === 0 ? true : undefined;
    });
  });
});
