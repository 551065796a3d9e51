import { describe, expect, it } from 'vitest';
import { cancelledByDeletion, cancelledStatus, normalizeRun, type KubeObject } from '../src/index.js';
import { agentRunObject } from '../../../test/support/fixtures.js';

describe('the status of a run cancelled by its deletion', () => {
  const now = new Date('2026-11-25T12:00:00Z');

  it('is phase Cancelled, finished now, with InProgress turned False for the reason Cancelled', () => {
    const status = cancelledStatus(agentRunObject({ phase: 'Running' }), 'alice', now);
    expect(status).toMatchObject({ phase: 'Cancelled', finishedAt: '2026-11-25T12:00:00.000Z', reason: 'Cancelled' });
    expect(status.conditions).toEqual([
      {
        type: 'InProgress',
        status: 'False',
        reason: 'Cancelled',
        message: 'cancelled by alice: the run was deleted',
        lastTransitionTime: '2026-11-25T12:00:00.000Z',
      },
    ]);
  });

  // A run under way, as its controller records it.
  const running = agentRunObject({
    phase: 'Running',
    conditions: [
      { type: 'Accepted', status: 'True', reason: 'Submitted' },
      { type: 'InProgress', status: 'True', reason: 'Running' },
    ],
  }) as KubeObject;

  it('keeps the other conditions and replaces the InProgress one', () => {
    const run = running;
    const types = (cancelledStatus(run, 'alice', now).conditions as Array<{ type: string; status: string }>).map(
      (c) => `${c.type}=${c.status}`,
    );
    expect(types).toEqual(['Accepted=True', 'InProgress=False']);
  });

  it('ends a normalized run as normalizing the cancelled object would, at the same version', () => {
    const run = running;
    const cancelledObject = { ...run, status: { ...(run.status as object), ...cancelledStatus(run, 'alice', now) } };
    expect(cancelledByDeletion(normalizeRun(run), 'alice', now)).toEqual(normalizeRun(cancelledObject));
  });
});
