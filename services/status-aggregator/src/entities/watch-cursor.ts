import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** Where the watch of one run kind resumes (`status.watch_state`, migration 0102). */
export const WatchCursor = defineEntity({
  name: 'WatchCursor',
  schema: 'status',
  tableName: 'watch_state',
  properties: {
    kind: p.text().primary(),
    resourceVersion: p.text(),
    updatedAt: p.datetime().columnType('timestamptz').defaultRaw('now()'),
  },
});

export type WatchCursor = InferEntity<typeof WatchCursor>;
