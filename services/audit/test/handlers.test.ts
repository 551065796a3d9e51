import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DecisionMessage, normalizeRun, OutcomeMessage, RunStatusMessage, type KubeObject } from '@jangar/contracts';
import type { Database } from '@jangar/service-kit/db';
import { AUDIT_DATABASE } from '../src/database.js';
import { AuditWriter } from '../src/group-commit.js';
import { decisionWriter, recordDecision, recordOutcome, recordRunStatus, runHistoryWriter } from '../src/handlers.js';
import { scratchDatabase, type ScratchDatabase } from '../../../test/support/database.js';

let scratch: ScratchDatabase;
let db: Database;
let writer: AuditWriter;
let history: ReturnType<typeof runHistoryWriter>;
let decisions: ReturnType<typeof decisionWriter>;

beforeAll(async () => {
  scratch = await scratchDatabase('audit-handlers', AUDIT_DATABASE);
  db = scratch.db;
  writer = new AuditWriter(db);
  history = runHistoryWriter(db);
  decisions = decisionWriter(db);
});

afterAll(async () => {
  await scratch?.stop();
});

const SECRET = 'sk-live-DO-NOT-LOG';
const envelope = (deliveryId: string) => ({
  deliveryId,
  requestKey: `alice:${deliveryId}`,
  correlationId: `corr-${deliveryId}`,
  principal: { subject: 'alice' },
  namespace: 'team-a',
  occurredAt: new Date().toISOString(),
});
const agent: KubeObject = {
  apiVersion: 'jangar.proompteng.ai/v1alpha1',
  kind: 'Agent',
  metadata: {
    namespace: 'team-a',
    name: 'coder',
    uid: randomUUID(),
    generation: 1,
    resourceVersion: '5',
    creationTimestamp: new Date().toISOString(),
  },
  spec: { providerRef: { name: 'codex' }, env: [{ name: 'OPENAI_API_KEY', value: SECRET }], config: { apiKey: SECRET } },
};
const outcome = OutcomeMessage.parse({
  ...envelope('agent-1'),
  payload: { result: 'applied', id: randomUUID(), kind: 'Agent', verb: 'create', created: true, resource: agent },
});
const decision = DecisionMessage.parse({
  ...envelope('agent-1'),
  payload: {
    request: { id: outcome.payload.id, kind: 'Agent', verb: 'create', metadata: { namespace: 'team-a', name: 'coder' }, spec: agent.spec },
    verdict: 'allow',
    mode: 'enforce',
    violations: [],
    policyVersion: 'v1',
    evaluatedAt: new Date().toISOString(),
  },
});
const runStatus = RunStatusMessage.parse({
  occurredAt: new Date().toISOString(),
  payload: {
    run: normalizeRun({
      apiVersion: 'jangar.proompteng.ai/v1alpha1',
      kind: 'AgentRun',
      metadata: { namespace: 'team-a', name: 'r1', uid: randomUUID(), resourceVersion: '9', creationTimestamp: new Date().toISOString() },
      spec: { agentRef: { name: 'coder' }, runtime: { type: 'job' } },
      status: { phase: 'Running' },
    }),
    previousPhase: 'Pending',
  },
});

async function count(table: string): Promise<number> {
  const [row] = await db.query<{ n: number }>(`select count(*)::int as n from audit.${table}`);
  return row!.n;
}

describe('recording what the bus delivers', () => {
  it('records every kind of message once, however often it is delivered, at once or later', async () => {
    for (let round = 0; round < 2; round++) {
      await Promise.all([
        recordOutcome(writer, outcome),
        recordOutcome(writer, outcome),
        recordDecision(decisions, decision),
        recordDecision(decisions, decision),
        recordRunStatus(history, runStatus),
        recordRunStatus(history, runStatus),
      ]);
    }
    expect({
      audit_events: await count('audit_events'),
      revisions: await count('revisions'),
      policy_decisions: await count('policy_decisions'),
      run_history: await count('run_history'),
    }).toEqual({ audit_events: 1, revisions: 1, policy_decisions: 1, run_history: 1 });
  });

  it('keeps secret values out of the audit event and the revision, keeping the names', async () => {
    await recordOutcome(writer, outcome);
    const [event] = await db.query<{ s: string }>('select summary::text as s from audit.audit_events');
    const [revision] = await db.query<{ s: string }>('select spec::text as s from audit.revisions');
    for (const stored of [event!.s, revision!.s]) {
      expect(stored).not.toContain(SECRET);
      expect(stored).toContain('OPENAI_API_KEY');
    }
  });

  it('writes a burst of run transitions in few inserts, each row as the message said', async () => {
    const before = history.stats.writes;
    const at = (n: number) =>
      RunStatusMessage.parse({
        occurredAt: new Date(Date.UTC(2026, 10, 26, 8, 0, n)).toISOString(),
        payload: {
          run: {
            ...runStatus.payload.run,
            uid: `burst-uid-${n}`,
            id: `burst-${n}`,
            resourceVersion: String(n),
            correlationId: 'corr-1',
            conditions: [
              { type: 'Ready', status: 'True', reason: 'Step', message: `step ${n}`, lastTransitionTime: '2026-11-26T08:00:00Z' },
            ],
          },
          previousPhase: 'Pending',
        },
      });
    await Promise.all(Array.from({ length: 100 }, (_, n) => recordRunStatus(history, at(n))));
    expect(history.stats.writes - before).toBeLessThan(100);
    const [row] = await db.query<Record<string, unknown>>(
      `select run_id, phase, previous_phase, reason, message, resource_version, conditions, observed_at, correlation_id, parent_type
       from audit.run_history where dedup_id = ?`,
      [`burst-uid-7:7`],
    );
    expect(row).toMatchObject({
      run_id: 'burst-7',
      phase: 'Running',
      previous_phase: 'Pending',
      reason: 'Step',
      message: 'step 7',
      resource_version: '7',
      conditions: [{ type: 'Ready', status: 'True', reason: 'Step', message: 'step 7', lastTransitionTime: '2026-11-26T08:00:00Z' }],
      correlation_id: 'corr-1',
      parent_type: null,
    });
    expect(new Date(row!.observed_at as string).toISOString()).toBe('2026-11-26T08:00:07.000Z');
  });

  it('stores a decision as the message said it', async () => {
    await recordDecision(decisions, decision);
    const [row] = await db.query<Record<string, unknown>>(
      `select request_key, actor, kind, verb, namespace, resource_id, verdict, mode, violations, policy_version, decided_at
       from audit.policy_decisions where request_key = ?`,
      [decision.requestKey],
    );
    expect(row).toMatchObject({
      request_key: decision.requestKey,
      actor: decision.principal.subject,
      kind: 'Agent',
      verb: 'create',
      namespace: 'team-a',
      resource_id: decision.payload.request.id,
      verdict: 'allow',
      mode: 'enforce',
      violations: [],
      policy_version: 'v1',
    });
    expect(new Date(row!.decided_at as string).toISOString()).toBe(decision.payload.evaluatedAt);
  });
});
