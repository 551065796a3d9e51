import { describe, expect, it } from 'vitest';
import { AgentRun, type QueuedView } from '@jangar/contracts';
import { resultLine } from '../src/commands/apply.js';

const manifest = { source: 'run.yaml', kind: AgentRun, namespace: 'team-a', name: 'nightly', labels: {}, annotations: undefined, spec: {} };

describe('apply result lines', () => {
  it('says a run waits in its queue, and which limit holds it', () => {
    const queued = {
      id: 'r-1',
      kind: 'AgentRun',
      status: 'Queued',
      deliveryId: 'd-1',
      phase: 'Pending',
      conditions: [],
      queue: { reason: 'ConcurrencyLimit', message: '2 of 2 runs are active in namespace "team-a"' },
    } as unknown as QueuedView;
    expect(resultLine(manifest, 'queued', queued)).toBe(
      'agentrun.agents.proompteng.ai/nightly queued (ConcurrencyLimit: 2 of 2 runs are active in namespace "team-a")',
    );
  });
});
