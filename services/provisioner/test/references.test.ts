import { describe, expect, it } from 'vitest';
import { referencesOf } from '../src/apply/references.js';

describe('references a spec makes', () => {
  it('names the Agent of an AgentRun at spec.agentRef.name', () => {
    expect(referencesOf('AgentRun', { agentRef: { name: 'coder' } })).toEqual([
      expect.objectContaining({ name: 'coder', path: 'spec.agentRef.name', kind: expect.objectContaining({ kind: 'Agent' }) }),
    ]);
  });

  it('names the Agent of every Orchestration step that has one, with the step index in the path', () => {
    const refs = referencesOf('Orchestration', {
      steps: [{ name: 'a', agentRef: { name: 'one' } }, { name: 'gate' }, { name: 'c', agentRef: { name: 'two' } }],
    });
    expect(refs.map((r) => [r.name, r.path])).toEqual([
      ['one', 'spec.steps[0].agentRef.name'],
      ['two', 'spec.steps[2].agentRef.name'],
    ]);
  });

  it('names the Orchestration of an OrchestrationRun, the Tool of a ToolRun and the Signal of a SignalDelivery', () => {
    expect(referencesOf('OrchestrationRun', { orchestrationRef: { name: 'o' } })[0]?.kind.kind).toBe('Orchestration');
    expect(referencesOf('ToolRun', { toolRef: { name: 't' } })[0]?.kind.kind).toBe('Tool');
    expect(referencesOf('SignalDelivery', { signalRef: { name: 's' } })[0]?.kind.kind).toBe('Signal');
  });

  it('finds nothing in kinds that refer to nothing, or in specs that leave the reference out', () => {
    expect(referencesOf('Memory', { type: 'redis' })).toEqual([]);
    expect(referencesOf('AgentRun', {})).toEqual([]);
    expect(referencesOf('Orchestration', { steps: 'not a list' })).toEqual([]);
  });
});
