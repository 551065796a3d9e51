import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { KINDS, crdFor } from '@jangar/contracts';
import type { KindDefinition } from '@jangar/contracts';
import { startKubeDev, writeKubeconfig } from '../../src/index.js';
import { waitFor } from '../support.js';

/** The kinds the suite writes; their CRDs are applied to a real cluster that lacks them. */
export function conformanceKind(name: string): KindDefinition {
  const kind = KINDS.find((k) => k.kind === name);
  if (!kind) throw new Error(`KINDS has no ${name}`);
  return kind;
}

/** A connection to one API server for the length of the suite. */
export interface TargetSession {
  kc: KubeConfig;
  api: CustomObjectsApi;
  /** A namespace of this session's own; nothing else writes in it. */
  namespace: string;
  /** A resourceVersion a watch can no longer resume from (410 Expired / Gone). */
  expiredResourceVersion(): Promise<string>;
  close(): Promise<void>;
}

/** An API server the suite runs against. */
export interface ConformanceTarget {
  name: string;
  /**
   * True for kube-dev, which makes promises a real cluster does not, such as a BOOKMARK within
   * a configurable interval; tests assert those only here.
   */
  kubeDev: boolean;
  start(): Promise<TargetSession>;
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

function suffix(): string {
  return randomBytes(4).toString('hex');
}

/** Events kube-dev keeps for watch resumption in the suite; the expiry test writes past them. */
const KUBE_DEV_EVENT_LOG = 32;

/** kube-dev started in-process on a free port, reached through a kubeconfig written to a temp dir. */
export function kubeDevTarget(): ConformanceTarget {
  return {
    name: 'kube-dev',
    kubeDev: true,
    async start() {
      const dir = await mkdtemp(join(tmpdir(), 'kube-dev-conformance-'));
      const kd = await startKubeDev({ port: 0, simulate: false, eventLogSize: KUBE_DEV_EVENT_LOG, bookmarkIntervalMs: 50 });
      const namespace = `conformance-${suffix()}`;
      const kubeconfig = join(dir, 'kubeconfig');
      await writeKubeconfig(kubeconfig, kd.url, { namespace });
      const kc = new KubeConfig();
      kc.loadFromFile(kubeconfig);
      const api = kc.makeApiClient(CustomObjectsApi);
      const agentRun = conformanceKind('AgentRun');
      return {
        kc,
        api,
        namespace,
        async expiredResourceVersion() {
          // Remember where we are, then write more events than kube-dev retains.
          const coordinates = { group: agentRun.group, version: agentRun.version, plural: agentRun.plural, namespace };
          const list = (await api.listNamespacedCustomObject(coordinates)) as { metadata: { resourceVersion: string } };
          const name = `churn-${suffix()}`;
          await api.createNamespacedCustomObject({ ...coordinates, body: minimalAgentRun(name) });
          for (let i = 0; i <= KUBE_DEV_EVENT_LOG; i++) {
            await api.patchNamespacedCustomObject({ ...coordinates, name, body: { metadata: { labels: { n: String(i) } } } }, mergePatch);
          }
          return list.metadata.resourceVersion;
        },
        async close() {
          await kd.close();
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  };
}

const CRD_COORDINATES = { group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions' } as const;

interface CrdStatus {
  status?: { conditions?: { type: string; status: string }[] };
}

/**
 * Installs a kind's CRD if the cluster lacks it and waits until it is Established and its
 * resource is served. The CRD goes through the generic object client, so its schema (with its
 * `x-kubernetes-*` keys) reaches the API server exactly as `crdFor` writes it.
 */
async function ensureCrd(kc: KubeConfig, kind: KindDefinition, deadlineMs: number): Promise<void> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const crd = crdFor(kind);
  const name = crd.metadata.name;
  try {
    await api.getClusterCustomObject({ ...CRD_COORDINATES, name });
  } catch (err) {
    if ((err as { code?: number }).code !== 404) throw err;
    try {
      await api.createClusterCustomObject({ ...CRD_COORDINATES, body: crd });
    } catch (createErr) {
      // Another run may have installed it in the meantime.
      if ((createErr as { code?: number }).code !== 409) throw createErr;
    }
  }
  await waitFor(
    async () => {
      const current = (await api.getClusterCustomObject({ ...CRD_COORDINATES, name })) as CrdStatus;
      return current.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false;
    },
    `CRD ${name} Established`,
    deadlineMs,
  );
  // Established can precede the resource being served by a moment.
  await waitFor(
    async () => {
      try {
        await api.listClusterCustomObject({ group: kind.group, version: kind.version, plural: kind.plural, limit: 1 });
        return true;
      } catch (err) {
        if ((err as { code?: number }).code === 404) return false;
        throw err;
      }
    },
    `${kind.plural}.${kind.group} served`,
    deadlineMs,
  );
}

/**
 * A real cluster, from the kubeconfig at `path`. The kinds' CRDs are applied when missing (and
 * left installed: other workloads may depend on them); the suite works in a namespace it creates
 * and deletes.
 */
export function clusterTarget(path: string, kinds: readonly KindDefinition[]): ConformanceTarget {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return {
    name: `cluster ${kc.getCurrentContext()}`,
    kubeDev: false,
    async start() {
      for (const kind of kinds) await ensureCrd(kc, kind, 60_000);
      const core = kc.makeApiClient(CoreV1Api);
      const namespace = `jangar-conformance-${suffix()}`;
      await core.createNamespace({
        body: { metadata: { name: namespace, labels: { 'app.kubernetes.io/part-of': 'jangar-conformance' } } },
      });
      const api = kc.makeApiClient(CustomObjectsApi);
      return {
        kc,
        api,
        namespace,
        // Revision 1 is compacted away on any cluster that has done some work.
        expiredResourceVersion: () => Promise.resolve('1'),
        async close() {
          // An object a failed test left holding a finalizer would keep the namespace Terminating.
          for (const kind of kinds) {
            const at = { group: kind.group, version: kind.version, plural: kind.plural, namespace };
            const { items } = (await api.listNamespacedCustomObject(at)) as {
              items: { metadata: { name: string; finalizers?: string[] } }[];
            };
            for (const item of items.filter((i) => i.metadata.finalizers?.length)) {
              await api.patchNamespacedCustomObject(
                { ...at, name: item.metadata.name, body: { metadata: { finalizers: null } } },
                mergePatch,
              );
            }
          }
          // Deletion finishes in the background; the objects left in it go with it.
          try {
            await core.deleteNamespace({ name: namespace });
          } catch (err) {
            if ((err as { code?: number }).code !== 404) throw err;
          }
        },
      };
    },
  };
}

/** The smallest valid AgentRun body. */
export function minimalAgentRun(
  name: string,
  extra: { labels?: Record<string, string>; finalizers?: string[]; spec?: Record<string, unknown> } = {},
): Record<string, unknown> {
  const kind = conformanceKind('AgentRun');
  const metadata: Record<string, unknown> = { name };
  if (extra.labels) metadata.labels = extra.labels;
  if (extra.finalizers) metadata.finalizers = extra.finalizers;
  return {
    apiVersion: `${kind.group}/${kind.version}`,
    kind: kind.kind,
    metadata,
    spec: extra.spec ?? {
      agentRef: { name: 'agent' },
      runtime: { type: 'job' },
      implementation: { inline: { text: `conformance ${name}` } },
    },
  };
}
