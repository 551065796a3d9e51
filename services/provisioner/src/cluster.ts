import type { CustomObjectsApi } from '@kubernetes/client-node';
import { KubeObject, type KindDefinition } from '@jangar/contracts';
import { kubeStatusCode, translateKubeError } from '@jangar/service-kit/kube';

/** The provisioner's view of the cluster: get and create primitives, failures already typed. */
export class Cluster {
  constructor(private readonly api: CustomObjectsApi) {}

  /** The object, or undefined when it does not exist. */
  async get(kind: KindDefinition, namespace: string, name: string): Promise<KubeObject | undefined> {
    try {
      return KubeObject.parse(
        await this.api.getNamespacedCustomObject({ group: kind.group, version: kind.version, namespace, plural: kind.plural, name }),
      );
    } catch (err) {
      if (kubeStatusCode(err) === 404) return undefined;
      throw translateKubeError(err, `get ${kind.kind} ${namespace}/${name}`);
    }
  }

  /** Creates the object; `undefined` when one with that name already exists. */
  async create(kind: KindDefinition, namespace: string, body: object): Promise<KubeObject | undefined> {
    try {
      return KubeObject.parse(
        await this.api.createNamespacedCustomObject({ group: kind.group, version: kind.version, namespace, plural: kind.plural, body }),
      );
    } catch (err) {
      if (kubeStatusCode(err) === 409) return undefined;
      throw translateKubeError(err, `create ${kind.kind} in ${namespace}`);
    }
  }
}
