import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { QueueState, type RequestMessage } from '@jangar/contracts';

/** A run a limit holds back, from queued to admitted, refused, expired or cancelled (`policy.run_queue`, migrations 0301-0304). */
export const QueuedRun = defineEntity({
  name: 'QueuedRun',
  schema: 'policy',
  tableName: 'run_queue',
  properties: {
    id: p.uuid().primary(),
    requestKey: p.text(),
    attempt: p.integer(),
    state: p.enum([...QueueState.options]).default('Queued'),
    namespace: p.text(),
    kind: p.text(),
    name: p.text().nullable(),
    agent: p.text().nullable(),
    reason: p.enum(['ConcurrencyLimit', 'RateLimit']),
    detail: p.text(),
    message: p.json<RequestMessage>(),
    enqueuedAt: p.datetime().columnType('timestamptz').defaultRaw('now()'),
    expiresAt: p.datetime().columnType('timestamptz'),
    leasedUntil: p.datetime().columnType('timestamptz').nullable(),
    /** The drainer trying it now, which alone may renew or give back the lease. */
    leasedBy: p.uuid().nullable(),
    settledAt: p.datetime().columnType('timestamptz').nullable(),
    /** The request key of the delete that cancelled it. */
    cancelledBy: p.text().nullable(),
  },
  uniques: [{ name: 'run_queue_request_key_key', properties: ['requestKey'] }],
  indexes: [
    // Partial: only waiting runs are scanned, oldest first.
    { name: 'run_queue_waiting', expression: "create index run_queue_waiting on policy.run_queue (enqueued_at) where state = 'Queued'" },
    {
      name: 'run_queue_namespace',
      expression: "create index run_queue_namespace on policy.run_queue (namespace, enqueued_at) where state = 'Queued'",
    },
    { name: 'run_queue_settled', expression: "create index run_queue_settled on policy.run_queue (settled_at) where state <> 'Queued'" },
  ],
});

export type QueuedRun = InferEntity<typeof QueuedRun>;
