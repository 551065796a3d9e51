import type { CustomObjectsApi } from '@kubernetes/client-node';
import { KubeObject, type KindDefinition } from '@jangar/contracts';
import { SpanKind, timeKubeCall, withSpan, type Span } from '@jangar/service-kit';
import { kubeStatusCode, translateKubeError } from '@jangar/service-kit/kube';

/** A CLIENT span around one API server call, so a slow or failing cluster shows in the request's trace. */
function kubeSpan<T>(verb: string, kind: KindDefinition, namespace: string, name: string, fn: (span: Span) => Promise<T>): Promise<T> {
  return withSpan(
    `kube ${verb} ${kind.kind}`,
    {
      kind: SpanKind.CLIENT,
      attributes: { 'k8s.namespace.name': namespace, 'k8s.object.kind': kind.kind, 'k8s.object.name': name },
    },
    fn,
  );
}

/** Notes the API server's answer on the span; expected answers (404 on get, 409 on create) are not span errors. */
function noteStatus(span: Span, err: unknown): number | undefined {
  const code = kubeStatusCode(err);
  if (code !== undefined) span.setAttribute('http.response.status_code', code);
  return code;
}

/** The provisioner's view of the cluster: get and create primitives, failures already typed. */
export class Cluster {
  constructor(private readonly api: CustomObjectsApi) {}

  /** The object, or undefined when it does not exist. */
  async get(kind: KindDefinition, namespace: string, name: string): Promise<KubeObject | undefined> {
    return kubeSpan('get', kind, namespace, name, async (span) => {
      try {
        return KubeObject.parse(
          await timeKubeCall('get', kind.kind, () =>
            this.api.getNamespacedCustomObject({ group: kind.group, version: kind.version, namespace, plural: kind.plural, name }),
          ),
        );
      } catch (err) {
        if (noteStatus(span, err) === 404) return undefined;
        throw translateKubeError(err, `get ${kind.kind} ${namespace}/${name}`);
      }
    });
  }

  /** Creates the object; `undefined` when one with that name already exists. */
  async create(kind: KindDefinition, namespace: string, body: { metadata: { name: string } }): Promise<KubeObject | undefined> {
    return kubeSpan('create', kind, namespace, body.metadata.name, async (span) => {
      try {
        return KubeObject.parse(
          await timeKubeCall(
            'create',
            kind.kind,
            () => this.api.createNamespacedCustomObject({ group: kind.group, version: kind.version, namespace, plural: kind.plural, body }),
            201,
          ),
        );
      } catch (err) {
        if (noteStatus(span, err) === 409) return undefined;
        throw translateKubeError(err, `create ${kind.kind} in ${namespace}`);
      }
    });
  }
}
