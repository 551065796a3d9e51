import { makeInformer, type CustomObjectsApi, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import {
  AgentRun,
  bindingOf,
  KubeObject,
  OrchestrationRun,
  PROVIDER_RUN_UID_LABEL,
  providerStateOf,
  RunProviderStatus,
  type KindDefinition,
} from '@jangar/contracts';
import { timeKubeCall, type Logger } from '@jangar/service-kit';

export const RUN_KINDS: readonly KindDefinition[] = [AgentRun, OrchestrationRun];

/** Provider object types whose state is folded into a run's `provider.phase`. */
export const PROVIDER_KINDS = [
  { group: 'batch', version: 'v1', plural: 'jobs', kind: 'Job' },
  { group: 'argoproj.io', version: 'v1alpha1', plural: 'workflows', kind: 'Workflow' },
] as const;

const PHASE_RANK: Record<string, number> = { Pending: 0, Running: 1, Succeeded: 2, Failed: 2, Cancelled: 2 };

/**
 * The run with its provider object's live state in `status.provider`, unless the state the
 * controller recorded there is as far along. Provider phases only move forward, so the further
 * one is the newer one, whichever watch delivered first.
 */
export function withLiveProvider(run: KubeObject, provider: { kind: string; status?: unknown } | undefined): KubeObject {
  const live = provider ? providerStateOf(provider) : undefined;
  if (!live) return run;
  const status = typeof run.status === 'object' && run.status !== null ? (run.status as Record<string, unknown>) : {};
  const recorded = RunProviderStatus.safeParse(status.provider);
  if (recorded.success && (PHASE_RANK[recorded.data.phase] ?? 0) >= (PHASE_RANK[live.phase] ?? 0)) return run;
  return { ...run, status: { ...status, provider: live } };
}

/** True when `provider` is the object the run's binding names, or carries the run's uid. */
export function belongsTo(run: KubeObject, provider: KubernetesObject): boolean {
  if (provider.metadata?.labels?.[PROVIDER_RUN_UID_LABEL] !== undefined) {
    return provider.metadata.labels[PROVIDER_RUN_UID_LABEL] === run.metadata.uid;
  }
  const resource = bindingOf(run)?.resource;
  return (
    resource !== undefined &&
    resource.kind === provider.kind &&
    resource.name === provider.metadata?.name &&
    resource.namespace === provider.metadata?.namespace
  );
}

/**
 * Informers on every run kind and on the provider objects (Jobs, Workflows), cluster-wide. Events
 * of all kinds go through one serial queue, so each object's versions are handled in the order
 * the API server sent them. A provider change re-observes its run as the run informer last saw
 * it, so the provider's phase shows even when only the provider object changed. An informer that
 * fails restarts after a pause (it re-lists, so nothing is missed).
 */
export function watchRuns(kc: KubeConfig, api: CustomObjectsApi, onObject: (obj: KubeObject) => Promise<void>, logger: Logger) {
  let queue: Promise<void> = Promise.resolve();
  let stopped = false;
  let synced = 0;
  const informerOf = (kind: { group: string; version: string; plural: string; kind: string }) => {
    const informer = makeInformer(
      kc,
      `/apis/${kind.group}/${kind.version}/${kind.plural}`,
      () =>
        timeKubeCall('list', kind.kind, () =>
          api.listClusterCustomObject({ group: kind.group, version: kind.version, plural: kind.plural }),
        ) as never,
    );
    informer.on('error', (err) => {
      if (stopped) return;
      logger.warn({ err: String(err), kind: kind.kind }, 'watch failed; restarting');
      setTimeout(() => void informer.start().catch(() => undefined), 1_000).unref();
    });
    return informer;
  };
  const runInformers = RUN_KINDS.map((kind) => informerOf(kind));
  const providerInformers = PROVIDER_KINDS.map((kind) => ({ kind, informer: informerOf(kind) }));

  const providerOf = (run: KubeObject): (KubernetesObject & { kind: string }) | undefined => {
    const resource = bindingOf(run)?.resource;
    if (!resource) return undefined;
    const entry = providerInformers.find((p) => p.kind.kind === resource.kind);
    const provider = entry?.informer.get(resource.name, resource.namespace);
    // Lists carry no kind on their items, so the binding's kind stands in.
    const typed = provider ? { ...provider, kind: resource.kind } : undefined;
    return typed && belongsTo(run, typed) ? typed : undefined;
  };

  // The provider object is read when the event is queued, not when it is handled: the caches are
  // then no newer than the events already in the queue, so a run is never observed ahead of itself.
  const enqueue = (raw: KubernetesObject) => {
    const parsed = KubeObject.safeParse(raw);
    if (!parsed.success) {
      logger.warn({ name: raw.metadata?.name }, 'ignoring a run object without the expected metadata');
      return;
    }
    const obj = withLiveProvider(parsed.data, providerOf(parsed.data));
    queue = queue.then(async () => {
      // A failed write is retried until it lands: dropping it would lose a transition.
      for (let attempt = 1; !stopped; attempt++) {
        try {
          await onObject(obj);
          return;
        } catch (err) {
          logger.warn({ err, attempt, name: obj.metadata.name }, 'recording a run failed; retrying');
          await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** attempt, 5_000)));
        }
      }
    });
  };

  const onProvider = (kind: string) => (provider: KubernetesObject) => {
    const typed = { ...provider, kind };
    const uid = provider.metadata?.labels?.[PROVIDER_RUN_UID_LABEL];
    for (const informer of runInformers) {
      const run = informer.list(provider.metadata?.namespace).find((r) => {
        if (uid) return r.metadata?.uid === uid;
        const parsed = KubeObject.safeParse(r);
        return parsed.success && belongsTo(parsed.data, typed);
      });
      if (run) return enqueue(run);
    }
  };

  for (const informer of runInformers) {
    informer.on('add', enqueue);
    informer.on('update', enqueue);
  }
  for (const { kind, informer } of providerInformers) {
    informer.on('add', onProvider(kind.kind));
    informer.on('update', onProvider(kind.kind));
  }
  return {
    async start() {
      for (const informer of runInformers) {
        await informer.start();
        synced++;
      }
      // Provider types may not be installed (no Argo on the cluster): their informers retry in
      // the background and never hold up readiness.
      for (const { kind, informer } of providerInformers) {
        void informer.start().catch((err: unknown) => logger.warn({ err: String(err), kind: kind.kind }, 'provider watch failed to start'));
      }
    },
    synced: () => synced === runInformers.length,
    async stop() {
      stopped = true;
      await Promise.all([...runInformers, ...providerInformers.map((p) => p.informer)].map((i) => i.stop()));
      await queue;
    },
  };
}
