import { createHash } from 'node:crypto';
import {
  CustomObjectsApi,
  KubeConfig,
  ApiException,
  makeInformer,
  Observable,
  type Informer,
  type KubernetesObject,
  type ObjectCache,
} from '@kubernetes/client-node';
import type { ConfigurationOptions, KubernetesListObject, ObservableMiddleware } from '@kubernetes/client-node';
import type { KindDefinition } from '@jangar/contracts';
import { DomainError, TransientError } from './errors.js';
import type { Logger } from './logger.js';

/** Loads the cluster from `KUBECONFIG` (or the default locations), or the in-cluster service account. */
export function loadKubeConfig(kubeconfigPath?: string): KubeConfig {
  const kc = new KubeConfig();
  if (kubeconfigPath) kc.loadFromFile(kubeconfigPath);
  else if (process.env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster();
  else kc.loadFromDefault();
  return reuseConnections(kc);
}

/** The part of KubeConfig that builds each request's undici dispatcher (private in its typings). */
interface DispatcherFactory {
  createDispatcher?: (cluster: unknown, agentOptions: unknown) => { close(): Promise<void> } | undefined;
  createDispatcherOptions(cluster: unknown, agentOptions: unknown): unknown;
}

/** Dispatchers kept per distinct TLS setup; more than this many means credentials rotated, and the oldest go. */
const MAX_DISPATCHERS = 4;

/**
 * client-node 2.0 builds a new undici Agent for every request whenever the cluster has TLS
 * settings (a CA, client certificates, or skip-verify), so no connection is ever reused: each call
 * opened a TCP connection (and against a real API server, a TLS handshake) and left it to linger.
 * That was half the provisioner's CPU. This keeps one dispatcher per distinct set of options, so
 * calls share a keep-alive pool, and a rotated certificate still gets a dispatcher of its own.
 */
export function reuseConnections(kc: KubeConfig): KubeConfig {
  const factory = kc as unknown as DispatcherFactory;
  const create = factory.createDispatcher?.bind(kc);
  // A client-node that no longer has the method is left as it is.
  if (!create) return kc;
  const dispatchers = new Map<string, ReturnType<typeof create>>();
  factory.createDispatcher = (cluster, agentOptions) => {
    const key = createHash('sha256')
      .update(JSON.stringify(factory.createDispatcherOptions(cluster, agentOptions)))
      .digest('hex');
    if (!dispatchers.has(key)) {
      dispatchers.set(key, create(cluster, agentOptions));
      if (dispatchers.size > MAX_DISPATCHERS) {
        const [oldest, dispatcher] = dispatchers.entries().next().value!;
        dispatchers.delete(oldest);
        void dispatcher?.close().catch(() => undefined);
      }
    }
    return dispatchers.get(key);
  };
  return kc;
}

/** An informer that also holds the objects it saw: client-node's `makeInformer`. */
export type CachingInformer = Informer<KubernetesObject> & ObjectCache<KubernetesObject>;

/** How long an informer waits after a failed watch before it lists and watches again. */
const INFORMER_RESTART_MS = 1_000;

/** What to do when an informer fails: log it and, unless `stopped()`, start it again; `onError` hears of it first. */
export interface RelistOptions {
  logger: Logger;
  stopped: () => boolean;
  /** A cache that tracks its sync drops it here. */
  onError?: () => void;
}

/** Makes a failed list or watch of `informer` (of `kind`) list and watch again a second later, unless stopped. */
export function relistOnError<I extends Informer<KubernetesObject>>(informer: I, kind: string, opts: RelistOptions): I {
  informer.on('error', (err: unknown) => {
    opts.onError?.();
    if (opts.stopped()) return;
    opts.logger.warn({ err: String(err), kind }, 'informer failed; listing again');
    setTimeout(() => void informer.start().catch(() => undefined), INFORMER_RESTART_MS).unref();
  });
  return informer;
}

/** An informer on every object of a kind, cluster-wide, not yet started, that lists again after a failure ({@link relistOnError}). */
export function kindInformer(kc: KubeConfig, api: CustomObjectsApi, kind: KindDefinition, opts: RelistOptions): CachingInformer {
  const { group, version, plural } = kind;
  const informer = makeInformer<KubernetesObject>(kc, `/apis/${group}/${version}/${plural}`, () => listClusterWide(api, kind));
  return relistOnError(informer, kind.kind, opts);
}

/**
 * How long a cluster-wide list may take. Longer than one call's deadline, as a large collection
 * takes a while to list (the API server's own request timeout is 60 s); but a list the API server
 * never answers would hold an informer, its cache stale, for as long as TCP takes to give up.
 */
export const KUBE_LIST_DEADLINE_MS = 60_000;

/** Every object of a kind in all namespaces, as one list abandoned after `deadlineMs`. */
export function listClusterWide(
  api: CustomObjectsApi,
  kind: { group: string; version: string; plural: string },
  deadlineMs = KUBE_LIST_DEADLINE_MS,
): Promise<KubernetesListObject<KubernetesObject>> {
  return api.listClusterCustomObject({ group: kind.group, version: kind.version, plural: kind.plural }, withDeadline(deadlineMs));
}

/** How long one call to the API server may take before it is abandoned: a handler makes a few, well inside `MAX_WORKING_MS`. */
export const KUBE_CALL_DEADLINE_MS = 10_000;

/**
 * Options for one API call that abort it after `ms`, added to `options` (say, a patch's content
 * type). Without them a stalled API server holds a call for undici's five minutes, and the message
 * (which its replica keeps saying it works on) and any lock the handler holds wait as long. The
 * abort is a network failure, so `translateKubeError` makes it transient: the message is retried.
 */
export function withDeadline(ms: number, options?: ConfigurationOptions<ObservableMiddleware>): ConfigurationOptions<ObservableMiddleware> {
  const deadline: ObservableMiddleware = {
    pre: (request) => {
      request.setSignal(AbortSignal.timeout(ms));
      return new Observable(Promise.resolve(request));
    },
    post: (response) => new Observable(Promise.resolve(response)),
  };
  return { ...options, middleware: [...(options?.middleware ?? []), deadline], middlewareMergeStrategy: 'append' };
}

/** The custom-objects client every service uses for primitives. */
export function customObjects(kc: KubeConfig): CustomObjectsApi {
  return kc.makeApiClient(CustomObjectsApi);
}

/** The HTTP code of a Kubernetes API failure, when it is one. */
export function kubeStatusCode(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

interface KubeStatus {
  message?: unknown;
  details?: { causes?: Array<{ field?: unknown; message?: unknown }> };
}

function statusBody(err: unknown): KubeStatus | undefined {
  if (!(err instanceof ApiException)) return undefined;
  try {
    const body: unknown = typeof err.body === 'string' ? JSON.parse(err.body) : err.body;
    return typeof body === 'object' && body !== null ? (body as KubeStatus) : undefined;
  } catch {
    return undefined;
  }
}

/** The `message` of the Kubernetes Status body carried by an API failure. */
export function kubeStatusMessage(err: unknown): string | undefined {
  const message = statusBody(err)?.message;
  return typeof message === 'string' ? message : undefined;
}

/** The field causes of a Kubernetes Status (a 422 names each invalid field), as the API's field errors. */
export function kubeStatusCauses(err: unknown): Array<{ path: string; message: string }> {
  return (statusBody(err)?.details?.causes ?? []).flatMap((c) =>
    typeof c.message === 'string' ? [{ path: typeof c.field === 'string' && c.field !== '' ? c.field : '(root)', message: c.message }] : [],
  );
}

/**
 * The API server's wording when RBAC refuses the caller itself (`User "system:serviceaccount:…"
 * cannot create resource …`), as opposed to a quota or an admission webhook refusing the request.
 */
const RBAC_DENIAL = /\bcannot [a-z]+ resource\b/i;

/**
 * Translates a Kubernetes failure into a typed error at the boundary: 404 and 409 become domain
 * errors a caller may expect; 5xx, 429 and network failures become transient (retry with backoff).
 * A 403 from a quota or an admission webhook refuses the request (`forbidden`, with the server's
 * reason). A 401, or a 403 because the control plane's own account lacks a permission, is the
 * operator's to fix, not the client's: transient, so the request completes once the account may
 * act, and never a final answer naming the account.
 */
export function translateKubeError(err: unknown, what: string): Error {
  const code = kubeStatusCode(err);
  const message = kubeStatusMessage(err) ?? (err as Error)?.message ?? String(err);
  if (code === 404) return new DomainError('not_found', `${what}: not found`, { cause: err });
  if (code === 409) return new DomainError('conflict', `${what}: ${message}`, { cause: err });
  if (code === 422 || code === 400) {
    const errors = kubeStatusCauses(err);
    return new DomainError('validation_failed', `${what}: ${message}`, { cause: err, ...(errors.length > 0 ? { errors } : {}) });
  }
  if (code === 401) return new TransientError(`${what}: the cluster refused the control plane's credentials`, { cause: err });
  if (code === 403 && RBAC_DENIAL.test(message)) {
    return new TransientError(`${what}: the control plane's service account is not permitted to; check its RBAC`, { cause: err });
  }
  if (code === 403) return new DomainError('forbidden', `${what}: the cluster refused it (${message})`, { cause: err });
  return new TransientError(`${what}: ${message}`, { cause: err });
}
