import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { normalizeRun, type KubeObject } from '@jangar/contracts';
import { kubeconfigFor, startKubeDev, type KubeDev } from '@jangar/kube-dev';
import type { Logger } from '@jangar/service-kit';
import { eventually } from '../../../test/support/stack.js';
import { temporalStatusSource } from '../src/sources/temporal.js';
import type { BoundRun, PollingStatusSource } from '../src/sources/types.js';
import type { WatchState } from '../src/store.js';
import { watchRuns } from '../src/watch.js';

const AR = { group: 'agents.proompteng.ai', version: 'v1alpha1', plural: 'agentruns' } as const;
const NS = 'ns';
const BINDING = 'jangar.proompteng.ai/binding';

/** A logger that keeps what was logged at warn and info. */
function recordingLogger() {
  const lines: Array<{ level: string; msg: string; fields: Record<string, unknown> }> = [];
  const at = (level: string) => (fields: Record<string, unknown>, msg: string) => void lines.push({ level, msg, fields });
  const logger = { warn: at('warn'), info: at('info'), debug: () => undefined } as unknown as Logger;
  return { lines, logger };
}

/** The binding the provisioner records for a `temporal` run. */
const temporalBinding = (name: string) => ({
  provider: 'temporal',
  config: { namespace: 'default', taskQueue: 'agents', workflowType: 'AgentRun', workflowId: `${NS}.${name}` },
});

let kd: KubeDev | undefined;
afterEach(async () => {
  await kd?.close();
  kd = undefined;
});

describe('Temporal status source', () => {
  it('joins the status polled from the simulated Temporal API to each temporal run, and stops polling a run once it is done', async () => {
    kd = await startKubeDev({ simulate: false });
    const kc = new KubeConfig();
    kc.loadFromString(kubeconfigFor(kd.url));
    const api = kc.makeApiClient(CustomObjectsApi);
    const { logger } = recordingLogger();
    const stored = new Map<string, string>();
    const state: WatchState = { get: async (kind) => stored.get(kind), set: async (kind, rv) => void stored.set(kind, rv) };

    // The real source against kube-dev, with each round's runs recorded.
    const temporal = temporalStatusSource({ url: kd.url, intervalMs: 25, logger });
    const rounds: string[][] = [];
    const source: PollingStatusSource = {
      ...temporal,
      poll: (runs, signal) => (rounds.push(runs.map((r) => r.name)), temporal.poll(runs, signal)),
    };

    const seen: KubeObject[] = [];
    const watcher = watchRuns(kc, api, async (obj) => void seen.push(obj), logger, state, { sources: [source] });
    await watcher.start();
    const latest = (name: string) => seen.filter((o) => o.metadata.name === name).at(-1);
    const providerOf = async (name: string, phase: string) =>
      eventually(`${name} with provider phase ${phase}`, async () => {
        const obj = latest(name);
        const provider = obj ? normalizeRun(obj).provider : undefined;
        return provider?.phase === phase ? provider : undefined;
      });

    const objects = new Map<string, KubeObject>();
    const create = async (name: string, binding: unknown) => {
      const body = {
        apiVersion: `${AR.group}/${AR.version}`,
        kind: 'AgentRun',
        metadata: { name, namespace: NS, annotations: { [BINDING]: JSON.stringify(binding) } },
        spec: { agentRef: { name: 'agent' }, runtime: { type: 'temporal' }, implementation: { inline: { text: 'x' } } },
      };
      objects.set(name, (await api.createNamespacedCustomObject({ ...AR, namespace: NS, body })) as KubeObject);
    };
    const setPhase = async (name: string, phase: string) => {
      const body = { ...objects.get(name), status: { phase } };
      objects.set(name, (await api.replaceNamespacedCustomObjectStatus({ ...AR, namespace: NS, name, body })) as KubeObject);
    };

    try {
      await create('t1', temporalBinding('t1'));
      await create('t2', temporalBinding('t2'));
      await create('j1', { provider: 'job', resource: { apiVersion: 'batch/v1', kind: 'Job', name: 'j1', namespace: NS }, config: {} });

      // Pending: the workflow has not started (404), so the run has a provider type and no phase.
      await eventually('t1 observed', async () => latest('t1'));
      expect(normalizeRun(latest('t1')!).provider).toEqual({ type: 'temporal' });

      await setPhase('t1', 'Running');
      await setPhase('t2', 'Running');
      expect(await providerOf('t1', 'Running')).toEqual({
        type: 'temporal',
        phase: 'Running',
        message: 'WORKFLOW_EXECUTION_STATUS_RUNNING',
      });

      await setPhase('t1', 'Succeeded');
      expect(await providerOf('t1', 'Succeeded')).toEqual({
        type: 'temporal',
        phase: 'Succeeded',
        message: 'WORKFLOW_EXECUTION_STATUS_COMPLETED',
      });

      // t2 keeps the rounds coming; three more of them leave t1 out, and no round ever asked about the Job's run.
      const after = rounds.length;
      await eventually('three more rounds', async () => (rounds.length >= after + 3 ? true : undefined));
      expect(rounds.slice(after + 1).flat()).toEqual(expect.not.arrayContaining(['t1']));
      expect(rounds.flat()).not.toContain('j1');
    } finally {
      await watcher.stop();
    }
  });

  it('leaves runs unanswered when Temporal is unreachable, and logs the failure once, not on every round', async () => {
    const { lines, logger } = recordingLogger();
    const source = temporalStatusSource({ url: 'http://127.0.0.1:1', intervalMs: 25, timeoutMs: 1_000, logger });
    const run: BoundRun = { key: 'u1', namespace: NS, name: 't1', phase: 'Running', binding: temporalBinding('t1') };
    const signal = new AbortController().signal;

    expect(await source.poll([run], signal)).toEqual(new Map());
    expect(await source.poll([run], signal)).toEqual(new Map());
    expect(lines.map((l) => `${l.level}: ${l.msg}`)).toEqual(['warn: Temporal status polls failed']);
    expect(lines[0]?.fields).toMatchObject({ url: 'http://127.0.0.1:1', failed: 1, of: 1, run: 'ns/t1' });
  });
});
