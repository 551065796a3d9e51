import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** A concurrency slot one admitted run holds until it ends (`policy.run_slots`, migrations 0101, 0103, 0104, 0105 and 0107). */
export const RunSlot = defineEntity({
  name: 'RunSlot',
  schema: 'policy',
  tableName: 'run_slots',
  properties: {
    requestKey: p.text().primary(),
    kind: p.text(),
    namespace: p.text(),
    name: p.text(),
    agent: p.text().nullable(),
    // What the run requests while active (migration 0104): cores, bytes, devices.
    cpu: p.double().default(0),
    memory: p.double().default(0),
    gpu: p.double().default(0),
    acquiredAt: p.datetime().columnType('timestamptz').defaultRaw('now()'),
    releasedAt: p.datetime().columnType('timestamptz').nullable(),
    // The run's Jangar id, and when the provisioner said it created it (migration 0105; null on older slots).
    runId: p.text().nullable(),
    createdAt: p.datetime().columnType('timestamptz').nullable(),
    // The attempt of the request that holds it (migration 0107): an earlier attempt's late outcome leaves it alone.
    attempt: p.integer().default(1),
    // When the provisioner refused its create (migration 0109): its run never started, and no Budget counts it.
    refusedAt: p.datetime().columnType('timestamptz').nullable(),
  },
  indexes: [
    // Partial: admission counts only the slots still held.
    {
      name: 'run_slots_active',
      expression: 'create index run_slots_active on policy.run_slots (namespace, agent) where released_at is null',
    },
    // Rate limits count the starts in a window (migration 0103).
    { name: 'run_slots_started', properties: ['namespace', 'acquiredAt'] },
    { name: 'run_slots_started_cluster', properties: ['acquiredAt'] },
    {
      name: 'run_slots_run',
      expression: 'create index run_slots_run on policy.run_slots (kind, namespace, name) where released_at is null',
    },
    {
      name: 'run_slots_run_id',
      expression: 'create index run_slots_run_id on policy.run_slots (run_id) where released_at is null',
    },
    // The reconciler's walk over the held slots, in request-key order (migration 0108).
    {
      name: 'run_slots_held_key',
      expression: 'create index run_slots_held_key on policy.run_slots (request_key) where released_at is null',
    },
  ],
});

export type RunSlot = InferEntity<typeof RunSlot>;
