import { describe, expect, it } from 'vitest';
import { AgentRun, createBodyOf, fieldErrorsFromZod } from '../src/index.js';

const body = createBodyOf(AgentRun);
const valid = {
  deliveryId: 'd-1',
  metadata: { namespace: 'team-a', labels: { team: 'a' } },
  spec: { agentRef: { name: 'coder' }, runtime: { type: 'job' }, implementation: { inline: { text: 'fix the bug' } } },
};

function pathsOf(input: unknown): string[] {
  const result = body.safeParse(input);
  return result.success ? [] : fieldErrorsFromZod(result.error).map((e) => e.path);
}

describe('AgentRun create body', () => {
  it('accepts a run with an inline implementation', () => {
    expect(body.parse(valid).spec).toMatchObject({ agentRef: { name: 'coder' } });
  });

  it('defaults the namespace to jangar', () => {
    expect(body.parse({ ...valid, metadata: undefined }).metadata.namespace).toBe('jangar');
  });

  it('requires an implementation reference or an inline implementation (the CEL rule)', () => {
    expect(pathsOf({ ...valid, spec: { agentRef: { name: 'coder' }, runtime: { type: 'job' } } })).toEqual(['spec.implementation']);
  });

  it('rejects the reserved parameter key "prompt"', () => {
    expect(pathsOf({ ...valid, spec: { ...valid.spec, parameters: { prompt: 'x' } } })).toEqual(['spec.parameters']);
  });

  it('rejects more than 100 parameters', () => {
    const parameters = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, 'v']));
    expect(pathsOf({ ...valid, spec: { ...valid.spec, parameters } })).toEqual(['spec.parameters']);
  });

  it('rejects a system prompt on the run', () => {
    expect(pathsOf({ ...valid, spec: { ...valid.spec, systemPrompt: 'be nice' } })).toEqual(['spec.systemPrompt']);
  });

  it('names the missing temporal settings', () => {
    expect(pathsOf({ ...valid, spec: { ...valid.spec, runtime: { type: 'temporal', config: { taskQueue: 'q' } } } })).toEqual([
      'spec.runtime.config.workflowType',
    ]);
  });

  it('requires workflow steps for the workflow runtime', () => {
    expect(pathsOf({ ...valid, spec: { ...valid.spec, runtime: { type: 'workflow' } } })).toEqual(['spec.workflow.steps']);
  });

  it('rejects an unknown runtime type with its path', () => {
    expect(pathsOf({ ...valid, spec: { ...valid.spec, runtime: { type: 'argo' } } })).toEqual(['spec.runtime.type']);
  });

  it('rejects names that are not DNS-1123 subdomains and invalid label values', () => {
    expect(pathsOf({ ...valid, metadata: { namespace: 'Team_A', name: 'Bad Name', labels: { ok: 'not ok!' } } }).sort()).toEqual([
      'metadata.labels.ok',
      'metadata.name',
      'metadata.namespace',
    ]);
  });

  it('rejects inline text over 128 KiB', () => {
    const text = 'x'.repeat(128 * 1024 + 1);
    expect(pathsOf({ ...valid, spec: { ...valid.spec, implementation: { inline: { text } } } })).toEqual([
      'spec.implementation.inline.text',
    ]);
  });
});
