import { describe, expect, it } from 'vitest';
import { BINDERS, bindRuntime } from '../src/bindings/index.js';

const input = (type: string, config?: Record<string, unknown>) => ({ name: 'r1', namespace: 'ns', runtime: { type, config } });

describe('provider bindings', () => {
  it('binds job runs to a batch/v1 Job of the same name', () => {
    expect(bindRuntime(input('job'))).toEqual({
      provider: 'job',
      resource: { apiVersion: 'batch/v1', kind: 'Job', name: 'r1', namespace: 'ns' },
      config: { backoffLimit: 0, ttlSecondsAfterFinished: 3600 },
    });
  });

  it('binds workflow runs to an Argo Workflow from the named template', () => {
    expect(bindRuntime(input('workflow', { workflowTemplate: 'review' }))).toMatchObject({
      provider: 'argo',
      resource: { kind: 'Workflow', apiVersion: 'argoproj.io/v1alpha1' },
      config: { workflowTemplateRef: { name: 'review' } },
    });
  });

  it('binds temporal runs to a workflow id, queue and type, with nothing to watch in Kubernetes', () => {
    const binding = bindRuntime(input('temporal', { taskQueue: 'agents', workflowType: 'Run' }));
    expect(binding).toEqual({
      provider: 'temporal',
      config: { namespace: 'default', taskQueue: 'agents', workflowType: 'Run', workflowId: 'ns.r1' },
    });
  });

  it('binds custom runs to their endpoint', () => {
    expect(bindRuntime(input('custom', { endpoint: 'http://runner' }))).toEqual({
      provider: 'custom',
      config: { endpoint: 'http://runner' },
    });
  });

  it('binds nothing for an unknown runtime type', () => {
    expect(bindRuntime(input('mainframe'))).toBeUndefined();
  });

  it('has a binder for every runtime type of the contract', () => {
    expect(Object.keys(BINDERS).sort()).toEqual(['custom', 'job', 'temporal', 'workflow']);
  });
});
