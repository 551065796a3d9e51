import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '@jangar/contracts';
import { kubeconfigFor, startKubeDev, type KubeDev } from '@jangar/kube-dev';
import type { Logger } from '@jangar/service-kit';
import { eventually } from '../../../test/support/stack.js';
import type { WatchState } from '../src/store.js';
import type { BoundRun, PollingStatusSource } from '../src/sources/types.js';
import { watchRuns } from '../src/watch.js';

const AR = { group: 'agents.proompteng.ai', version: 'v1alpha1', plural: 'agentruns' } as const;
const NS = 'ns';
const logged: string[] = [];
const logger = { info: (_: unknown, msg: string) => void logged.push(msg), warn: () => undefined } as unknown as Logger;

let kd: KubeDev | undefined;
afterEach(async () => {
  await kd?.close();
  kd = undefined;
});

/**
 * A kube-dev keeping only five events, a client for it and a state kept in memory; `observe`, when
 * given, runs before an object counts as seen.
 */
async function setup(observe?: (obj: KubeObject) => Promise<void>) {
  kd = await startKubeDev({ simulate: false, eventLogSize: 5 });
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfigFor(kd.url));
  const api = kc.makeApiClient(CustomObjectsApi);
  const stored = new Map<string, string>();
  const state: WatchState = { get: async (kind) => stored.get(kind), set: async (kind, rv) => void stored.set(kind, rv) };
  const seen: KubeObject[] = [];
  const polled = new Set<string>();
  // A polling source that answers nothing and notes which runs it was asked about.
  const source: PollingStatusSource = {
    provider: 'temporal',
    intervalMs: 50,
    poll: async (runs: readonly BoundRun[]) => {
      for (const r of runs) polled.add(r.name);
      return new Map();
    },
  };
  // What each list left out was asked to be ended: the uids listed and the list's version, and
  // what had been observed by then.
  const vanished: Array<{ kind: string; listed: string[]; resourceVersion: string; seenBefore: number }> = [];
  const onVanished = async (kind: string, listed: ReadonlySet<string>, resourceVersion: string) => {
    vanished.push({ kind, listed: [...listed], resourceVersion, seenBefore: seen.length });
    return 0;
  };
  const start = async () => {
    const onObject = async (obj: KubeObject) => {
      await observe?.(obj);
      seen.push(obj);
    };
    const w = watchRuns(kc, api, onObject, logger, state, { sources: [source], onVanished });
    await w.start();
    return w;
  };
  const setPhase = async (name: string, phase: string) => {
    const current = (await api.getNamespacedCustomObject({ ...AR, namespace: NS, name })) as KubeObject;
    return (await api.replaceNamespacedCustomObjectStatus({
      ...AR,
      namespace: NS,
      name,
      body: { ...current, status: { phase } },
    })) as KubeObject;
  };
  const create = async (name: string, annotations?: Record<string, string>) =>
    (await api.createNamespacedCustomObject({
      ...AR,
      namespace: NS,
      body: {
        apiVersion: `${AR.group}/${AR.version}`,
        kind: 'AgentRun',
        metadata: { name, namespace: NS, ...(annotations ? { annotations } : {}) },
        spec: { agentRef: { name: 'agent' }, runtime: { type: 'job' }, implementation: { inline: { text: 'x' } } },
      },
    })) as KubeObject;
  const remove = (name: string) => api.deleteNamespacedCustomObject({ ...AR, namespace: NS, name });
  return { stored, seen, start, setPhase, create, remove, polled, vanished };
}

const versionsOf = (seen: KubeObject[], name: string) =>
  seen.filter((o) => o.metadata.name === name).map((o) => o.metadata.resourceVersion);

describe('run watch ordering', () => {
  it('observes other runs while one is held up, keeps that run in order, and stores a version only once all before it were observed', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const { stored, seen, start, setPhase, create } = await setup(async (obj) => {
      if (obj.metadata.name === 'slow') await released;
    });
    const w = await start();
    const slow = await create('slow');
    const running = await setPhase('slow', 'Running');
    const fast = await create('fast');
    await eventually('fast observed while slow is held', async () => (versionsOf(seen, 'fast').length > 0 ? true : undefined));
    expect(versionsOf(seen, 'slow')).toEqual([]);
    expect(Number(stored.get('AgentRun') ?? '0')).toBeLessThan(Number(slow.metadata.resourceVersion));

    release();
    await eventually('the last version stored', async () => (stored.get('AgentRun') === fast.metadata.resourceVersion ? true : undefined));
    expect(versionsOf(seen, 'slow')).toEqual([slow.metadata.resourceVersion, running.metadata.resourceVersion]);
    await w.stop();
  });
});

describe('run watch resumption', () => {
  it('replays every version written while it was stopped, from the stored resourceVersion', async () => {
    const { stored, seen, start, setPhase, create } = await setup();
    const first = await start();
    const created = await create('r1');
    await eventually('r1 observed and recorded', async () =>
      stored.get('AgentRun') === created.metadata.resourceVersion ? true : undefined,
    );
    await first.stop();

    const running = await setPhase('r1', 'Running');
    const done = await setPhase('r1', 'Succeeded');
    const second = await start();
    expect(second.synced()).toBe(true);
    await eventually('the replayed versions', async () => (stored.get('AgentRun') === done.metadata.resourceVersion ? true : undefined));
    await second.stop();
    expect(versionsOf(seen, 'r1')).toEqual([
      created.metadata.resourceVersion,
      running.metadata.resourceVersion,
      done.metadata.resourceVersion,
    ]);
  });

  it('relists on 410 Gone and watches on from the list', async () => {
    const { stored, seen, start, setPhase, create } = await setup();
    const first = await start();
    const created = await create('r2');
    await eventually('r2 recorded', async () => (stored.get('AgentRun') === created.metadata.resourceVersion ? true : undefined));
    await first.stop();
    const old = stored.get('AgentRun');

    // More writes than the server keeps: the stored version is gone.
    let last: KubeObject | undefined;
    for (let i = 0; i < 8; i++) last = await setPhase('r2', i % 2 === 0 ? 'Pending' : 'Running');
    seen.length = 0;
    logged.length = 0;
    const second = await start();
    await eventually('r2 relisted', async () => (versionsOf(seen, 'r2').includes(last!.metadata.resourceVersion) ? true : undefined));
    expect(Number(stored.get('AgentRun'))).toBeGreaterThanOrEqual(Number(last!.metadata.resourceVersion));
    expect(stored.get('AgentRun')).not.toBe(old);
    expect(logged).toContain('resourceVersion expired; relisting');

    // The watch after the relist delivers new versions.
    const after = await setPhase('r2', 'Succeeded');
    await eventually('the next version', async () => (versionsOf(seen, 'r2').includes(after.metadata.resourceVersion) ? true : undefined));
    expect(second.synced()).toBe(true);
    await second.stop();
  });

  it('after a relist, has the runs it left out ended, once the versions before are observed and before the list’s version is stored', async () => {
    const { stored, seen, start, setPhase, create, remove, vanished } = await setup();
    const first = await start();
    const kept = await create('kept');
    const removed = await create('removed');
    await eventually('both recorded', async () => (stored.get('AgentRun') === removed.metadata.resourceVersion ? true : undefined));
    await first.stop();
    vanished.length = 0;

    // Deleted while nothing watched, and more writes after than the server keeps: the deletion is
    // in no watch's replay, only in the next list's absence.
    await remove('removed');
    let last: KubeObject | undefined;
    for (let i = 0; i < 8; i++) last = await setPhase('kept', i % 2 === 0 ? 'Pending' : 'Running');
    seen.length = 0;
    const second = await start();
    const asked = await eventually('the relist to ask', async () => vanished.find((v) => v.kind === 'AgentRun'));
    expect(asked.listed).toEqual([kept.metadata.uid]);
    expect(Number(asked.resourceVersion)).toBeGreaterThanOrEqual(Number(last!.metadata.resourceVersion));
    // Every listed version was observed before, and the list's version is stored after.
    expect(asked.seenBefore).toBe(1);
    await eventually('the list’s version stored', async () => (stored.get('AgentRun') === asked.resourceVersion ? true : undefined));
    await second.stop();
    expect(vanished.filter((v) => v.kind === 'AgentRun')).toHaveLength(1);
  });

  it('still knows, after a restart, the runs that did not change while it was down, so their provider is polled', async () => {
    const { stored, start, create, polled } = await setup();
    const first = await start();
    const binding = JSON.stringify({ provider: 'temporal', config: { namespace: 'default', workflowId: 'ns.quiet' } });
    const quiet = await create('quiet', { 'jangar.proompteng.ai/binding': binding });
    await eventually('quiet recorded', async () => (stored.get('AgentRun') === quiet.metadata.resourceVersion ? true : undefined));
    await first.stop();
    polled.clear();

    // Nothing changes while it is down: the resumed watch replays nothing for this run.
    const second = await start();
    await eventually('the unchanged run to be polled', async () => (polled.has('quiet') ? true : undefined));
    await second.stop();
  });
});
