import type { DomainErrorPayload, KubeObject, OutcomePayload, RequestPayload } from '@jangar/contracts';
import { JANGAR_LABELS } from '@jangar/contracts';

/** An applied outcome; its id is the resource's Jangar id, whichever request touched it. */
export function applied(
  request: RequestPayload,
  resource: KubeObject,
  extra: { created?: boolean; deletion?: 'pending' | 'completed' } = {},
): OutcomePayload {
  return {
    result: 'applied',
    id: resource.metadata.labels?.[JANGAR_LABELS.id] ?? request.id,
    kind: request.kind,
    verb: request.verb,
    created: extra.created ?? false,
    resource,
    ...(extra.deletion ? { deletion: extra.deletion } : {}),
  };
}

/** A rejected outcome: nothing was applied, and why. */
export function rejected(request: RequestPayload, error: DomainErrorPayload): OutcomePayload {
  return { result: 'rejected', id: request.id, kind: request.kind, verb: request.verb, error };
}
