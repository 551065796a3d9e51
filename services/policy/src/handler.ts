import type { JetStreamClient } from '@nats-io/jetstream';
import { dedupIds, kindByName, SUBJECTS, type RequestMessage } from '@jangar/contracts';
import { publish, type Logger } from '@jangar/service-kit';
import { evaluate } from './evaluate.js';
import type { PolicySettings } from './rules.js';

export interface PolicyDeps {
  js: JetStreamClient;
  settings: PolicySettings;
  mode: 'enforce' | 'audit';
  logger: Logger;
}

/**
 * Decides a request and publishes the decision; a denial is also the request's outcome. Both
 * carry derived dedup IDs, so a redelivered request publishes nothing new.
 */
export async function handleRequest(message: RequestMessage, deps: PolicyDeps): Promise<void> {
  const decision = evaluate(message.payload, deps.settings, deps.mode, new Date());
  const kind = kindByName(message.payload.kind)?.token ?? message.payload.kind.toLowerCase();
  const envelope = { ...message, occurredAt: decision.evaluatedAt };
  await publish(
    deps.js,
    SUBJECTS.decision,
    { verdict: decision.verdict, kind, verb: message.payload.verb },
    { ...envelope, payload: decision },
    dedupIds.decision(message.requestKey),
  );
  if (decision.violations.length > 0) {
    deps.logger.info({ requestKey: message.requestKey, verdict: decision.verdict, violations: decision.violations }, 'policy violations');
  }
  if (decision.verdict !== 'deny') return;
  await publish(
    deps.js,
    SUBJECTS.outcome,
    { kind, verb: message.payload.verb },
    {
      ...envelope,
      payload: {
        result: 'rejected',
        id: message.payload.id,
        kind: message.payload.kind,
        verb: message.payload.verb,
        error: {
          code: 'policy_denied',
          detail: `denied by policy ${decision.policyVersion}: ${decision.violations.map((v) => v.reason).join('; ')}`,
          violations: decision.violations,
        },
      },
    },
    dedupIds.outcome(message.requestKey),
  );
}
