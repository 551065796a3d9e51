import { describe, expect, it } from 'vitest';
import { PROVIDERS, bindRuntime } from '../src/bindings/index.js';

const input = (type: string, config?: Record<string, unknown>) => ({ name: 'r1', namespace: 'ns', id: 'id-1', runtime: { type, config } });

describe('provider bindings', () => {
  it('binds job runs to a batch/v1 Job of the same name, with defaults for what the config leaves out', () => {
    expect(bindRuntime(input('job'))).toEqual({
      binding: {
        provider: 'job',
        resource: { apiVersion: 'batch/v1', kind: 'Job', name: 'r1', namespace: 'ns' },
        config: { backoffLimit: 0, ttlSecondsAfterFinished: 3600 },
      },
    });
  });

  it('names the Job or Workflow of a run whose name is too long for a label value by its start and a hash of the whole name', () => {
    const long = (end: string) => `${'a'.repeat(51)}-${'b'.repeat(100)}${end}`;
    const nameOf = (type: string, name: string) => {
      const bound = bindRuntime({ name, namespace: 'ns', id: 'id-1', runtime: { type } });
      return 'binding' in bound ? bound.binding.resource?.name : undefined;
    };
    for (const type of ['job', 'workflow']) {
      const [one, two] = [nameOf(type, long('1')), nameOf(type, long('2'))];
      expect(one).toMatch(/^a{51}-[0-9a-f]{10}$/);
      expect(two).toMatch(/^a{51}-[0-9a-f]{10}$/);
      expect(one).not.toBe(two);
      expect(nameOf(type, long('1'))).toBe(one);
      // 63 characters still fit as they are.
      expect(nameOf(type, 'c'.repeat(63))).toBe('c'.repeat(63));
    }
  });

  it('binds workflow runs to an Argo Workflow from the named template', () => {
    expect(bindRuntime(input('workflow', { workflowTemplate: 'review' }))).toMatchObject({
      binding: {
        provider: 'argo',
        resource: { kind: 'Workflow', apiVersion: 'argoproj.io/v1alpha1', name: 'r1' },
        config: { workflowTemplateRef: { name: 'review' }, serviceAccountName: 'default' },
      },
    });
  });

  it('binds temporal runs to a workflow id of their own, a queue and a type, with nothing to watch in Kubernetes', () => {
    expect(bindRuntime(input('temporal', { taskQueue: 'agents', workflowType: 'Run' }))).toEqual({
      binding: {
        provider: 'temporal',
        config: { namespace: 'default', taskQueue: 'agents', workflowType: 'Run', workflowId: 'ns.r1.id-1' },
      },
    });
  });

  it('binds custom runs to their endpoint', () => {
    expect(bindRuntime(input('custom', { endpoint: 'http://runner:8080/runs' }))).toEqual({
      binding: { provider: 'custom', config: { endpoint: 'http://runner:8080/runs' } },
    });
  });

  it('binds nothing for an unknown runtime type', () => {
    expect(bindRuntime(input('mainframe'))).toEqual({ unknown: true });
  });

  it.each([
    ['job', { backoffLimit: 'three' }, 'spec.runtime.config.backoffLimit'],
    ['job', { ttlSecondsAfterFinished: -1 }, 'spec.runtime.config.ttlSecondsAfterFinished'],
    ['workflow', { workflowTemplate: 'Not A Name' }, 'spec.runtime.config.workflowTemplate'],
    ['temporal', { workflowType: 'Run' }, 'spec.runtime.config.taskQueue'],
    ['custom', { endpoint: 'ftp://runner' }, 'spec.runtime.config.endpoint'],
  ])('refuses an invalid %s config, naming %j at its path', (type, config, path) => {
    const bound = bindRuntime(input(type, config));
    expect(bound).toHaveProperty('errors');
    expect((bound as { errors: Array<{ path: string }> }).errors.map((e) => e.path)).toContain(path);
  });

  it('has a provider for every runtime type of the contract', () => {
    expect(Object.keys(PROVIDERS).sort()).toEqual(['custom', 'job', 'temporal', 'workflow']);
  });
});
