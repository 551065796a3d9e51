import { describe, expect, it } from 'vitest';
import type { ResourceView } from '@jangar/contracts';
import { manifestOf, stripManaged } from '../src/lib/manifest.js';

const view: ResourceView = {
  id: 'a1b2',
  kind: 'Agent',
  apiVersion: 'agents.proompteng.ai/v1alpha1',
  metadata: {
    name: 'coder',
    namespace: 'team-a',
    uid: 'uid-1',
    resourceVersion: '42',
    generation: 3,
    creationTimestamp: '2026-11-25T10:00:00Z',
    labels: { team: 'a' },
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"big":"blob"}', owner: 'alice' },
  },
  spec: { providerRef: { name: 'codex' } },
  status: { phase: 'Ready', conditions: [] },
};

describe('the YAML inspector manifest', () => {
  it('strips server-managed metadata and tool annotations, keeping what a person wrote', () => {
    expect(stripManaged(view.metadata)).toEqual({
      name: 'coder',
      namespace: 'team-a',
      creationTimestamp: '2026-11-25T10:00:00Z',
      labels: { team: 'a' },
      annotations: { owner: 'alice' },
    });
  });

  it('drops the annotations map when only noisy annotations were in it', () => {
    const stripped = stripManaged({ name: 'x', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' }, managedFields: [{}] });
    expect(stripped).toEqual({ name: 'x' });
  });

  it('keeps every field with managed fields shown', () => {
    expect(manifestOf(view, true).desired.metadata).toEqual(view.metadata);
  });

  it('shows status apart from the desired state, and none when empty', () => {
    const m = manifestOf(view, false);
    expect(Object.keys(m.desired)).toEqual(['apiVersion', 'kind', 'metadata', 'spec']);
    expect(m.status).toEqual({ phase: 'Ready', conditions: [] });
    expect(manifestOf({ ...view, status: {} }, false).status).toBeUndefined();
  });

  it('never changes the resource it was given', () => {
    const before = structuredClone(view);
    manifestOf(view, false);
    expect(view).toEqual(before);
  });
});
