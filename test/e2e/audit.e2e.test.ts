import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUBJECTS } from '@jangar/contracts';
import { api, eventually, testStack } from '../support/stack.js';
import { TEAM_TOKENS } from '../support/fixtures.js';

const tokens = TEAM_TOKENS;
let stack: Awaited<ReturnType<typeof testStack>>;
let dev: ReturnType<typeof api>;
let alice: ReturnType<typeof api>;
let bob: ReturnType<typeof api>;
let nc: NatsConnection;

const run = (namespace: string, extra: object = {}) => ({
  metadata: { namespace },
  spec: { agentRef: { name: 'coder' }, runtime: { type: 'job' }, implementation: { inline: { text: 'audit me' } } },
  ...extra,
});

async function auditCount(where: string, params: unknown[] = []): Promise<number> {
  const { rows } = await stack.db.query(`select count(*)::int as n from audit.audit_events where ${where}`, params);
  return rows[0].n as number;
}

beforeAll(async () => {
  stack = await testStack({ env: { JANGAR_API_TOKENS: JSON.stringify(tokens) } });
  dev = api(stack.gatewayUrl, stack.devToken);
  alice = api(stack.gatewayUrl, 'alice-token-123');
  bob = api(stack.gatewayUrl, 'bob-token-12345');
  nc = await connect({ servers: stack.natsUrl });
  for (const ns of ['team-a', 'team-b']) {
    const agent = await dev.post('/v1/agents', {
      deliveryId: `agent-${ns}`,
      metadata: { namespace: ns, name: 'coder' },
      // A secret value in a request must never reach an audit row.
      spec: {
        providerRef: { name: 'codex' },
        env: [{ name: 'OPENAI_API_KEY', value: 'sk-live-DO-NOT-LOG' }],
        config: { apiKey: 'sk-config-DO-NOT-LOG' },
      },
    });
    expect(agent.status).toBe(201);
  }
});

afterAll(async () => {
  await nc?.close();
  await stack?.close();
});

describe('the audit trail', () => {
  it('lists events newest first, filtered, paged and scoped to the caller', async () => {
    for (let i = 0; i < 3; i++)
      expect((await alice.post('/v1/agent-runs', { deliveryId: `audit-a-${i}`, ...run('team-a') })).status).toBe(201);
    expect((await bob.post('/v1/agent-runs', { deliveryId: 'audit-b-0', ...run('team-b') })).status).toBe(201);
    await eventually('four run events', async () => ((await auditCount("action = 'agentrun.create'")) === 4 ? true : undefined));

    const mine = await alice.get('/v1/audit?action=agentrun.create');
    expect(mine.status).toBe(200);
    expect(mine.json.items.map((e: { deliveryId: string }) => e.deliveryId)).toEqual(['audit-a-2', 'audit-a-1', 'audit-a-0']);
    expect(mine.json.items[0]).toMatchObject({
      actor: 'alice',
      resource: { kind: 'AgentRun', namespace: 'team-a' },
      decision: 'allow',
      outcome: 'created',
    });

    const page1 = await alice.get('/v1/audit?action=agentrun.create&limit=2');
    expect(page1.json.items).toHaveLength(2);
    const page2 = await alice.get(`/v1/audit?action=agentrun.create&limit=2&continue=${page1.json.continue}`);
    expect(page2.json.items.map((e: { deliveryId: string }) => e.deliveryId)).toEqual(['audit-a-0']);
    expect(page2.json.continue).toBeUndefined();

    expect((await dev.get('/v1/audit?actor=bob')).json.items.map((e: { deliveryId: string }) => e.deliveryId)).toEqual(['audit-b-0']);
    expect((await alice.get('/v1/audit?namespace=team-b')).status).toBe(403);
    const bad = await alice.get('/v1/audit?since=yesterday&limit=9999');
    expect(bad.status).toBe(400);
    expect(bad.json.errors.map((e: { path: string }) => e.path).sort()).toEqual(['query.limit', 'query.since']);
  });

  it('never records secret values from a request', async () => {
    const { rows } = await stack.db.query("select summary::text as s from audit.audit_events where action = 'agent.create'");
    expect(rows.length).toBe(2);
    for (const row of rows) {
      expect(row.s).not.toContain('DO-NOT-LOG');
      expect(row.s).toContain('OPENAI_API_KEY');
    }
  });

  it('records each event once even when JetStream delivers it again', async () => {
    const { rows } = await stack.db.query("select message from gateway.deliveries where delivery_id = 'audit-a-0'");
    const outcome = await eventually('the stored outcome', async () => {
      const { rows: r } = await stack.db.query(
        "select resource from gateway.deliveries where delivery_id = 'audit-a-0' and resource is not null",
      );
      return r[0]?.resource;
    });
    const request = rows[0].message;
    const js = jetstream(nc);
    // New message ids, so JetStream itself does not drop them: only the consumers' dedup can.
    const message = {
      ...request,
      payload: { result: 'applied', id: request.payload.id, kind: 'AgentRun', verb: 'create', created: true, resource: outcome },
    };
    await js.publish(SUBJECTS.outcome.subject({ kind: 'agentrun', verb: 'create' }), JSON.stringify(message), {
      msgID: 'replayed-outcome-1',
    });
    await js.publish(SUBJECTS.outcome.subject({ kind: 'agentrun', verb: 'create' }), JSON.stringify(message), {
      msgID: 'replayed-outcome-2',
    });
    // A marker published after the duplicates: once it is recorded, the duplicates were handled too.
    await alice.post('/v1/agent-runs', { deliveryId: 'audit-marker', ...run('team-a') });
    await eventually('the marker event', async () => ((await auditCount("delivery_id = 'audit-marker'")) === 1 ? true : undefined));
    expect(await auditCount("delivery_id = 'audit-a-0'")).toBe(1);
  });

  it('keeps the lifecycle history of a run', async () => {
    const created = await alice.post('/v1/agent-runs', { deliveryId: 'history-1', ...run('team-a') });
    const id = created.json.id;
    const history = await eventually('the full history', async () => {
      const r = await alice.get(`/v1/runs/${id}/history`);
      return r.status === 200 && r.json.items.at(-1)?.phase === 'Succeeded' ? r.json : undefined;
    });
    expect(history).toMatchObject({ id, namespace: 'team-a', type: 'AgentRun' });
    const phases = history.items.map((i: { phase: string }) => i.phase);
    expect(phases[0]).toBe('Pending');
    expect(phases.at(-1)).toBe('Succeeded');
    expect(history.items.at(-1).previousPhase).toBe(phases.at(-2));
    expect((await bob.get(`/v1/runs/${id}/history`)).status).toBe(404);
  });

  it('finds every request and run that shares a correlation id', async () => {
    const a = await alice.post('/v1/agent-runs', { deliveryId: 'corr-1', correlationId: 'incident-42', ...run('team-a') });
    const b = await alice.post('/v1/agent-runs', { deliveryId: 'corr-2', ...run('team-a') }, { 'x-correlation-id': 'incident-42' });
    await eventually('both correlated events', async () => ((await auditCount("correlation_id = 'incident-42'")) === 2 ? true : undefined));
    // Both runs finished, so the pages read below see the phases this read saw.
    const found = await eventually('both runs in the correlation, finished', async () => {
      const r = await alice.get('/v1/correlations/incident-42');
      const runs = r.json?.runs as Array<{ phase: string }> | undefined;
      return runs?.length === 2 && runs.every((run) => run.phase === 'Succeeded') ? r.json : undefined;
    });
    expect(found.requests.map((e: { deliveryId: string }) => e.deliveryId)).toEqual(['corr-1', 'corr-2']);
    expect(found.runs.map((r: { id: string }) => r.id).sort()).toEqual([a.json.id, b.json.id].sort());
    expect(found.continue).toBeUndefined();
    expect((await bob.get('/v1/correlations/incident-42')).status).toBe(404);

    // A page at a time: the same requests and runs, each on one page.
    const first = await alice.get('/v1/correlations/incident-42?limit=1');
    expect(first.json).toMatchObject({ requests: [found.requests[0]], runs: [found.runs[0]], continue: expect.any(String) });
    const second = await alice.get(`/v1/correlations/incident-42?limit=1&continue=${encodeURIComponent(first.json.continue)}`);
    expect(second.json).toEqual({ correlationId: 'incident-42', requests: [found.requests[1]], runs: [found.runs[1]] });
    const refused = await alice.get('/v1/correlations/incident-42?limit=1001');
    expect(refused.status).toBe(400);
    expect(refused.json).toMatchObject({ code: 'validation_failed', errors: [{ path: 'query.limit' }] });
  });
});

describe('when Postgres stops', () => {
  it('loses nothing mid-burst: every accepted request lands once after it is back', async () => {
    const outcomes: Array<{ deliveryId: string; status: number }> = [];
    const send = async (i: number) => {
      const deliveryId = `pg-burst-${i}`;
      const status = await alice.post('/v1/agent-runs', { deliveryId, ...run('team-a') }).then(
        (r) => r.status,
        () => 0,
      );
      outcomes.push({ deliveryId, status });
    };
    const burst = Array.from({ length: 30 }, (_, i) => send(i));
    await eventually('the first answers', async () => (outcomes.length >= 3 ? true : undefined));
    await stack.stopPostgres();
    await Promise.all(Array.from({ length: 5 }, (_, i) => send(100 + i)));
    await stack.startPostgres();
    await Promise.all(burst);

    const accepted = outcomes.filter((o) => o.status === 201 || o.status === 202).map((o) => o.deliveryId);
    const refused = outcomes.filter((o) => !(o.status === 201 || o.status === 202));
    expect(accepted.length).toBeGreaterThan(0);
    // Refused while the database was down: a 503 the client may retry, never a 500.
    for (const o of refused) expect([0, 503]).toContain(o.status);
    await eventually(
      'every accepted request in the audit log',
      async () => {
        const { rows } = await stack.db.query(
          'select delivery_id, count(*)::int as n from audit.audit_events where delivery_id = any($1) group by delivery_id',
          [accepted],
        );
        return rows.length === accepted.length ? rows : undefined;
      },
      60_000,
    ).then((rows) => {
      for (const row of rows) expect(row.n, row.delivery_id).toBe(1);
    });
  });
});

describe('revisions', () => {
  it('lists every spec revision of a primitive with who, when and the deliveryId', async () => {
    const res = await alice.get('/v1/agents/team-a/coder/revisions');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ kind: 'Agent', namespace: 'team-a', name: 'coder' });
    expect(res.json.items).toHaveLength(1);
    expect(res.json.items[0]).toMatchObject({
      generation: 1,
      actor: 'dev',
      deliveryId: 'agent-team-a',
      spec: { providerRef: { name: 'codex' } },
    });
    expect(JSON.stringify(res.json)).not.toContain('DO-NOT-LOG');
    expect((await bob.get('/v1/agents/team-a/coder/revisions')).status).toBe(404);
    expect((await alice.get('/v1/agents/team-a/nobody/revisions')).status).toBe(404);
  });
});

describe('tamper evidence', () => {
  it('refuses updates to audit rows', async () => {
    await expect(stack.db.query("update audit.audit_events set actor = 'mallory' where seq = 1")).rejects.toThrow(/append-only/);
  });

  /** Every page of `GET /v1/audit/verify?limit=…`, following `continue` until a page carries none. */
  async function verifyPages(limit: number, token?: string) {
    const pages: Array<{ intact: boolean; checked: number; continue?: string; firstBroken?: unknown }> = [];
    for (;;) {
      const res = await dev.get(`/v1/audit/verify?limit=${limit}${token ? `&continue=${encodeURIComponent(token)}` : ''}`);
      expect(res.status).toBe(200);
      pages.push(res.json);
      if (!res.json.continue) return pages;
      token = res.json.continue;
    }
  }

  it('names the first row changed by hand', async () => {
    const before = await dev.get('/v1/audit/verify');
    expect(before.json).toMatchObject({ intact: true });
    expect(before.json.continue).toBeUndefined();
    expect(before.json.checked).toBeGreaterThan(3);
    expect((await alice.get('/v1/audit/verify')).status).toBe(403);
    // Page by page, the walk checks the same events, and any recorded meanwhile (a request of the
    // Postgres burst above may still be landing), so its total lies between two whole walks.
    const paged = await verifyPages(2);
    const whole = await dev.get('/v1/audit/verify');
    expect(paged.length).toBeGreaterThan(1);
    expect(paged.every((p) => p.intact && p.checked <= 2)).toBe(true);
    const total = paged.reduce((sum, p) => sum + p.checked, 0);
    expect(total).toBeGreaterThanOrEqual(before.json.checked);
    expect(total).toBeLessThanOrEqual(whole.json.checked);
    const refused = await dev.get('/v1/audit/verify?continue=not-a-token');
    expect(refused.status).toBe(400);
    expect(refused.json).toMatchObject({ code: 'validation_failed', errors: [{ path: 'query.continue' }] });

    const { rows } = await stack.db.query('select seq, id from audit.audit_events order by seq limit 1 offset 2');
    const client = await stack.db.connect();
    try {
      // Someone with database access goes around the append-only trigger.
      await client.query('alter table audit.audit_events disable trigger audit_events_append_only');
      await client.query("update audit.audit_events set actor = 'mallory' where seq = $1", [rows[0].seq]);
      await client.query('alter table audit.audit_events enable trigger audit_events_append_only');
    } finally {
      client.release();
    }
    const after = await dev.get('/v1/audit/verify');
    expect(after.json).toMatchObject({
      intact: false,
      firstBroken: { seq: Number(rows[0].seq), id: rows[0].id, reason: 'content_changed' },
    });
    // On the second page of two events, and from a token the first page handed out before the change.
    const pages = await verifyPages(2);
    expect(pages).toHaveLength(2);
    expect(pages[1]).toMatchObject({ intact: false, firstBroken: { seq: Number(rows[0].seq), reason: 'content_changed' } });
    expect(paged[0]!.continue).toBeDefined();
    const resumed = await verifyPages(2, paged[0]!.continue);
    expect(resumed).toHaveLength(1);
    expect(resumed[0]).toMatchObject({ intact: false, firstBroken: { seq: Number(rows[0].seq) } });
  });
});
