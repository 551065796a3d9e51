import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../src/index.js';
import { AR, agentRun, errorOf, recordWatch, serverHarness } from './support.js';

const harness = serverHarness();
const ns = 'd';
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

async function journalLines(path: string): Promise<{ op: string; key?: string; rv: number }[]> {
  return (await readFile(path, 'utf8'))
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { op: string; rv: number });
}

describe('durability', () => {
  it('restores objects and continues the resourceVersion after a restart', async () => {
    const first = await harness.start();
    await first.api.createNamespacedCustomObject({ ...AR, namespace: ns, body: agentRun('keep', { labels: { a: 'b' } }) });
    await first.api.createNamespacedCustomObject({ ...AR, namespace: ns, body: agentRun('drop') });
    const patched = (await first.api.patchNamespacedCustomObjectStatus(
      { ...AR, namespace: ns, name: 'keep', body: { status: { phase: 'Running' } } },
      mergePatch,
    )) as KubeObject;
    await first.api.deleteNamespacedCustomObject({ ...AR, namespace: ns, name: 'drop' });
    const rvBefore = first.kd.store.resourceVersion;
    await first.kd.close();

    const second = await harness.start({ stateFile: first.stateFile });
    expect(second.kd.store.resourceVersion).toBe(rvBefore);
    const kept = (await second.api.getNamespacedCustomObject({ ...AR, namespace: ns, name: 'keep' })) as KubeObject;
    expect(kept).toEqual(patched);
    expect((await errorOf(second.api.getNamespacedCustomObject({ ...AR, namespace: ns, name: 'drop' }))).code).toBe(404);

    const next = (await second.api.createNamespacedCustomObject({ ...AR, namespace: ns, body: agentRun('after') })) as KubeObject;
    expect(Number(next.metadata.resourceVersion)).toBe(rvBefore + 1);

    // The event log starts empty, so resuming from before the restart must relist.
    const watch = await recordWatch(second.kc, `/apis/${AR.group}/${AR.version}/namespaces/${ns}/${AR.plural}`, {
      resourceVersion: String(rvBefore - 1),
    });
    await watch.ended;
    expect(watch.events.map((e) => [e.type, e.object.code])).toEqual([['ERROR', 410]]);
  });

  it('compacts the journal at start-up to one line per live object', async () => {
    const first = await harness.start();
    for (let i = 0; i < 5; i++) {
      await first.api.createNamespacedCustomObject({ ...AR, namespace: ns, body: agentRun(`j${i}`) });
      await first.api.patchNamespacedCustomObject(
        { ...AR, namespace: ns, name: `j${i}`, body: { metadata: { labels: { i: String(i) } } } },
        mergePatch,
      );
    }
    for (let i = 0; i < 3; i++) await first.api.deleteNamespacedCustomObject({ ...AR, namespace: ns, name: `j${i}` });
    const rv = first.kd.store.resourceVersion;
    expect((await journalLines(first.stateFile)).filter((l) => l.op !== 'rv')).toHaveLength(13);
    await first.kd.close();

    const second = await harness.start({ stateFile: first.stateFile });
    const lines = await journalLines(second.stateFile);
    expect(lines[0]).toEqual({ op: 'rv', rv });
    expect(lines.slice(1).map((l) => l.key)).toEqual(
      expect.arrayContaining([`${AR.group}/${AR.plural}/${ns}/j3`, `${AR.group}/${AR.plural}/${ns}/j4`]),
    );
    expect(lines).toHaveLength(3);
    await second.kd.close();

    // Even with every object deleted, the rv counter survives compaction.
    const third = await harness.start({ stateFile: first.stateFile });
    await third.api.deleteCollectionNamespacedCustomObject({ ...AR, namespace: ns });
    const rvEmpty = third.kd.store.resourceVersion;
    await third.kd.close();
    const fourth = await harness.start({ stateFile: first.stateFile });
    expect(fourth.kd.store.resourceVersion).toBe(rvEmpty);
  });

  it('survives a torn last line left by a crash mid-write', async () => {
    const dir = await harness.tempDir();
    const stateFile = join(dir, 'nested', 'state.jsonl');
    const first = await harness.start({ stateFile });
    await first.api.createNamespacedCustomObject({ ...AR, namespace: ns, body: agentRun('whole') });
    await first.kd.close();
    await appendFile(stateFile, '{"op":"put","key":"agents.proompteng.ai/agentruns/d/torn","rv":9,"obj');
    const second = await harness.start({ stateFile });
    const list = (await second.api.listNamespacedCustomObject({ ...AR, namespace: ns })) as { items: KubeObject[] };
    expect(list.items.map((i) => i.metadata.name)).toEqual(['whole']);
  });
});
