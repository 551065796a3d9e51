import type { JetStreamClient } from '@nats-io/jetstream';
import { dedupIds, kindByName, SUBJECTS, type RequestMessage, type RequestPayload } from '@jangar/contracts';
import { publish } from './bus.js';

/** The envelope an outcome carries over from the message it answers: who asked, for which delivery and attempt. */
type Answered = Omit<RequestMessage, 'payload' | 'occurredAt'>;

/**
 * Publishes the final answer of a request `service` cannot process (the `answer` of a `GiveUp`): a
 * rejection with code `internal`, so the client's deliveryId is answered 500, and replayed so,
 * instead of never. What failed stays in the service's log, under the request's key: an error's
 * message is the code's business, not the client's.
 */
export async function publishCannotProcess(
  js: JetStreamClient,
  message: Answered,
  request: RequestPayload,
  service: string,
): Promise<void> {
  const { deliveryId, requestKey, attempt, correlationId, principal, namespace } = message;
  const detail = `${service} could not process this request; its log has the error under the request's key`;
  await publish(
    js,
    SUBJECTS.outcome,
    { kind: kindByName(request.kind)?.token ?? request.kind.toLowerCase(), verb: request.verb },
    {
      deliveryId,
      requestKey,
      attempt,
      correlationId,
      principal,
      namespace,
      occurredAt: new Date().toISOString(),
      payload: { result: 'rejected', id: request.id, kind: request.kind, verb: request.verb, error: { code: 'internal', detail } },
    },
    dedupIds.outcome(requestKey, attempt),
  );
}
