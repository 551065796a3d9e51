import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../src/index.js';
import { AR, AR_API_VERSION, agentRun, errorOf, serverHarness } from './support.js';

const harness = serverHarness();
const ns = 'schema';
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const collection = (url: string) => `${url}/apis/${AR.group}/${AR.version}/namespaces/${ns}/${AR.plural}`;

async function post(
  url: string,
  body: unknown,
  query = '',
): Promise<{ status: number; body: Record<string, unknown>; warnings: string | null }> {
  const res = await fetch(`${collection(url)}${query}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, warnings: res.headers.get('warning') };
}

describe('writes checked against the CRD schema', () => {
  it('answers 422 Invalid with every cause, bracketed when there are several', async () => {
    const { api } = await harness.start();
    const body = agentRun('bad');
    body.spec = { agentRef: { name: 'Not_A_Name' }, runtime: { type: 'foo' }, ttlSecondsAfterFinished: 'soon' };
    const err = await errorOf(api.createNamespacedCustomObject({ ...AR, namespace: ns, body }));
    expect(err.code).toBe(422);
    expect(err.body).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'Invalid',
      code: 422,
      details: { name: 'bad', group: AR.group, kind: 'AgentRun' },
    });
    const causes = err.body.details?.causes as { reason: string; field: string; message: string }[];
    expect(causes).toEqual(
      expect.arrayContaining([
        {
          reason: 'FieldValueNotSupported',
          field: 'spec.runtime.type',
          message: 'Unsupported value: "foo": supported values: "workflow", "job", "temporal", "custom"',
        },
        expect.objectContaining({ reason: 'FieldValueInvalid', field: 'spec.agentRef.name' }),
        {
          reason: 'FieldValueTypeInvalid',
          field: 'spec.ttlSecondsAfterFinished',
          message: 'Invalid value: "string": spec.ttlSecondsAfterFinished in body must be of type integer: "string"',
        },
      ]),
    );
    expect(err.body.message).toMatch(
      /^AgentRun\.agents\.proompteng\.ai "bad" is invalid: \[.*spec\.runtime\.type: Unsupported value: "foo"/,
    );

    const one = agentRun('one');
    one.spec = { agentRef: { name: 'a' }, implementation: { inline: { text: 't' } } };
    const single = await errorOf(api.createNamespacedCustomObject({ ...AR, namespace: ns, body: one }));
    expect(single.body.message).toBe('AgentRun.agents.proompteng.ai "one" is invalid: spec.runtime: Required value');
  });

  it('reports name and schema errors together', async () => {
    const { api } = await harness.start();
    const body = agentRun('Bad_Name');
    body.spec = { ...(body.spec as object), runtime: { type: 'nope' } };
    const err = await errorOf(api.createNamespacedCustomObject({ ...AR, namespace: ns, body }));
    expect((err.body.details?.causes as { field: string }[]).map((c) => c.field)).toEqual(['metadata.name', 'spec.runtime.type']);
  });

  it('validates patches and status writes, not just creates', async () => {
    const { api } = await harness.start();
    await api.createNamespacedCustomObject({ ...AR, namespace: ns, body: agentRun('p') });
    const patch = await errorOf(
      api.patchNamespacedCustomObject({ ...AR, namespace: ns, name: 'p', body: { spec: { runtime: { type: 'bogus' } } } }, mergePatch),
    );
    expect(patch.code).toBe(422);
    const status = await errorOf(
      api.patchNamespacedCustomObjectStatus({ ...AR, namespace: ns, name: 'p', body: { status: { phase: 'Exploded' } } }, mergePatch),
    );
    expect(status.code).toBe(422);
    expect(status.body.details?.causes).toEqual([
      {
        reason: 'FieldValueNotSupported',
        field: 'status.phase',
        message: 'Unsupported value: "Exploded": supported values: "Pending", "Running", "Succeeded", "Failed", "Cancelled"',
      },
    ]);
    const unchanged = (await api.getNamespacedCustomObject({ ...AR, namespace: ns, name: 'p' })) as KubeObject;
    expect(unchanged.metadata.generation).toBe(1);
  });

  it('prunes unknown fields, warning by default, failing with fieldValidation=Strict', async () => {
    const { url, api } = await harness.start();
    const body = { ...agentRun('u'), extra: 1, metadata: { name: 'u', bogus: 'x' } } as Record<string, unknown>;
    (body.spec as Record<string, unknown>).surprise = { a: 1 };
    (body.spec as Record<string, unknown>).runtime = { type: 'job', config: { free: 'form' } };

    const strict = await post(url, body, '?fieldValidation=Strict');
    expect(strict.status).toBe(400);
    expect(strict.body).toMatchObject({
      reason: 'BadRequest',
      message:
        'AgentRun in version "v1alpha1" cannot be handled as a AgentRun: strict decoding error: unknown field "extra", unknown field "metadata.bogus", unknown field "spec.surprise"',
    });

    const warned = await post(url, body);
    expect(warned.status).toBe(201);
    expect(warned.warnings).toBe(
      '299 - "unknown field \\"extra\\"", 299 - "unknown field \\"metadata.bogus\\"", 299 - "unknown field \\"spec.surprise\\""',
    );
    const stored = (await api.getNamespacedCustomObject({ ...AR, namespace: ns, name: 'u' })) as KubeObject;
    expect(stored).not.toHaveProperty('extra');
    expect(stored.metadata).not.toHaveProperty('bogus');
    expect(stored.spec).not.toHaveProperty('surprise');
    // Under x-kubernetes-preserve-unknown-fields nothing is pruned.
    expect((stored.spec as { runtime: unknown }).runtime).toEqual({ type: 'job', config: { free: 'form' } });

    const ignored = await post(url, { ...body, metadata: { name: 'u2' } }, '?fieldValidation=Ignore');
    expect(ignored.status).toBe(201);
    expect(ignored.warnings).toBeNull();
    expect((await post(url, { ...body, metadata: { name: 'u3' } }, '?fieldValidation=Loud')).status).toBe(400);

    // A patch that only adds unknown fields changes nothing: same resourceVersion, same generation.
    const patched = (await api.patchNamespacedCustomObject(
      { ...AR, namespace: ns, name: 'u', body: { spec: { surprise: 2 } } },
      mergePatch,
    )) as KubeObject;
    expect(patched.metadata.resourceVersion).toBe(stored.metadata.resourceVersion);
  });

  it('lets an object stored before a schema tightened be relabelled (validation ratcheting)', async () => {
    const { kd, api } = await harness.start();
    const res = kd.registry.find(AR.group, AR.version, AR.plural);
    if (!res) throw new Error('AgentRun is not served');
    const legacy = agentRun('legacy');
    legacy.spec = { ...(legacy.spec as object), runtime: { type: 'retired-runtime' } };
    kd.store.restore(res, {
      ...legacy,
      apiVersion: AR_API_VERSION,
      metadata: {
        name: 'legacy',
        namespace: ns,
        uid: 'u-1',
        resourceVersion: '1',
        generation: 1,
        creationTimestamp: '2026-01-01T00:00:00Z',
      },
    });
    const relabelled = (await api.patchNamespacedCustomObject(
      { ...AR, namespace: ns, name: 'legacy', body: { metadata: { labels: { keep: 'me' } } } },
      mergePatch,
    )) as KubeObject;
    expect(relabelled.metadata.labels).toEqual({ keep: 'me' });
    const touched = await errorOf(
      api.patchNamespacedCustomObject(
        { ...AR, namespace: ns, name: 'legacy', body: { spec: { runtime: { type: 'still-wrong' } } } },
        mergePatch,
      ),
    );
    expect(touched.code).toBe(422);
  });

  it('leaves built-in provider types unchecked', async () => {
    const { api } = await harness.start();
    const job = await api.createNamespacedCustomObject({
      group: 'batch',
      version: 'v1',
      plural: 'jobs',
      namespace: ns,
      body: { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, spec: { anything: { goes: true } } },
    });
    expect((job as KubeObject).spec).toEqual({ anything: { goes: true } });
  });
});
