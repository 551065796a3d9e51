import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { api, createAgent, eventually, kubeConfigOf, testStack } from '../support/stack.js';
import { TEAM_TOKENS } from '../support/fixtures.js';

const tokens = TEAM_TOKENS;
let stack: Awaited<ReturnType<typeof testStack>>;
let dev: ReturnType<typeof api>;
let alice: ReturnType<typeof api>;
let bob: ReturnType<typeof api>;

interface Run {
  id: string;
  name: string;
  namespace: string;
  phase: string;
  resourceVersion: string;
  createdAt: string;
  labels: Record<string, string>;
}

/** The runs of the listing suite in team-a: `n` names them, the rest are what selectors test. */
const LISTED: Array<{ n: string; labels: Record<string, string>; stuck?: boolean }> = [
  { n: 'a0', labels: { app: 'web', tier: '1' } },
  { n: 'a1', labels: { app: 'api', tier: '2' } },
  { n: 'a2', labels: { app: 'web', tier: '3', canary: 'true' } },
  { n: 'a3', labels: { app: 'db' } },
  // Stays Running, so phase filters have two phases to tell apart.
  { n: 'a4', labels: { app: 'worker' }, stuck: true },
];

const runBody = (namespace: string, deliveryId: string, labels: Record<string, string>, annotations?: Record<string, string>) => ({
  deliveryId,
  metadata: { namespace, labels, ...(annotations ? { annotations } : {}) },
  spec: { agentRef: { name: 'coder' }, runtime: { type: 'job' }, implementation: { inline: { text: 'list me' } } },
});

const names = (items: Run[]) => items.map((r) => r.labels.n).sort();
const selector = (s: string) => `/v1/runs?labelSelector=${encodeURIComponent(`suite=list,${s}`)}`;

beforeAll(async () => {
  stack = await testStack({ env: { JANGAR_API_TOKENS: JSON.stringify(tokens) } });
  dev = api(stack.gatewayUrl, stack.devToken);
  alice = api(stack.gatewayUrl, 'alice-token-123');
  bob = api(stack.gatewayUrl, 'bob-token-12345');
  for (const ns of ['team-a', 'team-b']) {
    await createAgent(stack, ns);
  }
  for (const r of LISTED) {
    const annotations = r.stuck ? { 'jangar.proompteng.ai/sim-scenario': 'stuck' } : undefined;
    const res = await alice.post('/v1/agent-runs', runBody('team-a', `list-${r.n}`, { suite: 'list', n: r.n, ...r.labels }, annotations));
    expect(res.status).toBe(201);
  }
  expect((await bob.post('/v1/agent-runs', runBody('team-b', 'list-b0', { suite: 'list', n: 'b0', app: 'web' }))).status).toBe(201);
  // Every run reaches its last phase: a4 Running, the others Succeeded.
  await eventually('the listed runs to settle', async () => {
    const all = (await dev.get('/v1/runs?labelSelector=suite%3Dlist')).json?.items as Run[] | undefined;
    const settled = all?.filter((r) => r.phase === (r.labels.n === 'a4' ? 'Running' : 'Succeeded'));
    return settled?.length === LISTED.length + 1 ? true : undefined;
  });
});

afterAll(async () => {
  await stack?.close();
});

describe('GET /v1/runs', () => {
  it.each([
    ['app=web', ['a0', 'a2']],
    ['app==web', ['a0', 'a2']],
    ['app!=web', ['a1', 'a3', 'a4']],
    ['app in (api,db)', ['a1', 'a3']],
    ['app notin (web,api)', ['a3', 'a4']],
    ['canary', ['a2']],
    ['!tier', ['a3', 'a4']],
    ['tier>1', ['a1', 'a2']],
    ['tier<2', ['a0']],
    ['app=web,tier notin (1)', ['a2']],
  ])('selects %s', async (s, expected) => {
    const res = await alice.get(selector(s));
    expect(res.status).toBe(200);
    expect(names(res.json.items)).toEqual(expected);
  });

  it('filters by phase and type', async () => {
    expect(names((await alice.get(`${selector('n')}&phase=Succeeded`)).json.items)).toEqual(['a0', 'a1', 'a2', 'a3']);
    expect(names((await alice.get(`${selector('n')}&phase=Running`)).json.items)).toEqual(['a4']);
    expect(names((await alice.get(`${selector('n')}&phase=Running,Failed`)).json.items)).toEqual(['a4']);
    expect(names((await alice.get(`${selector('n')}&type=AgentRun`)).json.items)).toHaveLength(LISTED.length);
    expect((await alice.get(`${selector('n')}&type=OrchestrationRun`)).json.items).toEqual([]);
  });

  it('lists newest first and pages without duplicates or gaps', async () => {
    const all = (await alice.get(selector('n'))).json.items as Run[];
    const sorted = [...all].sort((x, y) => y.createdAt.localeCompare(x.createdAt) || (y.id < x.id ? -1 : y.id > x.id ? 1 : 0));
    expect(all.map((r) => r.id)).toEqual(sorted.map((r) => r.id));

    const paged: Run[] = [];
    let token: string | undefined;
    do {
      const page = await alice.get(`${selector('n')}&limit=2${token ? `&continue=${encodeURIComponent(token)}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.json.items.length).toBeLessThanOrEqual(2);
      paged.push(...page.json.items);
      token = page.json.continue;
    } while (token);
    expect(paged.map((r) => r.id)).toEqual(all.map((r) => r.id));
    expect((await alice.get('/v1/runs?continue=garbage')).status).toBe(400);
  });

  it("keeps each caller to its token's namespaces", async () => {
    expect(names((await bob.get('/v1/runs?labelSelector=suite%3Dlist')).json.items)).toEqual(['b0']);
    expect((await alice.get('/v1/runs?namespace=team-b')).status).toBe(403);
    expect(names((await dev.get('/v1/runs?labelSelector=suite%3Dlist&namespace=team-b')).json.items)).toEqual(['b0']);
    expect((await dev.get('/v1/runs?labelSelector=suite%3Dlist')).json.items).toHaveLength(LISTED.length + 1);
  });

  it('refuses a bad selector naming the requirement', async () => {
    const res = await alice.get(`/v1/runs?labelSelector=${encodeURIComponent('app=web,tier in (1')}`);
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ code: 'invalid_label_selector', errors: [{ path: 'query.labelSelector' }] });
    expect(res.json.detail).toContain('tier in (1');
  });
});

interface StreamEvent {
  id: string;
  event: string;
  run: Run;
}

/** Reads an event stream to its end. */
async function readEvents(id: string, headers: Record<string, string> = {}): Promise<{ status: number; events: StreamEvent[] }> {
  const res = await fetch(`${stack.gatewayUrl}/v1/runs/${id}/events`, {
    headers: { authorization: 'Bearer alice-token-123', ...headers },
    signal: AbortSignal.timeout(20_000),
  });
  if (res.status !== 200) return { status: res.status, events: [] };
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const text = await res.text();
  const events = text
    .split('\n\n')
    .filter((block) => block.includes('data: '))
    .map((block) => {
      const fields = Object.fromEntries(
        block.split('\n').map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]),
      );
      return { id: fields.id as string, event: fields.event as string, run: JSON.parse(fields.data as string) as Run };
    });
  return { status: res.status, events };
}

/** A run that stays Running, alone in `namespace`: its Jangar id and its object's name. */
async function runningRun(namespace: string): Promise<{ id: string; name: string }> {
  await createAgent(stack, namespace);
  const created = await dev.post(
    '/v1/agent-runs',
    runBody(namespace, `deleted-${namespace}`, { suite: namespace }, { 'jangar.proompteng.ai/sim-scenario': 'stuck' }),
  );
  expect(created.status).toBe(201);
  const { id, metadata } = created.json as { id: string; metadata: { name: string } };
  await eventually('the run to be Running', async () => ((await dev.get(`/v1/runs/${id}`)).json?.phase === 'Running' ? true : undefined));
  return { id, name: metadata.name };
}

/** Deletes a run's object on the API server, as `kubectl delete`, a namespace's deletion or an OrchestrationRun's garbage collection would. */
const deleteOutsideJangar = (namespace: string, name: string) =>
  kubeConfigOf(stack)
    .makeApiClient(CustomObjectsApi)
    .deleteNamespacedCustomObject({ group: 'agents.proompteng.ai', version: 'v1alpha1', namespace, plural: 'agentruns', name });

/** The run once it reads Cancelled, with the condition that says why. */
const cancelled = (id: string) =>
  eventually('the run to read as over', async () => {
    const run = (await dev.get(`/v1/runs/${id}`)).json as {
      phase: string;
      conditions: Array<{ type: string; reason?: string; message?: string }>;
    };
    return run?.phase === 'Cancelled' ? run : undefined;
  });

describe('a run deleted outside Jangar while it runs', () => {
  it('reads as Cancelled, its deletion the version that ends it', async () => {
    const { id, name } = await runningRun('outside');
    await deleteOutsideJangar('outside', name);
    const ended = await cancelled(id);
    expect(ended.conditions).toContainEqual(expect.objectContaining({ type: 'InProgress', status: 'False', reason: 'Cancelled' }));
  });
});

describe('a run deleted while the status-aggregator could not watch', () => {
  it('reads as Cancelled once the aggregator lists again and finds it gone', async () => {
    const { id, name } = await runningRun('unseen');
    // Deleted while no aggregator watches; the API server's restart then forgets its history, so
    // the aggregator's watch cannot resume (410 Gone) and lists again: the deletion is in no
    // event, only in the list's absence of the run.
    await stack.kill('status-aggregator');
    await deleteOutsideJangar('unseen', name);
    await stack.killKubeDev();
    await stack.startKubeDev();
    await stack.revive('status-aggregator', 0);

    const ended = await cancelled(id);
    expect(ended.conditions).toContainEqual(
      expect.objectContaining({
        type: 'InProgress',
        status: 'False',
        reason: 'Cancelled',
        message: expect.stringContaining('no watch saw'),
      }),
    );
    const listed = (await dev.get('/v1/runs?namespace=unseen')).json?.items as Run[];
    expect(listed.map((r) => [r.id, r.phase])).toEqual([[id, 'Cancelled']]);
  });
});

describe('a run made and deleted through Jangar while the status-aggregator could not watch', () => {
  it('reads and lists as Cancelled, as its delete left it, though no watch event or list ever showed it', async () => {
    await createAgent(stack, 'unseen-both');
    await stack.kill('status-aggregator');
    const created = await dev.post(
      '/v1/agent-runs',
      runBody('unseen-both', 'made-unseen', { suite: 'unseen-both' }, { 'jangar.proompteng.ai/sim-scenario': 'stuck' }),
    );
    expect(created.status).toBe(201);
    const { id, metadata } = created.json as { id: string; metadata: { name: string } };
    expect((await dev.delete(`/v1/agent-runs/unseen-both/${metadata.name}`, 'made-unseen-delete')).status).toBe(200);
    // The API server's restart forgets its history: the watch lists again, and the run is in no list.
    await stack.killKubeDev();
    await stack.startKubeDev();
    await stack.revive('status-aggregator', 0);

    const ended = await cancelled(id);
    expect(ended.conditions).toContainEqual(expect.objectContaining({ type: 'InProgress', status: 'False', reason: 'Cancelled' }));
    const listed = await eventually('the run to be listed', async () => {
      const items = (await dev.get('/v1/runs?namespace=unseen-both')).json?.items as Run[] | undefined;
      return items?.length ? items : undefined;
    });
    expect(listed.map((r) => [r.id, r.phase])).toEqual([[id, 'Cancelled']]);
  });
});

const PHASE_ORDER = ['Pending', 'Running', 'Succeeded'];

describe('GET /v1/runs/{id}/events', () => {
  it('streams the phases in order and ends after the terminal one; Last-Event-ID replays only later events', async () => {
    const created = await alice.post('/v1/agent-runs', runBody('team-a', 'sse-0', { suite: 'sse' }));
    expect(created.status).toBe(201);
    const id = created.json.id as string;

    const first = await readEvents(id);
    expect(first.status).toBe(200);
    const phases = first.events.map((e) => e.run.phase);
    expect(phases.at(-1)).toBe('Succeeded');
    const ranks = phases.map((p) => PHASE_ORDER.indexOf(p));
    expect(ranks.every((r, i) => r >= 0 && (i === 0 || r >= ranks[i - 1]!))).toBe(true);
    for (const e of first.events) {
      expect(e.event).toBe('status');
      expect(e.id).toBe(e.run.resourceVersion);
      expect(e.run.id).toBe(id);
    }
    // Versions never go back; one repeats only for a change of the provider alone, which says something new.
    const ids = first.events.map((e) => BigInt(e.id));
    expect(ids.every((v, i) => i === 0 || v >= ids[i - 1]!)).toBe(true);
    const views = first.events.map((e) => JSON.stringify(e.run));
    expect(new Set(views).size).toBe(views.length);

    // The audit history has every transition once the terminal one is recorded.
    const history = await eventually('the recorded transitions', async () => {
      const h = await alice.get(`/v1/runs/${id}/history`);
      const items = h.json?.items as Array<{ phase: string; resourceVersion: string }> | undefined;
      return items?.some((i) => i.phase === 'Succeeded') && items.length >= 2 ? items : undefined;
    });
    const after = history[0]!.resourceVersion;
    const later = history.filter((i) => BigInt(i.resourceVersion) > BigInt(after));

    const again = await readEvents(id, { 'last-event-id': after });
    expect(again.status).toBe(200);
    expect(again.events.map((e) => e.id)).toEqual(later.map((i) => i.resourceVersion));
    expect(again.events.map((e) => e.run.phase)).toEqual(later.map((i) => i.phase));

    // At the last version there is nothing left: the stream ends empty.
    const done = await readEvents(id, { 'last-event-id': first.events.at(-1)!.id });
    expect(done.status).toBe(200);
    expect(done.events).toEqual([]);
  });

  it("answers 404 for another namespace's run", async () => {
    const theirs = await bob.post('/v1/agent-runs', runBody('team-b', 'sse-b', { suite: 'sse' }));
    expect((await readEvents(theirs.json.id)).status).toBe(404);
  });
});
