import { ListWatch, Watch, type CustomObjectsApi, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import {
  AgentRun,
  bindingOf,
  cancelledStatus,
  KubeObject,
  OrchestrationRun,
  PROVIDER_RUN_UID_LABEL,
  providerStateOf,
  RunProviderStatus,
  isTerminalPhase,
  kindByName,
  type KindDefinition,
  type OutcomePayload,
  type RunBinding,
} from '@jangar/contracts';
import { timeKubeCall, type Logger } from '@jangar/service-kit';
import { listClusterWide, relistOnError } from '@jangar/service-kit/kube';
import { keyedQueue } from './keyed-queue.js';
import { slimProvider, slimRun, SlimmingWatch } from './slim.js';
import { pollStatuses } from './sources/poller.js';
import type { BoundRun, PollingStatusSource } from './sources/types.js';
import type { WatchState } from './store.js';

export const RUN_KINDS: readonly KindDefinition[] = [AgentRun, OrchestrationRun];

/**
 * The version to observe for a run deleted before it ended — by `kubectl delete`, its namespace's
 * deletion, or the garbage collection of its OrchestrationRun's children — which no controller
 * recorded as over: its deletion is the version that ends it, `Cancelled` as a delete through
 * Jangar records it. Undefined for a run already over (Jangar's own deletes record `Cancelled`
 * before they delete). Its times come from the object, so every replica observes the same status.
 */
export function deletedRunVersion(obj: unknown): KubeObject | undefined {
  const parsed = KubeObject.safeParse(obj);
  if (!parsed.success) return undefined;
  const run = parsed.data;
  const status = (run.status ?? {}) as { phase?: string; updatedAt?: string };
  if (isTerminalPhase(status.phase)) return undefined;
  const at = run.metadata.deletionTimestamp ?? status.updatedAt ?? run.metadata.creationTimestamp;
  const when = Number.isNaN(Date.parse(at)) ? new Date(0) : new Date(at);
  return { ...run, status: { ...status, ...cancelledStatus(run, 'its deletion outside Jangar', when) } };
}

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
  return withProviderState(run, provider ? providerStateOf(provider) : undefined);
}

/** {@link withLiveProvider} for a state that comes from elsewhere than an object (a polled API). */
export function withProviderState(run: KubeObject, live: RunProviderStatus | undefined): KubeObject {
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

type Resource = { group: string; version: string; plural: string; kind: string };

/** True when a watch ended because its resourceVersion is older than the server keeps (410 Gone). */
export function isGone(err: unknown): boolean {
  const e = err as { statusCode?: unknown; code?: unknown } | null | undefined;
  return e?.statusCode === 410 || e?.code === 410;
}

/**
 * True when a watch ended because it went quiet: client-node ends one after 30 s without a byte,
 * and a real API server sends a bookmark only about once a minute, so on a quiet cluster every
 * watch ends so. It is renewed at once, as client-node's own informers do (the 30 s already
 * spaced it): counted as a failure, its backoff grew to 10 s with nothing watched. Only a watch
 * the server answered went quiet; the same timeout before an answer is a server not answering.
 */
export function wentQuiet(err: unknown): boolean {
  return (err as { name?: unknown } | null | undefined)?.name === 'TimeoutError';
}

/**
 * Watches on every run kind, resumed from the resourceVersion stored in `state`, informers on
 * the provider objects (Jobs, Workflows), cluster-wide, and a poller per status source (Temporal)
 * for the providers that have no objects. A run watch with no stored version (or one
 * the API server no longer keeps: 410 Gone) lists, observes every object, ends the stored runs the
 * list left out (`onVanished`: deleted while no watch saw it), then watches from the list's
 * version; any other end re-watches from the last version seen. Observations go through a
 * {@link keyedQueue} keyed on the run's uid: one run's versions are handled in the order the API
 * server sent them, while different runs are handled side by side (`concurrency` at once), and a
 * kind's version is stored only once everything queued before it was observed (a mark): a restart
 * replays what it had not finished, and each transition made while it was down is still seen.
 * A provider change — of its object, or of the state a source polled — re-observes its run as the
 * run watch last saw it, so the provider's phase shows even when only the provider changed.
 */
export function watchRuns(
  kc: KubeConfig,
  api: CustomObjectsApi,
  onObject: (obj: KubeObject, opts?: { fillOnly?: boolean }) => Promise<void>,
  logger: Logger,
  state: WatchState,
  options: {
    sources?: readonly PollingStatusSource[];
    concurrency?: number;
    /**
     * Ends the stored runs of a kind not in a list taken at a version (the uids it had), as their
     * deletion would have; resolves with how many it ended. Without it a relist only adds.
     */
    onVanished?: (kind: string, listed: ReadonlySet<string>, resourceVersion: string) => Promise<number>;
  } = {},
) {
  // Ordering matters per run only: `observeRun` reads the run's stored digest, publishes and
  // upserts, so two versions of one run must not overlap, but two runs never share a row or a dedup
  // ID. One serial queue made the aggregator's rate one over three round trips for the whole cluster.
  const queue = keyedQueue({ limit: options.concurrency ?? 8 });
  let stopped = false;
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!stopped) fn();
    }, ms).unref();
    timers.add(timer);
  };

  // A failed step is retried until it lands: dropping it would lose a transition, and skipping it
  // would store a version past one not yet observed (its mark waits for it). It holds up its own
  // run and the marks after it, not other runs.
  const retrying = (what: string, fn: () => Promise<void>) => async () => {
    for (let attempt = 1; !stopped; attempt++) {
      try {
        return await fn();
      } catch (err) {
        logger.warn({ err, attempt, what }, 'a status step failed; retrying');
        await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** attempt, 5_000)));
      }
    }
  };

  // Every object of a kind, cluster-wide; list items carry no apiVersion or kind, so they are added.
  const listAll = async (kind: Resource) => {
    const list = (await timeKubeCall('list', kind.kind, () => listClusterWide(api, kind))) as {
      items?: KubernetesObject[];
      metadata?: { resourceVersion?: string };
    };
    const items = (list.items ?? []).map((item) => ({ apiVersion: `${kind.group}/${kind.version}`, kind: kind.kind, ...item }));
    return { ...list, items };
  };

  const informerOf = (kind: Resource) => {
    // makeInformer's ListWatch, fed slimmed objects: it caches every provider object of the cluster.
    const slim = (obj: KubernetesObject) => slimProvider(obj, kind.kind);
    const informer = new ListWatch(
      `/apis/${kind.group}/${kind.version}/${kind.plural}`,
      new SlimmingWatch(kc, slim),
      async () => {
        const list = await listAll(kind);
        return { ...list, items: list.items.map(slim) } as never;
      },
      false,
    );
    return relistOnError(informer, kind.kind, { logger, stopped: () => stopped });
  };
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
  // `fillOnly`: a version from elsewhere than the watch (a change's outcome), stored only where
  // it is newer than what is stored; `done` is told once it was observed.
  const enqueue = (raw: KubernetesObject | KubeObject, opts: { fillOnly?: boolean; done?: () => void } = {}) => {
    const parsed = KubeObject.safeParse(raw);
    if (!parsed.success) {
      logger.warn({ name: raw.metadata?.name }, 'ignoring a run object without the expected metadata');
      opts.done?.();
      return;
    }
    const provider = providerOf(parsed.data);
    const obj = provider ? withLiveProvider(parsed.data, provider) : withProviderState(parsed.data, polledStateOf(parsed.data));
    const what = `observe ${obj.kind} ${obj.metadata.namespace}/${obj.metadata.name}@${obj.metadata.resourceVersion}`;
    const observe = retrying(what, () => onObject(obj, opts.fillOnly ? { fillOnly: true } : undefined));
    queue.push(obj.metadata.uid, opts.done ? () => observe().finally(opts.done) : observe);
  };

  const runWatch = (kind: Resource) => {
    const path = `/apis/${kind.group}/${kind.version}/${kind.plural}`;
    // Stands in for the informer cache the provider join reads: the latest version of each run.
    const cache = new Map<string, KubernetesObject>();
    const keyOf = (obj: KubernetesObject) => `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
    let lastSeen: string | undefined;
    let failures = 0;
    let abort: AbortController | undefined;
    let established = false;
    let markReady!: () => void;
    const ready = new Promise<void>((resolve) => (markReady = () => ((established = true), resolve())));
    const backoff = () => Math.min(250 * 2 ** failures++, 10_000);
    // Runs deleted while no watch saw them are ended once every version queued before the list is
    // stored, so none of those lands after its run was ended, and before the list's version is: a
    // restart before then lists again. The mark has a key of its own, as a position's newer mark
    // stands in for an older one of its key.
    const endVanished = (listed: ReadonlySet<string>, rv: string) =>
      queue.mark(
        `${kind.kind} vanished`,
        retrying(`end ${kind.kind} runs deleted before ${rv}`, async () => {
          const ended = await options.onVanished!(kind.kind, listed, rv);
          if (ended > 0) logger.info({ kind: kind.kind, runs: ended, resourceVersion: rv }, 'ended runs deleted while no watch saw them');
        }),
      );
    const record = (rv: string) =>
      queue.mark(
        kind.kind,
        retrying(`record ${kind.kind}@${rv}`, () => state.set(kind.kind, rv)),
      );

    const relist = async (): Promise<void> => {
      if (stopped) return;
      try {
        const list = await listAll(kind);
        cache.clear();
        const listed = new Set<string>();
        for (const item of list.items) {
          const slim = slimRun(item);
          cache.set(keyOf(slim), slim);
          if (slim.metadata?.uid) listed.add(slim.metadata.uid);
          enqueue(slim);
        }
        lastSeen = list.metadata?.resourceVersion;
        if (lastSeen) {
          if (options.onVanished) endVanished(listed, lastSeen);
          // Listed items come in no order of version, so only the list's own version is stored.
          record(lastSeen);
        }
        markReady();
        watchFrom(lastSeen);
      } catch (err) {
        logger.warn({ err: String(err), kind: kind.kind }, 'list failed; retrying');
        later(backoff(), () => void relist());
      }
    };

    // On resume the watch replays only what changed since the stored version; the cache (which the
    // provider join and the polling sources read) must also hold the runs that did not change.
    // Filled from a list without observing: replayed events and later changes are what get observed.
    const fillCache = async (): Promise<void> => {
      try {
        for (const item of (await listAll(kind)).items) {
          const slim = slimRun(item);
          cache.set(keyOf(slim), slim);
        }
      } catch (err) {
        // The watch still resumes; runs unchanged since the restart join their provider on their next change.
        logger.warn({ err: String(err), kind: kind.kind }, 'could not list runs to fill the cache on resume');
      }
    };

    const watchFrom = (rv: string | undefined) => {
      if (stopped) return;
      if (rv === undefined) return void relist();
      let ended = false;
      // Set once the API server answered the watch: client-node's 30 s timer also runs while it
      // waits for that answer, and a server that never gives one is a failure, not a quiet watch.
      let opened = false;
      const end = (err: unknown) => {
        if (ended || stopped) return;
        ended = true;
        abort?.abort();
        if (isGone(err)) {
          logger.info({ kind: kind.kind, resourceVersion: rv }, 'resourceVersion expired; relisting');
          void relist();
          return;
        }
        if (opened && wentQuiet(err)) {
          failures = 0;
          logger.debug({ kind: kind.kind }, 'watch went quiet; renewing it');
          return watchFrom(lastSeen);
        }
        if (err) logger.warn({ err: String(err), kind: kind.kind }, 'watch ended; resuming');
        later(backoff(), () => watchFrom(lastSeen));
      };
      const onEvent = (type: string, obj: KubernetesObject & { code?: number }) => {
        if (ended) return;
        failures = 0;
        if (type === 'ERROR') return end(obj);
        const version = obj.metadata?.resourceVersion;
        if (type === 'DELETED') {
          cache.delete(keyOf(obj));
          const ended = deletedRunVersion(slimRun(obj));
          if (ended) enqueue(ended);
        } else if (type !== 'BOOKMARK') {
          const slim = slimRun(obj);
          cache.set(keyOf(slim), slim);
          enqueue(slim);
        }
        if (version) {
          lastSeen = version;
          record(version);
        }
      };
      new Watch(kc).watch(path, { resourceVersion: rv, allowWatchBookmarks: true }, onEvent, end).then((controller) => {
        abort = controller;
        if (ended || stopped) return controller.abort();
        opened = true;
        if (!established) markReady();
      }, end);
    };

    return {
      cache,
      established: () => established,
      async start() {
        const stored = await state.get(kind.kind);
        // "0" asks for any version, not for the events after one: that is a list.
        if (stored && stored !== '0') {
          lastSeen = stored;
          await fillCache();
          watchFrom(stored);
        } else void relist();
        await ready;
      },
      stop: () => abort?.abort(),
    };
  };
  const runWatches = RUN_KINDS.map((kind) => runWatch(kind));

  const onProvider = (kind: string) => (provider: KubernetesObject) => {
    const typed = { ...provider, kind };
    const uid = provider.metadata?.labels?.[PROVIDER_RUN_UID_LABEL];
    for (const watch of runWatches) {
      for (const r of watch.cache.values()) {
        if (r.metadata?.namespace !== provider.metadata?.namespace) continue;
        // A labelled provider names its run's uid: compare, never parse (parsing every cached run of
        // the namespace for every provider event cost a zod parse per live run per event).
        if (uid) {
          if (r.metadata?.uid === uid) return enqueue(r);
          continue;
        }
        const parsed = KubeObject.safeParse(r);
        if (parsed.success && belongsTo(parsed.data, typed)) return enqueue(r);
      }
    }
  };

  for (const { kind, informer } of providerInformers) {
    informer.on('add', onProvider(kind.kind));
    informer.on('update', onProvider(kind.kind));
  }

  // Bindings are parsed once per version of a run: cached objects are replaced, never changed.
  const bindings = new WeakMap<KubernetesObject, RunBinding | null>();
  const bindingOfCached = (r: KubernetesObject): RunBinding | undefined => {
    let binding = bindings.get(r);
    if (binding === undefined) {
      // bindingOf reads only the annotations, which every cached run has as a string map.
      binding = r.metadata?.annotations ? (bindingOf(r as unknown as KubeObject) ?? null) : null;
      bindings.set(r, binding);
    }
    return binding ?? undefined;
  };
  function* boundRuns(provider: string): Generator<BoundRun> {
    for (const watch of runWatches) {
      for (const r of watch.cache.values()) {
        const binding = bindingOfCached(r);
        const { uid, namespace, name } = r.metadata ?? {};
        if (binding?.provider !== provider || !uid || !namespace || !name) continue;
        const phase = (r as { status?: { phase?: unknown } }).status?.phase;
        yield { key: uid, namespace, name, phase: typeof phase === 'string' ? phase : undefined, binding };
      }
    }
  }
  const pollers = new Map(
    (options.sources ?? []).map((source) => [
      source.provider,
      pollStatuses(source, {
        runs: () => boundRuns(source.provider),
        onChange: (run) => {
          for (const watch of runWatches) {
            const r = watch.cache.get(`${run.namespace}/${run.name}`);
            if (r?.metadata?.uid === run.key) return enqueue(r);
          }
        },
        logger,
      }),
    ]),
  );
  function polledStateOf(run: KubeObject): RunProviderStatus | undefined {
    if (pollers.size === 0) return undefined;
    const provider = bindingOf(run)?.provider;
    return provider === undefined ? undefined : pollers.get(provider)?.stateOf(run.metadata.uid);
  }

  return {
    async start() {
      for (const watch of runWatches) await watch.start();
      for (const poller of pollers.values()) poller.start();
      // Provider types may not be installed (no Argo on the cluster): their informers retry in
      // the background and never hold up readiness.
      for (const { kind, informer } of providerInformers) {
        void informer.start().catch((err: unknown) => logger.warn({ err: String(err), kind: kind.kind }, 'provider watch failed to start'));
      }
    },
    synced: () => runWatches.every((w) => w.established()),
    /**
     * Observes a run as a change through Jangar left it (an applied outcome's object; any other
     * outcome is passed over), in its turn among the watch's versions of that run, where it is
     * newer than what is stored: so a run made and deleted while every watch listed again, which
     * no watch event and no list showed, still reads as it was left. Resolves once it was observed.
     */
    observeOutcome: (outcome: OutcomePayload): Promise<void> => {
      if (outcome.result !== 'applied' || !kindByName(outcome.resource.kind)?.isRun) return Promise.resolve();
      const obj = outcome.resource;
      // A run deleted before it existed (queued, or held for approval) is answered with the object
      // it would have been, with no uid or version: it is listed from its waiting row, not here.
      if (!obj.metadata.uid || !obj.metadata.resourceVersion) return Promise.resolve();
      return new Promise<void>((done) => enqueue(obj, { fillOnly: true, done }));
    },
    async stop() {
      await Promise.all([...pollers.values()].map((p) => p.stop()));
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      for (const watch of runWatches) watch.stop();
      await Promise.all(providerInformers.map((p) => p.informer.stop()));
      await queue.idle();
    },
  };
}
