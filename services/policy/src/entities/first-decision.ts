import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** The decision an attempt of a request first got, replayed to its redeliveries (`policy.first_decisions`, migration 0106). */
export const FirstDecision = defineEntity({
  name: 'FirstDecision',
  schema: 'policy',
  tableName: 'first_decisions',
  properties: {
    requestKey: p.text().primary(),
    attempt: p.integer().primary(),
    decision: p.json<unknown>(),
    // The rejection published as the request's outcome, when the decision refused it.
    error: p.json<unknown>().nullable(),
    decidedAt: p.datetime().columnType('timestamptz').defaultRaw('now()'),
  },
  indexes: [{ name: 'first_decisions_decided', properties: ['decidedAt'] }],
});

export type FirstDecision = InferEntity<typeof FirstDecision>;
