/**
 * What the apply tests run against: the real `Cluster` over an in-process kube-dev API server (so
 * objects are parsed, replaced and preconditioned as in production), tombstones kept in memory,
 * and decision messages as policy publishes them.
 */
import { randomUUID } from 'node:crypto';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import {
  apiVersionOf,
  JANGAR_LABELS,
  type DecisionMessage,
  type KindDefinition,
  type KubeObject,
  type RequestPayload,
  type TombstoneMessage,
} from '@jangar/contracts';
import { kubeconfigFor, startKubeDev, type KubeDev } from '@jangar/kube-dev';
import { deliveryLabelValue, requestKeyFor } from '@jangar/service-kit';
import { Cluster } from '../src/cluster.js';
import { belongsTo, removalKey, type TombstoneOwner, type Tombstones } from '../src/tombstones.js';

export interface Harness {
  kd: KubeDev;
  api: CustomObjectsApi;
  cluster: Cluster;
}

export async function startHarness(): Promise<Harness> {
  const kd = await startKubeDev({ simulate: false });
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfigFor(kd.url));
  const api = kc.makeApiClient(CustomObjectsApi);
  return { kd, api, cluster: new Cluster(api) };
}

const coords = (kind: KindDefinition, namespace: string) => ({ group: kind.group, version: kind.version, plural: kind.plural, namespace });

/** Creates an object straight on the API server, as something other than Jangar would. */
export async function createDirectly(
  api: CustomObjectsApi,
  kind: KindDefinition,
  namespace: string,
  name: string,
  spec: unknown,
  metadata: Record<string, unknown> = {},
): Promise<KubeObject> {
  const body = { apiVersion: apiVersionOf(kind), kind: kind.kind, metadata: { ...metadata, name, namespace }, spec };
  return (await api.createNamespacedCustomObject({ ...coords(kind, namespace), body })) as KubeObject;
}

/** The object's whole body as the API server holds it now, or undefined when it is gone. */
export async function readDirectly(
  api: CustomObjectsApi,
  kind: KindDefinition,
  namespace: string,
  name: string,
): Promise<(KubeObject & { metadata: Record<string, unknown> }) | undefined> {
  try {
    return (await api.getNamespacedCustomObject({ ...coords(kind, namespace), name })) as KubeObject & {
      metadata: Record<string, unknown>;
    };
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

export async function deleteDirectly(api: CustomObjectsApi, kind: KindDefinition, namespace: string, name: string): Promise<void> {
  await api.deleteNamespacedCustomObject({ ...coords(kind, namespace), name });
}

/** Tombstones in a map: what the JANGAR_TOMBSTONES stream does, one object per request key. */
export class MemoryTombstones implements Pick<Tombstones, 'record' | 'find' | 'recordRemoval' | 'removalOf'> {
  readonly recorded = new Map<string, TombstoneMessage>();
  /** The stages recorded per request: as JetStream's duplicate window does, a stage recorded again is dropped. */
  private readonly stages = new Set<string>();

  async record(owner: TombstoneOwner, object: KubeObject, stage?: 'cancelling'): Promise<void> {
    const id = `${owner.key}:${stage ?? 'deleting'}`;
    if (this.stages.has(id)) return;
    this.stages.add(id);
    this.recorded.set(owner.key, { requestKey: owner.key, requestId: owner.id, deletedAt: new Date().toISOString(), object });
  }

  async find(owner: TombstoneOwner): Promise<KubeObject | undefined> {
    const stored = this.recorded.get(owner.key);
    return stored && belongsTo(stored, owner) ? stored.object : undefined;
  }

  async recordRemoval(object: KubeObject): Promise<void> {
    const label = object.metadata.labels?.[JANGAR_LABELS.delivery];
    if (label !== undefined) await this.record({ key: removalKey(label) }, object);
  }

  async removalOf(requestKey: string): Promise<KubeObject | undefined> {
    return this.find({ key: removalKey(deliveryLabelValue(requestKey)) });
  }
}

/** An allowed request, as the provisioner receives it; the same deliveryId makes the same request key. */
export function decision(
  request: Omit<RequestPayload, 'id' | 'metadata'> & { metadata: RequestPayload['metadata'] },
  deliveryId: string = randomUUID(),
): DecisionMessage {
  return {
    deliveryId,
    requestKey: requestKeyFor('alice', deliveryId),
    attempt: 1,
    correlationId: deliveryId,
    principal: { subject: 'alice', roles: [] },
    namespace: request.metadata.namespace,
    occurredAt: new Date().toISOString(),
    payload: {
      request: { id: randomUUID(), ...request },
      verdict: 'allow',
      mode: 'enforce',
      violations: [],
      policyVersion: 'test',
      evaluatedAt: new Date().toISOString(),
    },
  };
}
