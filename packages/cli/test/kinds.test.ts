import { describe, expect, it } from 'vitest';
import { KINDS } from '@jangar/contracts';
import { UsageError } from '../src/errors.js';
import { completionKindNames, kindRef, resolveKind, resolveResourceKind } from '../src/kinds.js';

const kindOf = (input: string) => {
  const t = resolveKind(input);
  return t.type === 'runs' ? 'runs' : t.kind.kind;
};

describe('kind resolution', () => {
  it.each([
    ['agents', 'Agent'],
    ['agent', 'Agent'],
    ['agt', 'Agent'],
    ['Agent', 'Agent'],
    ['agent-runs', 'AgentRun'],
    ['agentruns', 'AgentRun'],
    ['agentrun', 'AgentRun'],
    ['ar', 'AgentRun'],
    ['AR', 'AgentRun'],
    ['orchestration-runs', 'OrchestrationRun'],
    ['orchestration-executions', 'OrchestrationRun'],
    ['orun', 'OrchestrationRun'],
    ['agentruns.agents.proompteng.ai', 'AgentRun'],
    ['guardrails', 'Guardrail'],
    ['runs', 'runs'],
    ['run', 'runs'],
  ])('%s is %s', (input, kind) => {
    expect(kindOf(input)).toBe(kind);
  });

  it('resolves every plural, singular, short name and route of every kind to that kind', () => {
    for (const kind of KINDS) {
      for (const name of [kind.plural, kind.singular, ...kind.shortNames, kind.route, ...kind.routeAliases]) {
        expect(kindOf(name), name).toBe(kind.kind);
      }
    }
  });

  it('refuses an unknown kind as a usage error, suggesting a near name', () => {
    expect(() => resolveKind('agnets')).toThrow(UsageError);
    expect(() => resolveKind('agnets')).toThrow(/did you mean "agents"/);
    expect(() => resolveKind('pods')).toThrow(/unknown resource type "pods"/);
    expect(() => resolveKind('pods')).not.toThrow(/did you mean/);
  });

  it('names kinds as kubectl does and keeps runs out of per-kind verbs', () => {
    expect(kindRef(resolveResourceKind('ar', 'delete'))).toBe('agentrun.agents.proompteng.ai');
    expect(() => resolveResourceKind('runs', 'apply')).toThrow(UsageError);
    expect(completionKindNames()).toEqual(expect.arrayContaining(['agents', 'agt', 'agent-runs', 'ar', 'runs']));
  });
});
