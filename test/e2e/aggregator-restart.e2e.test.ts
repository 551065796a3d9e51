import { CustomObjectsApi } from '@kubernetes/client-node';
import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STREAM_NAMES } from '@jangar/contracts';
import { api, createAgent, eventually, kubeConfigOf, testStack } from '../support/stack.js';

const NS = 'restart';
const AR = { group: 'agents.proompteng.ai', version: 'v1alpha1', plural: 'agentruns' } as const;

interface Published {
  subject: string;
  run: { id: string; phase: string; resourceVersion: string };
}

let stack: Awaited<ReturnType<typeof testStack>>;
let dev: ReturnType<typeof api>;
let nc: NatsConnection;
let sub: Subscription;
let custom: CustomObjectsApi;
const published: Published[] = [];

const runOf = (data: Uint8Array | { json(): unknown }) => (data as { json(): { payload: Published } }).json().payload.run;

/** Phases in order with repeats collapsed: a phase may span several published versions. */
const phasesOf = (runs: { phase: string }[]) => runs.map((r) => r.phase).filter((p, i, all) => p !== all[i - 1]);

beforeAll(async () => {
  // Slow steps, so the run is still early in its life when the aggregator dies; and a position
  // written at once, so the kill lands after the first version is recorded and before the next.
  stack = await testStack({ simStepMs: 1_000, serviceEnv: { 'status-aggregator': { JANGAR_STATUS_POSITION_WRITE_MS: '50' } } });
  dev = api(stack.gatewayUrl, stack.devToken);
  nc = await connect({ servers: stack.natsUrl });
  // Core NATS sees every publish, including ones JetStream drops as duplicates.
  sub = nc.subscribe('jangar.run.status.>', {
    callback: (err, msg) => {
      if (!err) published.push({ subject: msg.subject, run: runOf(msg) });
    },
  });
  await nc.flush();
  custom = kubeConfigOf(stack).makeApiClient(CustomObjectsApi);
  await createAgent(stack, NS);
});

afterAll(async () => {
  sub?.unsubscribe();
  await nc?.close();
  await stack?.close();
});

describe('status-aggregator restart', () => {
  it('publishes the transitions made while it was down, each status once', async () => {
    const created = await dev.post('/v1/agent-runs', {
      deliveryId: 'restart-run',
      metadata: { namespace: NS },
      spec: { agentRef: { name: 'coder' }, runtime: { type: 'job' }, implementation: { inline: { text: 'survive a restart' } } },
    });
    expect(created.status, created.text).toBe(201);
    const { id, metadata } = created.json as { id: string; metadata: { name: string; resourceVersion: string } };
    // Killed once it has recorded the run's first version, so it must resume from there.
    await eventually('the aggregator to record the new run', async () => {
      const { rows } = await stack.db.query("select resource_version from status.watch_state where kind = 'AgentRun'");
      return Number(rows[0]?.resource_version) >= Number(metadata.resourceVersion) ? true : undefined;
    });
    await stack.kill('status-aggregator');
    const before = published.filter((m) => m.run.id === id).map((m) => m.run.phase);

    await eventually('the run to finish while the aggregator is down', async () => {
      const obj = (await custom.getNamespacedCustomObject({ ...AR, namespace: NS, name: metadata.name })) as {
        status?: { phase?: string };
      };
      return obj.status?.phase === 'Succeeded' ? true : undefined;
    });
    await stack.restart('status-aggregator');

    const run = await eventually('GET /v1/runs/{id} to be Succeeded', async () => {
      const r = await dev.get(`/v1/runs/${id}`);
      return r.json?.phase === 'Succeeded' ? r.json : undefined;
    });
    expect(run.id).toBe(id);
    await eventually('Succeeded on the subject', async () =>
      published.some((m) => m.run.id === id && m.run.phase === 'Succeeded') ? true : undefined,
    );

    // The Running transition happened while the aggregator was down and is published all the same.
    expect(before, 'published before the kill').not.toContain('Running');
    const seen = published.filter((m) => m.run.id === id);
    // Every stage of this one run: its subjects end in `active`, then `ended`.
    const subject = seen[0]!.subject.replace(/\.[^.]+$/, '.*');
    // A core subscription also gets the re-publishes JetStream drops; a change of the provider
    // alone shares its run's version, so a status is told apart by all it says.
    const views = seen.map((m) => JSON.stringify(m.run));
    const firsts = seen.filter((_, i) => views.indexOf(views[i]!) === i).map((m) => m.run);
    expect(phasesOf(firsts)).toEqual(['Pending', 'Running', 'Succeeded']);
    const rvs = firsts.map((r) => Number(r.resourceVersion));
    expect(rvs).toEqual([...rvs].sort((a, b) => a - b));

    // What the stream kept: every status once, in order (a re-publish after the crash, if any,
    // had the same message id and was dropped).
    const js = jetstream(nc);
    const consumer = await js.consumers.get(STREAM_NAMES.runStatus, { filter_subjects: subject });
    const stored: Published['run'][] = [];
    const batch = await consumer.fetch({ max_messages: 100, expires: 1_000 });
    for await (const msg of batch) stored.push(runOf(msg));
    const storedRvs = stored.map((r) => r.resourceVersion);
    expect(new Set(stored.map((r) => JSON.stringify(r))).size, storedRvs.join(',')).toBe(stored.length);
    expect(phasesOf(stored)).toEqual(['Pending', 'Running', 'Succeeded']);
    expect(storedRvs).toEqual(firsts.map((r) => r.resourceVersion));
  });
});
