import type { JetStreamClient } from '@nats-io/jetstream';
import {
  dedupIds,
  JANGAR_LABELS,
  kindByName,
  SUBJECTS,
  type DecisionMessage,
  type DomainErrorPayload,
  type OutcomePayload,
} from '@jangar/contracts';
import { deliveryLabelValue, faultPoint, publish, traceparentOf, type Logger } from '@jangar/service-kit';
import { bindRuntime } from './bindings/index.js';
import { buildObject } from './build.js';
import type { Cluster } from './cluster.js';
import { referencesOf } from './references.js';

export interface ProvisionerDeps {
  js: JetStreamClient;
  cluster: Cluster;
  logger: Logger;
}

/**
 * Applies an allowed request and publishes its outcome.
 *
 * Idempotent under redelivery: the object's name is derived from the request key, so a second
 * attempt finds the first object (create-or-get) and recognises it by its delivery label; the
 * outcome's dedup ID makes its second publication a no-op.
 */
export async function handleDecision(message: DecisionMessage, deps: ProvisionerDeps): Promise<void> {
  const outcome = await provision(message, deps);
  const kind = kindByName(outcome.kind)?.token ?? outcome.kind.toLowerCase();
  await publish(
    deps.js,
    SUBJECTS.outcome,
    { kind, verb: outcome.verb },
    { ...message, occurredAt: new Date().toISOString(), payload: outcome },
    dedupIds.outcome(message.requestKey),
  );
}

async function provision(message: DecisionMessage, deps: ProvisionerDeps): Promise<OutcomePayload> {
  const request = message.payload.request;
  const base = { id: request.id, kind: request.kind, verb: request.verb };
  const reject = (error: DomainErrorPayload): OutcomePayload => ({ ...base, result: 'rejected', error });
  const kind = kindByName(request.kind);
  if (!kind) return reject({ code: 'validation_failed', detail: `unknown kind "${request.kind}"` });
  if (request.verb !== 'create')
    return reject({ code: 'method_not_allowed', detail: `${request.verb} is not supported for ${kind.kind} yet` });
  const namespace = request.metadata.namespace;

  const missing = [];
  for (const ref of referencesOf(request)) {
    if (!(await deps.cluster.get(ref.kind, namespace, ref.name))) missing.push(ref);
  }
  if (missing.length > 0) {
    return reject({
      code: 'reference_not_found',
      detail: missing.map((r) => `${r.kind.kind} "${r.name}" does not exist in namespace "${namespace}"`).join('; '),
      errors: missing.map((r) => ({ path: r.path, message: `${r.kind.kind} "${r.name}" not found in namespace "${namespace}"` })),
    });
  }

  const runtime = (request.spec as { runtime?: { type: string; config?: Record<string, unknown> } }).runtime;
  const binding = kind.kind === 'AgentRun' && runtime ? bindRuntime({ name: request.metadata.name ?? '', namespace, runtime }) : undefined;
  if (kind.kind === 'AgentRun' && !binding) {
    return reject({
      code: 'validation_failed',
      detail: 'no provider binds this runtime type',
      errors: [{ path: 'spec.runtime.type', message: 'unknown runtime type' }],
    });
  }
  const body = buildObject(message, kind, binding, traceparentOf());
  const created = await deps.cluster.create(kind, namespace, body);
  faultPoint('provisioner.after-create');
  if (created) return { ...base, result: 'applied', created: true, resource: created };

  const existing = await deps.cluster.get(kind, namespace, body.metadata.name);
  if (existing?.metadata.labels?.[JANGAR_LABELS.delivery] === deliveryLabelValue(message.requestKey)) {
    deps.logger.info({ requestKey: message.requestKey, name: body.metadata.name }, 'resource already created by this request');
    return { ...base, result: 'applied', created: false, resource: existing };
  }
  return reject({
    code: 'conflict',
    detail: `a ${kind.kind} named "${body.metadata.name}" already exists in namespace "${namespace}"`,
    errors: [{ path: 'metadata.name', message: 'already exists' }],
  });
}
