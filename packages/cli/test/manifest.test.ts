import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Agent, AgentRun, Guardrail, type ResourceView } from '@jangar/contracts';
import { canonicalJson } from '../src/canonical.js';
import { UsageError } from '../src/errors.js';
import { createDeliveryId, isUnchanged, keyAt, parseManifests, updateDeliveryId } from '../src/manifest.js';
import { deleteDeliveryId } from '../src/commands/delete.js';
import { decisionDeliveryId } from '../src/commands/approve.js';

const FILE = `
apiVersion: agents.proompteng.ai/v1alpha1
kind: Agent
metadata:
  name: coder
  namespace: team-a
spec:
  providerRef: { name: codex }
---
# a comment-only document is skipped
---
apiVersion: agents.proompteng.ai/v1alpha1
kind: AgentRun
metadata:
  namespace: team-a
  labels: { team: a, jangar.proompteng.ai/id: "stale" }
spec:
  agentRef: { name: coder }
  runtime: { type: job }
  implementation: { inline: { text: Fix the flaky test } }
`;

describe('apply manifests', () => {
  it('reads every document with its kind, identity, labels and spec; Jangar’s own labels are dropped', () => {
    const [agent, run, ...rest] = parseManifests(FILE, 'f.yaml');
    expect(rest).toEqual([]);
    expect(agent).toMatchObject({
      kind: Agent,
      namespace: 'team-a',
      name: 'coder',
      labels: {},
      annotations: undefined,
      source: 'f.yaml#1',
    });
    expect(run).toMatchObject({ kind: AgentRun, namespace: 'team-a', name: undefined, labels: { team: 'a' }, source: 'f.yaml#3' });
  });

  it('takes a list as `get -o yaml` prints it', () => {
    const list = `items:\n  - apiVersion: agents.proompteng.ai/v1alpha1\n    kind: Agent\n    metadata: { name: a, uid: u1, resourceVersion: "3" }\n    spec: {}\n    status: {}\n`;
    expect(parseManifests(list, 'l.yaml').map((m) => m.name)).toEqual(['a']);
  });

  it.each([
    ['kind: Pod\napiVersion: v1\nmetadata: { name: p }', /unknown kind "Pod"/],
    ['kind: Agent\napiVersion: v1\nmetadata: { name: p }', /apiVersion of a Agent must be "agents.proompteng.ai\/v1alpha1"/],
    ['apiVersion: agents.proompteng.ai/v1alpha1\nmetadata: {}', /kind is required/],
    ['kind: Agent\napiVersion: agents.proompteng.ai/v1alpha1\nmetadata: { labels: { n: 1 } }', /metadata.labels.n must be a string/],
    ['kind: [Agent, x', /^bad\.yaml: /],
    ['- just\n- a list', /a document must be a mapping/],
  ])('refuses %j as a usage error', (text, message) => {
    expect(() => parseManifests(text, 'bad.yaml')).toThrow(UsageError);
    expect(() => parseManifests(text, 'bad.yaml')).toThrow(message);
  });
});

describe('apply deliveryIds', () => {
  const base = { kind: Agent, namespace: 'team-a', name: 'coder', spec: { providerRef: { name: 'codex' } }, labels: { a: '1', b: '2' } };

  it('are "apply-" and the sha256 of the canonical JSON of kind, namespace, name, spec and labels', () => {
    const id = createDeliveryId(base);
    expect(id).toMatch(/^apply-[0-9a-f]{64}$/);
    expect(id.length).toBeLessThanOrEqual(255);
    // Pinned: the key of a document must not change between CLI versions, or a re-apply would create again.
    const canonical =
      '{"kind":"Agent","labels":{"a":"1","b":"2"},"name":"coder","namespace":"team-a","spec":{"providerRef":{"name":"codex"}}}';
    expect(canonicalJson({ kind: 'Agent', namespace: 'team-a', name: 'coder', spec: base.spec, labels: { b: '2', a: '1' } })).toBe(
      canonical,
    );
    expect(id).toBe(`apply-${createHash('sha256').update(canonical).digest('hex')}`);
  });

  it('do not depend on key order, formatting or comments of the file', () => {
    const a = parseManifests(
      'apiVersion: agents.proompteng.ai/v1alpha1\nkind: Agent\nmetadata: {name: coder, namespace: team-a, labels: {a: "1", b: "2"}}\nspec: {providerRef: {name: codex}}',
      'a',
    );
    const b = parseManifests(
      '# the coder\nspec:\n  providerRef:\n    name: codex\nmetadata:\n  labels:\n    b: "2"\n    a: "1"\n  namespace: team-a\n  name: coder\nkind: Agent\napiVersion: agents.proompteng.ai/v1alpha1\n',
      'b',
    );
    expect(createDeliveryId({ ...a[0]!, namespace: 'team-a' })).toBe(createDeliveryId({ ...b[0]!, namespace: 'team-a' }));
    expect(createDeliveryId({ ...a[0]!, namespace: 'team-a' })).toBe(createDeliveryId(base));
  });

  it('change with anything that makes it another request', () => {
    const id = createDeliveryId(base);
    expect(createDeliveryId({ ...base, namespace: 'team-b' })).not.toBe(id);
    expect(createDeliveryId({ ...base, name: 'coder-2' })).not.toBe(id);
    expect(createDeliveryId({ ...base, labels: { a: '1' } })).not.toBe(id);
    expect(createDeliveryId({ ...base, spec: { providerRef: { name: 'claude' } } })).not.toBe(id);
    expect(createDeliveryId({ ...base, kind: AgentRun })).not.toBe(id);
    // An update digests the version it replaces: going back to an earlier content is a new request.
    expect(updateDeliveryId(base, '7')).not.toBe(id);
    expect(updateDeliveryId(base, '7')).toBe(updateDeliveryId(base, '7'));
    expect(updateDeliveryId(base, '8')).not.toBe(updateDeliveryId(base, '7'));
  });

  it('walk a sequence when a stored answer no longer holds', () => {
    expect(keyAt('apply-abc', 0)).toBe('apply-abc');
    expect(keyAt('apply-abc', 2)).toBe('apply-abc.2');
    expect(keyAt(createDeliveryId(base), 49)).toMatch(/^[A-Za-z0-9._:-]{1,255}$/);
  });

  it('of deletes name the object’s uid, and of decisions the approval, verb and reason', () => {
    const d = deleteDeliveryId(Agent, 'team-a', 'coder', 'uid-1');
    expect(d).toMatch(/^delete-[0-9a-f]{64}$/);
    expect(deleteDeliveryId(Agent, 'team-a', 'coder', 'uid-1')).toBe(d);
    expect(deleteDeliveryId(Agent, 'team-a', 'coder', 'uid-2')).not.toBe(d);
    expect(decisionDeliveryId('approve', 'a1', undefined)).toBe(decisionDeliveryId('approve', 'a1', undefined));
    expect(decisionDeliveryId('approve', 'a1', undefined)).not.toBe(decisionDeliveryId('deny', 'a1', undefined));
  });
});

describe('unchanged', () => {
  const current = (spec: unknown, labels: Record<string, string>, annotations: Record<string, string> = {}): ResourceView => ({
    id: 'i',
    kind: 'Guardrail',
    apiVersion: 'security.proompteng.ai/v1alpha1',
    metadata: {
      name: 'g',
      namespace: 'team-a',
      uid: 'u',
      resourceVersion: '3',
      creationTimestamp: '2026-11-25T10:00:00Z',
      labels: { ...labels, 'jangar.proompteng.ai/id': 'i', 'app.kubernetes.io/managed-by': 'jangar' },
      annotations: { ...annotations, 'jangar.proompteng.ai/delivery-id': 'apply-x' },
    },
    spec,
    status: {},
  });
  const [m] = parseManifests(
    'apiVersion: security.proompteng.ai/v1alpha1\nkind: Guardrail\nmetadata: { name: g, labels: { a: "1" } }\nspec: {}\n',
    'g',
  );

  it('compares the spec as the server stores it (defaults filled) and the user’s labels', () => {
    const stored = Guardrail.spec.parse({});
    expect(isUnchanged(m!, current(stored, { a: '1' }))).toBe(true);
    expect(isUnchanged(m!, current(stored, { a: '2' }))).toBe(false);
    expect(isUnchanged(m!, current({ ...(stored as object), mode: 'audit' }, { a: '1' }))).toBe(false);
    // Annotations count only when the document sets some.
    expect(isUnchanged(m!, current(stored, { a: '1' }, { note: 'x' }))).toBe(true);
    expect(isUnchanged({ ...m!, annotations: {} }, current(stored, { a: '1' }, { note: 'x' }))).toBe(false);
  });
});
