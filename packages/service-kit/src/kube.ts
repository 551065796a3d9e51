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
 * Translates a Kubernetes failure into a typed error at the boundary: 404 and 409 become domain
 * errors a caller may expect; 5xx, 429 and network failures become transient (retry with backoff).
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
  if (code === 403 || code === 401)
    return new DomainError('forbidden', `${what}: the control plane may not do this (${message})`, { cause: err });
  return new TransientError(`${what}: ${message}`, { cause: err });
}
