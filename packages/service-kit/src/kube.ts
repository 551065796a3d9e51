import { CustomObjectsApi, KubeConfig, ApiException } from '@kubernetes/client-node';
import { DomainError, TransientError } from './errors.js';

/** Loads the cluster from `KUBECONFIG` (or the default locations), or the in-cluster service account. */
export function loadKubeConfig(kubeconfigPath?: string): KubeConfig {
  const kc = new KubeConfig();
  if (kubeconfigPath) kc.loadFromFile(kubeconfigPath);
  else if (process.env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster();
  else kc.loadFromDefault();
  return kc;
}

/** The custom-objects client every service uses for primitives. */
export function customObjects(kc: KubeConfig): CustomObjectsApi {
  return kc.makeApiClient(CustomObjectsApi);
}

/** The HTTP code of a Kubernetes API failure, when it is one. */
export function kubeStatusCode(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

/** The `message` of the Kubernetes Status body carried by an API failure. */
export function kubeStatusMessage(err: unknown): string | undefined {
  if (!(err instanceof ApiException)) return undefined;
  try {
    const body = typeof err.body === 'string' ? JSON.parse(err.body) : err.body;
    return typeof body?.message === 'string' ? body.message : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Translates a Kubernetes failure into a typed error at the boundary: 404 and 409 become domain
 * errors a caller may expect; 5xx, 429 and network failures become transient (retry with backoff).
 */
export function translateKubeError(err: unknown, what: string): Error {
  const code = kubeStatusCode(err);
  const message = kubeStatusMessage(err) ?? (err as Error)?.message ?? String(err);
  if (code === 404) return new DomainError('not_found', `${what}: not found`, { cause: err });
  if (code === 409) return new DomainError('conflict', `${what}: ${message}`, { cause: err });
  if (code === 422 || code === 400) return new DomainError('validation_failed', `${what}: ${message}`, { cause: err });
  if (code === 403 || code === 401)
    return new DomainError('forbidden', `${what}: the control plane may not do this (${message})`, { cause: err });
  return new TransientError(`${what}: ${message}`, { cause: err });
}
