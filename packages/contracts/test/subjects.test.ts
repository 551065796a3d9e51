import { describe, expect, it } from 'vitest';
import {
  CONSUMERS,
  DEAD_LETTER_HEADERS,
  deadLetterInfo,
  decisionDedupId,
  dedupIds,
  ERROR_CODES,
  KINDS,
  kindByRoute,
  normalizeRun,
  streamDefinitions,
  SUBJECTS,
  subjectToken,
  runStage,
} from '../src/index.js';
import { agentRunObject } from '../../../test/support/fixtures.js';

describe('subjects', () => {
  it('declares every durable to deliver without limit, so a message leaves only handled or parked in the dead letters', () => {
    expect(Object.values(CONSUMERS).filter((c) => c.maxDeliver !== -1)).toEqual([]);
  });

  it('builds concrete subjects and filters from one definition', () => {
    expect(SUBJECTS.request.subject({ kind: 'agentrun', verb: 'create' })).toBe('jangar.req.agentrun.create');
    expect(SUBJECTS.decision.filter({ verdict: 'allow' })).toBe('jangar.decision.allow.*.*');
    expect(SUBJECTS.runStatus.subject({ namespace: 'team-a', type: 'agentrun', name: 'run.v1', stage: 'active' })).toBe(
      'jangar.run.status.team-a.agentrun.run_v1.active',
    );
    // A follower of one run gets every stage; the policy service only ended runs.
    expect(SUBJECTS.runStatus.filter({ namespace: 'team-a', type: 'agentrun', name: 'run.v1' })).toBe(
      'jangar.run.status.team-a.agentrun.run_v1.*',
    );
    expect(CONSUMERS.policyRunEnded.filter).toBe('jangar.run.status.*.*.*.ended');
  });

  it('never lets a token break the subject hierarchy', () => {
    expect(subjectToken('a.b*c>d e')).toBe('a_b_c_d_e');
    expect(() => subjectToken('')).toThrow();
  });

  it('derives dedup IDs from the request key', () => {
    expect(dedupIds.decision('k:1')).toBe('k:1:decision');
    expect(dedupIds.outcome('k:1')).toBe('k:1:outcome');
    expect(dedupIds.runStatus('uid', '42', undefined, 'abc')).toBe('uid:42:new>abc');
    expect(dedupIds.runStatus('uid', '42', 'a'.repeat(64), 'b'.repeat(64))).toBe(`uid:42:${'a'.repeat(16)}>${'b'.repeat(16)}`);
    expect(dedupIds.runVersion('uid', '42')).toBe('uid:42');
  });

  it('gives a held request two decisions with dedup IDs of their own: held, then settled by its approval', () => {
    const approval = { state: 'Pending' } as const;
    const held = { requestKey: 'k:1', attempt: 1, payload: { approval } } as unknown as Parameters<typeof decisionDedupId>[0];
    const settled = { ...held, payload: { approval: { state: 'Approved' } } } as unknown as Parameters<typeof decisionDedupId>[0];
    expect(decisionDedupId(held)).toBe('k:1:decision');
    expect(decisionDedupId(settled)).toBe('k:1:decision:approved');
    expect(decisionDedupId({ ...settled, attempt: 2 })).toBe('k:1#2:decision:approved');
  });

  it('gives a queued run its own decision IDs for waiting and for leaving the queue', () => {
    const at = (state: string, approval?: object) =>
      ({ requestKey: 'k:1', attempt: 1, payload: { queue: { state }, approval } }) as unknown as Parameters<typeof decisionDedupId>[0];
    expect(decisionDedupId(at('Queued'))).toBe('k:1:decision:queue-queued');
    expect(decisionDedupId(at('Admitted'))).toBe('k:1:decision:queue-admitted');
    // Approved first, then held back by a limit: neither of its two earlier decisions is repeated.
    expect(decisionDedupId(at('Queued', { state: 'Approved' }))).toBe('k:1:decision:approved:queue-queued');
  });

  it('gives every consumer a stream that captures its filter', () => {
    const streams = Object.values(streamDefinitions());
    for (const consumer of Object.values(CONSUMERS)) {
      const stream = streams.find((s) => s.name === consumer.stream);
      expect(stream, consumer.durable).toBeDefined();
      const prefix = stream!.subjects[0]!.replace(/>$/, '');
      expect(consumer.filter.startsWith(prefix), consumer.durable).toBe(true);
    }
  });

  it('validates messages against the subject schema', () => {
    expect(SUBJECTS.request.schema.safeParse({ deliveryId: 'x' }).success).toBe(false);
  });
});

describe('a dead letter', () => {
  const written = {
    consumer: 'audit-outcomes',
    stream: 'JANGAR_OUTCOMES',
    streamSequence: '42',
    subject: 'jangar.outcome.agentrun.create',
    deliveryCount: '8',
    reason: 'poison',
    answered: 'false',
    error: "TypeError: Cannot read properties of undefined (reading 'spec')",
    parkedAt: '2026-11-27T14:00:00.000Z',
  };
  const headersOf = (values: Record<string, string>) => ({
    get: (name: string) => values[Object.entries(DEAD_LETTER_HEADERS).find(([, header]) => header === name)![0]] ?? '',
  });

  it('reads why it was parked from its headers', () => {
    expect(deadLetterInfo(headersOf(written))).toEqual({ ...written, streamSequence: 42, deliveryCount: 8, answered: false });
  });

  it('is taken as answered, and so not replayed, when it does not say', () => {
    const { answered: _answered, ...unsaid } = written;
    expect(deadLetterInfo(headersOf(unsaid)).answered).toBe(true);
  });

  it('without its reason does not read as one', () => {
    const { reason: _reason, ...partial } = written;
    expect(() => deadLetterInfo(headersOf(partial))).toThrow();
  });
});

describe('kinds', () => {
  it('serves every kind under its route and aliases', () => {
    expect(kindByRoute('orchestration-executions')?.kind).toBe('OrchestrationRun');
    expect(kindByRoute('orchestration-runs')?.kind).toBe('OrchestrationRun');
    expect(new Set(KINDS.map((k) => k.route)).size).toBe(KINDS.length);
  });
});

describe('error codes', () => {
  it('map to client errors except the server-side ones', () => {
    for (const [code, entry] of Object.entries(ERROR_CODES)) {
      const serverSide = ['internal', 'unavailable', 'timeout'].includes(code);
      expect(entry.status >= 500, code).toBe(serverSide);
    }
  });
});

describe('normalizeRun', () => {
  const base = agentRunObject(undefined, { binding: null });

  it('treats a run without status as Pending and uses the Jangar id', () => {
    const run = normalizeRun(base);
    expect(run).toMatchObject({
      id: 'id-1',
      type: 'AgentRun',
      phase: 'Pending',
      provider: { type: 'job' },
      updatedAt: base.metadata.creationTimestamp,
    });
  });

  it('reports a failed run with its error and step progress', () => {
    const run = normalizeRun({
      ...base,
      status: {
        phase: 'Failed',
        conditions: [{ type: 'Failed', status: 'True', reason: 'Error', message: 'boom' }],
        workflow: {
          steps: [
            { name: 'a', phase: 'Succeeded' },
            { name: 'b', phase: 'Failed' },
          ],
        },
      },
    });
    expect(run.error).toEqual({ code: 'run_failed', reason: 'Error', message: 'boom' });
    expect(run.steps).toEqual({ done: 1, total: 2, current: undefined });
  });
});

describe('the stage of a run-status subject', () => {
  it('is ended for Succeeded, Failed and Cancelled runs and active before', () => {
    expect(['Pending', 'Running', 'Succeeded', 'Failed', 'Cancelled'].map((p) => runStage(p as never))).toEqual([
      'active',
      'active',
      'ended',
      'ended',
      'ended',
    ]);
  });
});
