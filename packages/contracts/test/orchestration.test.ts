import { describe, expect, it } from 'vitest';
import { fieldErrorsFromZod, OrchestrationSpec } from '../src/index.js';

const errorsOf = (spec: unknown) => {
  const r = OrchestrationSpec.safeParse(spec);
  return r.success ? [] : fieldErrorsFromZod(r.error, ['spec']);
};

describe('Orchestration spec', () => {
  it('accepts steps that depend on earlier steps', () => {
    expect(
      errorsOf({
        steps: [
          { name: 'a', kind: 'AgentRun', agentRef: { name: 'x' } },
          { name: 'b', kind: 'ApprovalGate', dependsOn: ['a'] },
        ],
      }),
    ).toEqual([]);
  });

  it('reports duplicate steps, unknown dependencies and cycles', () => {
    const errors = errorsOf({
      steps: [
        { name: 'a', kind: 'Checkpoint', dependsOn: ['b'] },
        { name: 'b', kind: 'Checkpoint', dependsOn: ['a', 'zzz'] },
        { name: 'b', kind: 'Checkpoint' },
      ],
    });
    expect(errors.map((e) => e.path)).toEqual(['spec.steps[2].name', 'spec.steps[1].dependsOn[1]', 'spec.steps']);
    expect(errors[2]?.message).toMatch(/cycle: a -> b -> a/);
  });

  it('needs an agentRef on AgentRun steps', () => {
    expect(errorsOf({ steps: [{ name: 'a', kind: 'AgentRun' }] }).map((e) => e.path)).toEqual(['spec.steps[0].agentRef']);
  });
});
