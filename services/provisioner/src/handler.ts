import type { JetStreamClient } from '@nats-io/jetstream';
import { dedupIds, kindByName, SUBJECTS, type DecisionMessage, type OutcomePayload } from '@jangar/contracts';
import { DomainError, faultPoint, publish, type Logger } from '@jangar/service-kit';
import { applyCreate } from './apply/create.js';
import { applyDelete } from './apply/delete.js';
import { rejected } from './apply/outcome.js';
import { applyUpdate } from './apply/update.js';
import type { Cluster } from './cluster.js';
import type { Tombstones } from './tombstones.js';

export interface ProvisionerDeps {
  js: JetStreamClient;
  cluster: Cluster;
  tombstones: Tombstones;
  logger: Logger;
}

/**
 * Applies an allowed request and publishes its outcome. The outcome's dedup ID makes a second
 * publication (after a redelivery) a no-op; each verb's apply is idempotent on its own terms.
 */
export async function handleDecision(message: DecisionMessage, deps: ProvisionerDeps): Promise<void> {
  const outcome = await apply(message, deps);
  const kind = kindByName(outcome.kind)?.token ?? outcome.kind.toLowerCase();
  await publish(
    deps.js,
    SUBJECTS.outcome,
    { kind, verb: outcome.verb },
    { ...message, occurredAt: new Date().toISOString(), payload: outcome },
    dedupIds.outcome(message.requestKey, message.attempt),
  );
}

async function apply(message: DecisionMessage, deps: ProvisionerDeps): Promise<OutcomePayload> {
  const request = message.payload.request;
  const kind = kindByName(request.kind);
  if (!kind) return rejected(request, { code: 'validation_failed', detail: `unknown kind "${request.kind}"` });
  try {
    faultPoint('provisioner.before-apply');
    switch (request.verb) {
      case 'create':
        return await applyCreate(message, kind, deps.cluster, deps.tombstones, deps.logger);
      case 'update':
      case 'patch':
        return await applyUpdate(message, kind, deps.cluster);
      case 'delete':
        return await applyDelete(message, kind, deps.cluster, deps.tombstones);
    }
  } catch (err) {
    // The cluster refused the change for good (invalid, forbidden): that is the request's answer.
    // Anything else is transient and the message is redelivered.
    if (err instanceof DomainError) return rejected(request, err.toPayload());
    throw err;
  }
}
