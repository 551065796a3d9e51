import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { RequestMessage } from '@jangar/contracts';

/** The state of a delivery: open, answered for good, answered with a retryable rejection, or held for approval (its 202 replayed). */
export const DELIVERY_STATES = ['pending', 'completed', 'retryable', 'awaiting'] as const;

/** One idempotent request per (principal scope, deliveryId), its answer included (`gateway.deliveries`, migrations 0001, 0001Attempts and 0002Awaiting). */
export const Delivery = defineEntity({
  name: 'Delivery',
  schema: 'gateway',
  tableName: 'deliveries',
  properties: {
    requestKey: p.text().primary(),
    principal: p.text(),
    deliveryId: p.text(),
    fingerprint: p.text(),
    resourceId: p.uuid(),
    kind: p.text(),
    verb: p.text(),
    namespace: p.text(),
    name: p.text().nullable(),
    message: p.json<RequestMessage>(),
    state: p.enum([...DELIVERY_STATES]).default('pending'),
    attempt: p.integer().default(1),
    publishedAt: p.datetime().columnType('timestamptz').nullable(),
    statusCode: p.integer().nullable(),
    contentType: p.text().nullable(),
    responseBody: p.text().nullable(),
    resource: p.json<unknown>().nullable(),
    createdAt: p.datetime().columnType('timestamptz').defaultRaw('now()'),
    completedAt: p.datetime().columnType('timestamptz').nullable(),
    expiresAt: p.datetime().columnType('timestamptz'),
  },
  indexes: [
    { name: 'deliveries_resource_id', properties: ['resourceId'] },
    { name: 'deliveries_expires_at', properties: ['expiresAt'] },
    // Partial: the recovery sweep looks only at claims never published.
    {
      name: 'deliveries_unpublished',
      expression: "create index deliveries_unpublished on gateway.deliveries (created_at) where state = 'pending' and published_at is null",
    },
  ],
});

export type Delivery = InferEntity<typeof Delivery>;
