import type { JetStreamClient } from '@nats-io/jetstream';
import { JANGAR_LABELS, kindByName, type DecisionMessage } from '@jangar/contracts';
import { deliveryLabelValue, publishCannotProcess } from '@jangar/service-kit';
import type { Cluster } from './cluster.js';

/**
 * Why the provisioner must not give up on a request it cannot process (the `declines` of a
 * `GiveUp`), if it must not: its create already made the object. Answered 500 then, the run would go
 * on while its client was told it failed, and uncounted, as policy frees a refused create's slot.
 * Such a message goes on being delivered, as every message did before, with its failure in the log.
 */
export async function declineGivingUp(cluster: Cluster, message: DecisionMessage): Promise<string | undefined> {
  const { request } = message.payload;
  const kind = kindByName(request.kind);
  const name = request.metadata.name;
  if (request.verb === 'create' && kind && name) {
    const existing = await cluster.get(kind, request.metadata.namespace, name);
    if (existing?.metadata.labels?.[JANGAR_LABELS.delivery] === deliveryLabelValue(message.requestKey)) {
      return 'its create made the object; a 500 would deny a run that exists';
    }
  }
  return undefined;
}

/** Answers a request the provisioner cannot process (the `answer` of a `GiveUp`) with its final `internal` outcome. */
export function answerCannotProcess(js: JetStreamClient, message: DecisionMessage): Promise<void> {
  return publishCannotProcess(js, message, message.payload.request, 'the provisioner');
}
