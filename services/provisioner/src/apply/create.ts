import { JANGAR_LABELS, type DecisionMessage, type KindDefinition, type OutcomePayload } from '@jangar/contracts';
import { deliveryLabelValue, faultPoint, traceparentOf, type Logger } from '@jangar/service-kit';
import type { Cluster } from '../cluster.js';
import { bindingOf } from './binding.js';
import { buildObject } from './build.js';
import { applied, rejected } from './outcome.js';
import { missingReferences } from './references.js';

/**
 * Creates the resource. Idempotent under redelivery: its name is derived from the request key, so
 * a second attempt finds the first object (create-or-get) and recognises it by its delivery label.
 */
export async function applyCreate(
  message: DecisionMessage,
  kind: KindDefinition,
  cluster: Cluster,
  logger: Logger,
): Promise<OutcomePayload> {
  const request = message.payload.request;
  const namespace = request.metadata.namespace;
  const missing = await missingReferences(cluster, kind.kind, namespace, request.spec);
  if (missing) return rejected(request, missing);
  const bound = bindingOf(kind.kind, request.metadata.name ?? '', namespace, request.spec);
  if ('error' in bound) return rejected(request, bound.error);

  const body = buildObject(message, kind, bound.binding, traceparentOf());
  const created = await cluster.create(kind, namespace, body);
  faultPoint('provisioner.after-create');
  if (created) return applied(request, created, { created: true });

  const existing = await cluster.get(kind, namespace, body.metadata.name);
  if (existing?.metadata.labels?.[JANGAR_LABELS.delivery] === deliveryLabelValue(message.requestKey)) {
    logger.info({ requestKey: message.requestKey, name: body.metadata.name }, 'resource already created by this request');
    return applied(request, existing);
  }
  return rejected(request, {
    code: 'conflict',
    detail: `a ${kind.kind} named "${body.metadata.name}" already exists in namespace "${namespace}"`,
    errors: [{ path: 'metadata.name', message: 'already exists' }],
  });
}
