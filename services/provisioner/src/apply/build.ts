import { apiVersionOf, JANGAR_ANNOTATIONS, JANGAR_LABELS, type DecisionMessage, type KindDefinition } from '@jangar/contracts';
import { deliveryLabelValue } from '@jangar/service-kit';
import type { Binding } from '../bindings/index.js';
import { userMetadataOf } from './owned-metadata.js';

/**
 * The custom resource a request becomes: the user's metadata (without any key Jangar owns) plus
 * Jangar's labels and annotations.
 * `traceparent` is the request's trace, for whoever later reacts to the object.
 */
export function buildObject(message: DecisionMessage, kind: KindDefinition, binding: Binding | undefined, traceparent: string | undefined) {
  const request = message.payload.request;
  const name = request.metadata.name;
  const user = userMetadataOf(request.metadata);
  if (!name) throw new Error('the gateway names every resource before it is published');
  return {
    apiVersion: apiVersionOf(kind),
    kind: kind.kind,
    metadata: {
      name,
      namespace: request.metadata.namespace,
      labels: {
        ...user.labels,
        [JANGAR_LABELS.id]: request.id,
        [JANGAR_LABELS.delivery]: deliveryLabelValue(message.requestKey),
        [JANGAR_LABELS.managedBy]: 'jangar',
      },
      annotations: {
        ...user.annotations,
        [JANGAR_ANNOTATIONS.deliveryId]: message.deliveryId,
        [JANGAR_ANNOTATIONS.requestedBy]: message.principal.subject,
        [JANGAR_ANNOTATIONS.correlationId]: message.correlationId,
        ...(binding ? { [JANGAR_ANNOTATIONS.binding]: JSON.stringify(binding) } : {}),
        ...(traceparent ? { [JANGAR_ANNOTATIONS.traceparent]: traceparent } : {}),
      },
    },
    spec: request.spec,
  };
}
