import { describe, expect, it } from 'vitest';
import { normalizeRun } from '@jangar/contracts';
import { belongsTo, deletedRunVersion, wentQuiet, withLiveProvider } from '../src/watch.js';
import { agentRunObject } from '../../../test/support/fixtures.js';

const run = (status: unknown) => agentRunObject(status);

describe('withLiveProvider', () => {
  it('fills status.provider from the live object when it is further along than the record', () => {
    const live = { kind: 'Job', status: { active: 1 } };
    expect(withLiveProvider(run({ phase: 'Pending' }), live).status).toEqual({ phase: 'Pending', provider: { phase: 'Running' } });
    expect(withLiveProvider(run({ provider: { phase: 'Pending' } }), live).status).toEqual({ provider: { phase: 'Running' } });
  });

  it('keeps the recorded state when it is as far along, and the run without a live object', () => {
    const recorded = run({ provider: { phase: 'Succeeded' } });
    expect(withLiveProvider(recorded, { kind: 'Job', status: { active: 1 } })).toBe(recorded);
    expect(withLiveProvider(recorded, undefined)).toBe(recorded);
  });
});

describe('belongsTo', () => {
  it('joins by the run-uid label, else by the binding resource', () => {
    const labelled = (uid: string) => ({
      kind: 'Job',
      metadata: { name: 'x', namespace: 'ns', labels: { 'jangar.proompteng.ai/run-uid': uid } },
    });
    expect(belongsTo(run({}), labelled('u1'))).toBe(true);
    expect(belongsTo(run({}), labelled('u2'))).toBe(false);
    expect(belongsTo(run({}), { kind: 'Job', metadata: { name: 'r1', namespace: 'ns' } })).toBe(true);
    expect(belongsTo(run({}), { kind: 'Workflow', metadata: { name: 'r1', namespace: 'ns' } })).toBe(false);
  });
});

describe('deletedRunVersion', () => {
  it('ends a run deleted while it ran: Cancelled at its deletion time, InProgress turned False', () => {
    const running = agentRunObject({ phase: 'Running', conditions: [{ type: 'InProgress', status: 'True' }] });
    const deleted = { ...running, metadata: { ...running.metadata, deletionTimestamp: '2026-11-27T10:00:00Z' } };
    const ended = normalizeRun(deletedRunVersion(deleted)!);
    expect(ended).toMatchObject({ phase: 'Cancelled', finishedAt: '2026-11-27T10:00:00.000Z' });
    expect(ended.conditions).toEqual([
      expect.objectContaining({ type: 'InProgress', status: 'False', reason: 'Cancelled', message: expect.stringContaining('deletion') }),
    ]);
    // Every replica that sees the deletion observes the same status.
    expect(deletedRunVersion(deleted)).toEqual(deletedRunVersion(deleted));
  });

  it('leaves a run that was over when it was deleted as it was', () => {
    for (const phase of ['Succeeded', 'Failed', 'Cancelled']) expect(deletedRunVersion(agentRunObject({ phase }))).toBeUndefined();
  });
});

describe('wentQuiet', () => {
  it("is true for client-node's inactivity timeout, which renews a watch at once, and false for failures that back off", () => {
    expect(wentQuiet(new DOMException('The operation was aborted due to timeout', 'TimeoutError'))).toBe(true);
    expect(wentQuiet(Object.assign(new Error('Gone'), { statusCode: 410 }))).toBe(false);
    expect(wentQuiet(new TypeError('fetch failed'))).toBe(false);
    expect(wentQuiet(null)).toBe(false);
  });
});
