import type { CustomObjectsApi } from '@kubernetes/client-node';
import { kindByName, KubeObject, mergePatch, MergePatchBody, type KindDefinition, type RequestPayload } from '@jangar/contracts';
import { KUBE_CALL_DEADLINE_MS, kubeStatusCode, translateKubeError, withDeadline } from '@jangar/service-kit/kube';
import type { Subject } from './rules.js';

/** Reads the current object a change applies to; undefined when it does not exist. */
export type ReadCurrent = (kind: KindDefinition, namespace: string, name: string) => Promise<KubeObject | undefined>;

/** {@link ReadCurrent} from the API server, by a GET (a 404 is "does not exist"; past `deadlineMs`, transient). */
export function readCurrentFrom(api: CustomObjectsApi, deadlineMs = KUBE_CALL_DEADLINE_MS): ReadCurrent {
  return async (kind, namespace, name) => {
    try {
      return KubeObject.parse(
        await api.getNamespacedCustomObject(
          { group: kind.group, version: kind.version, plural: kind.plural, namespace, name },
          withDeadline(deadlineMs),
        ),
      );
    } catch (err) {
      if (kubeStatusCode(err) === 404) return undefined;
      throw translateKubeError(err, `get ${kind.kind} ${namespace}/${name}`);
    }
  };
}

/**
 * What a request would make: the spec of a create or update, or the current spec with the patch
 * merged in — so a patch cannot slip past a rule a full update would break. A delete, or a patch
 * of something that does not exist (the provisioner answers that), has nothing to decide.
 */
export async function subjectOf(request: RequestPayload, readCurrent: ReadCurrent): Promise<Subject | undefined> {
  if (request.verb === 'delete') return undefined;
  if (request.verb === 'create') return { kind: request.kind, spec: request.spec };
  const kind = kindByName(request.kind);
  if (request.verb === 'update') {
    // A run's spec as it stands: the approval gates hold a change to a privileged account.
    if (!kind || request.kind !== 'AgentRun' || request.metadata.name === undefined) return { kind: request.kind, spec: request.spec };
    const current = await readCurrent(kind, request.metadata.namespace, request.metadata.name);
    return { kind: request.kind, spec: request.spec, ...(current ? { before: current.spec } : {}) };
  }
  const patch = MergePatchBody.safeParse(request.patch ?? {});
  if (!kind || !patch.success || request.metadata.name === undefined) return undefined;
  const current = await readCurrent(kind, request.metadata.namespace, request.metadata.name);
  if (!current) return undefined;
  const spec = patch.data.spec === undefined ? current.spec : mergePatch(current.spec ?? {}, patch.data.spec);
  return { kind: request.kind, spec, before: current.spec };
}

/** The Agent a subject's rules consult: the run's `agentRef`. */
export function agentNameOf(subject: Subject | undefined): string | undefined {
  if (subject?.kind !== 'AgentRun') return undefined;
  const name = (subject.spec as { agentRef?: { name?: unknown } } | undefined)?.agentRef?.name;
  return typeof name === 'string' ? name : undefined;
}
