import { makeInformer, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../src/index.js';
import { AR, agentRun, recordWatch, serverHarness, waitFor } from './support.js';

const harness = serverHarness();
const ns = 'w';
const path = `/apis/${AR.group}/${AR.version}/namespaces/${ns}/${AR.plural}`;
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

describe('watch', () => {
  it('replays exactly the events after a resourceVersion, in order, then streams live', async () => {
    const { api, kc } = await harness.start();
    const a = (await api.createNamespacedCustomObject({ ...AR, namespace: ns, body: agentRun('a') })) as KubeObject;
    await api.createNamespacedCustomObject({ ...AR, namespace: ns, body: agentRun('b') });
    await api.createNamespacedCustomObject({ ...AR, namespace: ns, body: agentRun('c') });
    // Writes elsewhere must not leak into a namespaced watch.
    await api.createNamespacedCustomObject({ ...AR, namespace: 'elsewhere', body: agentRun('x') });

    const watch = await recordWatch(kc, path, { resourceVersion: a.metadata.resourceVersion });
    await waitFor(() => watch.events.length >= 2, 'replayed events');
    await api.patchNamespacedCustomObject({ ...AR, namespace: ns, name: 'b', body: { metadata: { labels: { k: 'v' } } } }, mergePatch);
    await api.deleteNamespacedCustomObject({ ...AR, namespace: ns, name: 'c' });
    await waitFor(() => watch.events.length >= 4, 'live events');
    watch.stop();

    expect(watch.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED b', 'ADDED c', 'MODIFIED b', 'DELETED c']);
    const rvs = watch.events.map((e) => Number(e.object.metadata.resourceVersion));
    expect(rvs).toEqual([...rvs].sort((x, y) => x - y));
    expect(watch.events[0]?.object.kind).toBe('AgentRun');
  });

  it('starts with synthetic ADDED events when no resourceVersion is given', async () => {
    const { api, kc } = await harness.start();
    await api.createNamespacedCustomObject({ ...AR, namespace: ns, body: agentRun('one', { labels: { app: 'x' } }) });
    await api.createNamespacedCustomObject({ ...AR, namespace: ns, body: agentRun('two') });
    const watch = await recordWatch(kc, path, { labelSelector: 'app=x' });
    await waitFor(() => watch.events.length >= 1, 'initial state');
    await api.createNamespacedCustomObject({ ...AR, namespace: ns, body: agentRun('three', { labels: { app: 'x' } }) });
    await waitFor(() => watch.events.length >= 2, 'live add');
    watch.stop();
    expect(watch.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED one', 'ADDED three']);
  });

  it('tells a filtered watcher when an object enters or leaves its selection', async () => {
    const { api, kc } = await harness.start();
    await api.createNamespacedCustomObject({ ...AR, namespace: ns, body: agentRun('m', { labels: { app: 'x' } }) });
    const watch = await recordWatch(kc, path, { labelSelector: 'app=x', resourceVersion: '0' });
    await waitFor(() => watch.events.length >= 1, 'initial ADDED');
    await api.patchNamespacedCustomObject({ ...AR, namespace: ns, name: 'm', body: { metadata: { labels: { app: 'y' } } } }, mergePatch);
    await api.patchNamespacedCustomObject({ ...AR, namespace: ns, name: 'm', body: { metadata: { labels: { app: 'x' } } } }, mergePatch);
    await waitFor(() => watch.events.length >= 3, 'selection changes');
    watch.stop();
    expect(watch.events.map((e) => e.type)).toEqual(['ADDED', 'DELETED', 'ADDED']);
  });

  it('answers a too-old resourceVersion with a 410 Expired ERROR event and ends the stream', async () => {
    const { api, kc } = await harness.start({ eventLogSize: 3 });
    const first = (await api.createNamespacedCustomObject({ ...AR, namespace: ns, body: agentRun('r0') })) as KubeObject;
    for (let i = 1; i <= 5; i++) await api.createNamespacedCustomObject({ ...AR, namespace: ns, body: agentRun(`r${i}`) });
    const watch = await recordWatch(kc, path, { resourceVersion: first.metadata.resourceVersion });
    expect(await watch.ended).toBeNull();
    expect(watch.events).toHaveLength(1);
    expect(watch.events[0]?.type).toBe('ERROR');
    expect(watch.events[0]?.object).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });

    // The newest three events are still retained, so resuming inside the window works.
    const recent = await recordWatch(kc, path, { resourceVersion: String(Number(first.metadata.resourceVersion) + 2) });
    await waitFor(() => recent.events.length >= 3, 'events inside the window');
    recent.stop();
    expect(recent.events.map((e) => e.object.metadata.name)).toEqual(['r3', 'r4', 'r5']);
  });

  it('watches across namespaces and accepts watch=1 on a raw request', async () => {
    const { api, kc, url } = await harness.start();
    const all = await recordWatch(kc, `/apis/${AR.group}/${AR.version}/${AR.plural}`);
    await api.createNamespacedCustomObject({ ...AR, namespace: 'n1', body: agentRun('x1') });
    await api.createNamespacedCustomObject({ ...AR, namespace: 'n2', body: agentRun('x2') });
    await waitFor(() => all.events.length >= 2, 'events from both namespaces');
    all.stop();
    expect(all.events.map((e) => `${e.object.metadata.namespace}/${e.object.metadata.name}`)).toEqual(['n1/x1', 'n2/x2']);

    const res = await fetch(`${url}/apis/${AR.group}/${AR.version}/${AR.plural}?watch=1&timeoutSeconds=0`);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('transfer-encoding')).toBe('chunked');
    const lines = (await res.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string });
    expect(lines.map((l) => l.type)).toEqual(['ADDED', 'ADDED']);
  });

  it('sends bookmarks when allowed and ends at timeoutSeconds', async () => {
    const { kc } = await harness.start({ bookmarkIntervalMs: 20 });
    const watch = await recordWatch(kc, path, { allowWatchBookmarks: true, timeoutSeconds: 1 });
    await waitFor(() => watch.events.some((e) => e.type === 'BOOKMARK'), 'a bookmark');
    const bookmark = watch.events.find((e) => e.type === 'BOOKMARK');
    expect(bookmark?.object).toMatchObject({ kind: 'AgentRun', apiVersion: 'agents.proompteng.ai/v1alpha1' });
    expect(bookmark?.object.metadata.resourceVersion).toMatch(/^\d+$/);
    expect(await watch.ended).toBeNull();
  });

  it('ends open watches when the server closes', async () => {
    const server = await harness.start();
    const watch = await recordWatch(server.kc, path);
    await server.kd.close();
    await watch.ended;
  });

  it('keeps a makeInformer cache in step with adds, updates and deletes', async () => {
    const { api, kc } = await harness.start();
    await api.createNamespacedCustomObject({ ...AR, namespace: ns, body: agentRun('pre') });
    const informer = makeInformer<KubernetesObject>(kc, path, async () => api.listNamespacedCustomObject({ ...AR, namespace: ns }));
    const seen: string[] = [];
    informer.on('add', (o) => seen.push(`add ${o.metadata?.name}`));
    informer.on('update', (o) => seen.push(`update ${o.metadata?.name}`));
    informer.on('delete', (o) => seen.push(`delete ${o.metadata?.name}`));
    await informer.start();
    try {
      await waitFor(() => informer.list(ns).length === 1, 'initial list');
      await api.createNamespacedCustomObject({ ...AR, namespace: ns, body: agentRun('live') });
      await waitFor(() => informer.get('live', ns), 'informer add');
      await api.patchNamespacedCustomObject({ ...AR, namespace: ns, name: 'live', body: { metadata: { labels: { u: '1' } } } }, mergePatch);
      await waitFor(() => informer.get('live', ns)?.metadata?.labels?.u === '1', 'informer update');
      await api.deleteNamespacedCustomObject({ ...AR, namespace: ns, name: 'pre' });
      await waitFor(() => !informer.get('pre', ns), 'informer delete');
      expect(seen).toEqual(['add pre', 'add live', 'update live', 'delete pre']);
    } finally {
      await informer.stop();
    }
  });
});
