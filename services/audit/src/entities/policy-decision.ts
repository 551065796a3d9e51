import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** One policy decision, once per request attempt (`audit.policy_decisions`, migration 0201). */
export const PolicyDecision = defineEntity({
  name: 'PolicyDecision',
  schema: 'audit',
  tableName: 'policy_decisions',
  properties: {
    dedupId: p.text().primary(),
    requestKey: p.text(),
    deliveryId: p.text(),
    correlationId: p.text(),
    actor: p.text(),
    kind: p.text(),
    verb: p.text(),
    namespace: p.text(),
    resourceId: p.text(),
    verdict: p.text(),
    mode: p.text(),
    violations: p.json<unknown[]>(),
    policyVersion: p.text(),
    traceId: p.text().nullable(),
    decidedAt: p.datetime().columnType('timestamptz'),
    recordedAt: p.datetime().columnType('timestamptz').defaultRaw('now()'),
  },
});

export type PolicyDecision = InferEntity<typeof PolicyDecision>;
