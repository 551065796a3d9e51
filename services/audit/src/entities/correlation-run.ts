import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/**
 * One run a correlation id ties together, numbered in the order audit recorded it
 * (`audit.correlation_runs`, migration 0204; kept by triggers on run history and audit events).
 */
export const CorrelationRun = defineEntity({
  name: 'CorrelationRun',
  schema: 'audit',
  tableName: 'correlation_runs',
  properties: {
    correlationId: p.text().primary(),
    runId: p.text().primary(),
    namespace: p.text(),
    // An identity; kept as a string because it can outgrow a JS number's exact range.
    seq: p.bigint('string').autoincrement().generated('identity'),
    observed: p.boolean(),
  },
  indexes: [{ name: 'correlation_runs_page', properties: ['correlationId', 'seq'] }],
});

export type CorrelationRun = InferEntity<typeof CorrelationRun>;
