import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../src/index.js';
import { AR, agentRun, errorOf, serverHarness } from './support.js';

const harness = serverHarness();
const ns = 'crud';
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

describe('object CRUD through client-node', () => {
  it('creates, reads, replaces, patches and deletes an AgentRun', async () => {
    const { api } = await harness.start();
    const created = (await api.createNamespacedCustomObject({
      ...AR,
      namespace: ns,
      body: agentRun('one', { labels: { a: 'b' } }),
    })) as KubeObject;
    expect(created.metadata).toMatchObject({ name: 'one', namespace: ns, generation: 1, labels: { a: 'b' } });
    expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Number(created.metadata.resourceVersion)).toBeGreaterThan(0);

    const got = (await api.getNamespacedCustomObject({ ...AR, namespace: ns, name: 'one' })) as KubeObject;
    expect(got).toEqual(created);

    const replaced = (await api.replaceNamespacedCustomObject({
      ...AR,
      namespace: ns,
      name: 'one',
      body: { ...got, spec: { ...(got.spec as object), parameters: { x: '1' } } },
    })) as KubeObject;
    expect(replaced.metadata.generation).toBe(2);
    expect(Number(replaced.metadata.resourceVersion)).toBeGreaterThan(Number(got.metadata.resourceVersion));
    expect(replaced.metadata.uid).toBe(created.metadata.uid);

    const merged = (await api.patchNamespacedCustomObject(
      { ...AR, namespace: ns, name: 'one', body: { metadata: { labels: { a: null, c: 'd' } } } },
      mergePatch,
    )) as KubeObject;
    expect(merged.metadata.labels).toEqual({ c: 'd' });
    expect(merged.metadata.generation).toBe(2);

    // client-node's default patch content type is JSON patch (RFC 6902).
    const jsonPatched = (await api.patchNamespacedCustomObject({
      ...AR,
      namespace: ns,
      name: 'one',
      body: [{ op: 'replace', path: '/spec/agentRef/name', value: 'other' }],
    })) as KubeObject;
    expect((jsonPatched.spec as { agentRef: { name: string } }).agentRef.name).toBe('other');
    expect(jsonPatched.metadata.generation).toBe(3);

    // A custom resource deleted at once is answered with a Success Status, not the object.
    const deleted = await api.deleteNamespacedCustomObject({ ...AR, namespace: ns, name: 'one' });
    expect(deleted).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name: 'one', group: AR.group, kind: 'agentruns', uid: created.metadata.uid },
    });
    const missing = await errorOf(api.getNamespacedCustomObject({ ...AR, namespace: ns, name: 'one' }));
    expect(missing.code).toBe(404);
    expect(missing.body).toMatchObject({
      kind: 'Status',
      reason: 'NotFound',
      code: 404,
      message: 'agentruns.agents.proompteng.ai "one" not found',
      details: { name: 'one', group: AR.group, kind: 'agentruns' },
    });
  });

  it('answers 409 AlreadyExists for a taken name and supports generateName', async () => {
    const { api } = await harness.start();
    await api.createNamespacedCustomObject({ ...AR, namespace: ns, body: agentRun('dup') });
    const dup = await errorOf(api.createNamespacedCustomObject({ ...AR, namespace: ns, body: agentRun('dup') }));
    expect(dup.code).toBe(409);
    expect(dup.body).toMatchObject({ reason: 'AlreadyExists', message: 'agentruns.agents.proompteng.ai "dup" already exists' });

    const body = agentRun('');
    body.metadata = { generateName: 'run-' } as KubeObject['metadata'];
    const generated = (await api.createNamespacedCustomObject({ ...AR, namespace: ns, body })) as KubeObject;
    expect(generated.metadata.name).toMatch(/^run-[a-z0-9]{5}$/);
    expect(generated.metadata.generateName).toBe('run-');
  });

  it('answers 409 Conflict for a stale resourceVersion and 422 when it is missing on PUT', async () => {
    const { api } = await harness.start();
    const v1 = (await api.createNamespacedCustomObject({ ...AR, namespace: ns, body: agentRun('c') })) as KubeObject;
    await api.patchNamespacedCustomObject({ ...AR, namespace: ns, name: 'c', body: { metadata: { labels: { x: 'y' } } } }, mergePatch);

    const stale = await errorOf(api.replaceNamespacedCustomObject({ ...AR, namespace: ns, name: 'c', body: v1 }));
    expect(stale.code).toBe(409);
    expect(stale.body.reason).toBe('Conflict');
    expect(stale.body.message).toContain('the object has been modified; please apply your changes to the latest version and try again');

    const stalePatch = await errorOf(
      api.patchNamespacedCustomObject(
        { ...AR, namespace: ns, name: 'c', body: { metadata: { resourceVersion: v1.metadata.resourceVersion, labels: { z: 'z' } } } },
        mergePatch,
      ),
    );
    expect(stalePatch.code).toBe(409);

    const { resourceVersion: _rv, ...metaWithoutRv } = v1.metadata;
    const unconditional = await errorOf(
      api.replaceNamespacedCustomObject({ ...AR, namespace: ns, name: 'c', body: { ...v1, metadata: metaWithoutRv } }),
    );
    expect(unconditional.code).toBe(422);
    expect(unconditional.body.message).toContain('metadata.resourceVersion');
  });

  it('rejects invalid names (422) and bodies that do not match the URL (400)', async () => {
    const { api } = await harness.start();
    const bad = await errorOf(api.createNamespacedCustomObject({ ...AR, namespace: ns, body: agentRun('Bad_Name') }));
    expect(bad.code).toBe(422);
    expect(bad.body).toMatchObject({ reason: 'Invalid', details: { name: 'Bad_Name', kind: 'AgentRun' } });

    const wrongKind = await errorOf(api.createNamespacedCustomObject({ ...AR, namespace: ns, body: { ...agentRun('k'), kind: 'Agent' } }));
    expect(wrongKind.code).toBe(400);
    expect(wrongKind.body.reason).toBe('BadRequest');

    const wrongVersion = await errorOf(
      api.createNamespacedCustomObject({ ...AR, namespace: ns, body: { ...agentRun('k'), apiVersion: 'agents.proompteng.ai/v9' } }),
    );
    expect(wrongVersion.code).toBe(400);

    const wrongNs = await errorOf(
      api.createNamespacedCustomObject({ ...AR, namespace: ns, body: { ...agentRun('k'), metadata: { name: 'k', namespace: 'other' } } }),
    );
    expect(wrongNs.code).toBe(400);

    const badLabel = await errorOf(
      api.createNamespacedCustomObject({ ...AR, namespace: ns, body: agentRun('k', { labels: { 'bad key!': 'v' } }) }),
    );
    expect(badLabel.code).toBe(422);
  });

  it('bumps generation only when the spec changes', async () => {
    const { api } = await harness.start();
    await api.createNamespacedCustomObject({ ...AR, namespace: ns, body: agentRun('g') });
    const labelled = (await api.patchNamespacedCustomObject(
      { ...AR, namespace: ns, name: 'g', body: { metadata: { labels: { l: '1' } } } },
      mergePatch,
    )) as KubeObject;
    expect(labelled.metadata.generation).toBe(1);
    const specced = (await api.patchNamespacedCustomObject(
      { ...AR, namespace: ns, name: 'g', body: { spec: { idempotencyKey: 'k1' } } },
      mergePatch,
    )) as KubeObject;
    expect(specced.metadata.generation).toBe(2);
    const same = (await api.patchNamespacedCustomObject(
      { ...AR, namespace: ns, name: 'g', body: { spec: { idempotencyKey: 'k1' } } },
      mergePatch,
    )) as KubeObject;
    // A write that changes nothing is not a write: same generation, same resourceVersion.
    expect(same.metadata.generation).toBe(2);
    expect(same.metadata.resourceVersion).toBe(specced.metadata.resourceVersion);
  });

  it('keeps the status subresource and the main resource apart', async () => {
    const { api } = await harness.start();
    const created = (await api.createNamespacedCustomObject({
      ...AR,
      namespace: ns,
      body: { ...agentRun('s'), status: { phase: 'Succeeded' } },
    })) as KubeObject;
    expect(created.status).toBeUndefined();

    const withStatus = (await api.patchNamespacedCustomObjectStatus(
      { ...AR, namespace: ns, name: 's', body: { status: { phase: 'Running' }, spec: { idempotencyKey: 'ignored' } } },
      mergePatch,
    )) as KubeObject;
    expect(withStatus.status).toEqual({ phase: 'Running' });
    expect((withStatus.spec as Record<string, unknown>).idempotencyKey).toBeUndefined();
    expect(withStatus.metadata.generation).toBe(1);

    const mainPut = (await api.replaceNamespacedCustomObject({
      ...AR,
      namespace: ns,
      name: 's',
      body: { ...withStatus, status: { phase: 'Failed' }, metadata: { ...withStatus.metadata, labels: { m: 'n' } } },
    })) as KubeObject;
    expect(mainPut.status).toEqual({ phase: 'Running' });
    expect(mainPut.metadata.labels).toEqual({ m: 'n' });

    const statusPut = (await api.replaceNamespacedCustomObjectStatus({
      ...AR,
      namespace: ns,
      name: 's',
      body: { ...mainPut, status: { phase: 'Succeeded' }, metadata: { ...mainPut.metadata, labels: {} } },
    })) as KubeObject;
    expect(statusPut.status).toEqual({ phase: 'Succeeded' });
    expect(statusPut.metadata.labels).toEqual({ m: 'n' });

    const status = (await api.getNamespacedCustomObjectStatus({ ...AR, namespace: ns, name: 's' })) as KubeObject;
    expect(status.status).toEqual({ phase: 'Succeeded' });
  });

  it('holds an object with finalizers until they are removed', async () => {
    const { api } = await harness.start();
    await api.createNamespacedCustomObject({ ...AR, namespace: ns, body: agentRun('f', { finalizers: ['jangar.proompteng.ai/cleanup'] }) });
    const marked = (await api.deleteNamespacedCustomObject({
      ...AR,
      namespace: ns,
      name: 'f',
      body: { propagationPolicy: 'Foreground' },
    })) as KubeObject;
    expect(marked.metadata.deletionTimestamp).toMatch(/Z$/);

    const still = (await api.getNamespacedCustomObject({ ...AR, namespace: ns, name: 'f' })) as KubeObject;
    expect(still.metadata.deletionTimestamp).toBe(marked.metadata.deletionTimestamp);

    // Clearing deletionTimestamp through an update is not possible.
    const relabelled = (await api.patchNamespacedCustomObject(
      { ...AR, namespace: ns, name: 'f', body: { metadata: { labels: { a: 'b' }, deletionTimestamp: null } } },
      mergePatch,
    )) as KubeObject;
    expect(relabelled.metadata.deletionTimestamp).toBe(marked.metadata.deletionTimestamp);

    await api.patchNamespacedCustomObject({ ...AR, namespace: ns, name: 'f', body: { metadata: { finalizers: null } } }, mergePatch);
    const gone = await errorOf(api.getNamespacedCustomObject({ ...AR, namespace: ns, name: 'f' }));
    expect(gone.code).toBe(404);
  });

  it('honours delete preconditions', async () => {
    const { api } = await harness.start();
    const created = (await api.createNamespacedCustomObject({ ...AR, namespace: ns, body: agentRun('p') })) as KubeObject;
    const stale = await errorOf(
      api.deleteNamespacedCustomObject({ ...AR, namespace: ns, name: 'p', body: { preconditions: { uid: 'not-the-uid' } } }),
    );
    expect(stale.code).toBe(409);
    await api.deleteNamespacedCustomObject({ ...AR, namespace: ns, name: 'p', body: { preconditions: { uid: created.metadata.uid } } });
  });
});
