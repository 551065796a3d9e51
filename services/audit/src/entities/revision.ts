import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** One spec revision of a primitive, for the revision timeline (`audit.revisions`, migration 0202). */
export const Revision = defineEntity({
  name: 'Revision',
  schema: 'audit',
  tableName: 'revisions',
  properties: {
    dedupId: p.text().primary(),
    kind: p.text(),
    namespace: p.text(),
    name: p.text(),
    uid: p.text(),
    resourceId: p.text(),
    generation: p.integer(),
    resourceVersion: p.text(),
    spec: p.json<unknown>(),
    labels: p.json<Record<string, string>>(),
    actor: p.text(),
    deliveryId: p.text(),
    occurredAt: p.datetime().columnType('timestamptz'),
  },
  uniques: [{ name: 'revisions_uid_generation_key', properties: ['uid', 'generation'] }],
  indexes: [{ name: 'revisions_resource', properties: ['kind', 'namespace', 'name', 'generation'] }],
});

export type Revision = InferEntity<typeof Revision>;
