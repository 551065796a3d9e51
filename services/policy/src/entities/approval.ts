import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { ApprovalState, type RequestMessage, type Violation } from '@jangar/contracts';

/** A request held for an approver, from hold to decision (or cancellation) and settlement (`policy.approvals`, migrations 0201-0203). */
export const Approval = defineEntity({
  name: 'Approval',
  schema: 'policy',
  tableName: 'approvals',
  properties: {
    id: p.uuid().primary(),
    requestKey: p.text(),
    state: p.enum([...ApprovalState.options]).default('Pending'),
    namespace: p.text(),
    kind: p.text(),
    verb: p.text(),
    name: p.text().nullable(),
    requestedBy: p.text(),
    deliveryId: p.text(),
    correlationId: p.text(),
    approverRole: p.text(),
    gates: p.json<Violation[]>(),
    message: p.json<RequestMessage>(),
    createdAt: p.datetime().columnType('timestamptz').defaultRaw('now()'),
    expiresAt: p.datetime().columnType('timestamptz'),
    decidedBy: p.text().nullable(),
    decidedAt: p.datetime().columnType('timestamptz').nullable(),
    decisionDeliveryId: p.text().nullable(),
    reason: p.text().nullable(),
    releasedAt: p.datetime().columnType('timestamptz').nullable(),
    /** The request key of the delete that cancelled it. */
    cancelledBy: p.text().nullable(),
  },
  uniques: [{ name: 'approvals_request_key_key', properties: ['requestKey'] }],
  indexes: [
    // Descending and partial: MikroORM compares these by name only.
    {
      name: 'approvals_listing',
      expression: 'create index approvals_listing on policy.approvals (namespace, created_at desc, id desc)',
    },
    {
      name: 'approvals_due',
      expression: "create index approvals_due on policy.approvals (expires_at) where state = 'Pending'",
    },
    {
      name: 'approvals_unreleased',
      expression: "create index approvals_unreleased on policy.approvals (decided_at) where state <> 'Pending' and released_at is null",
    },
    {
      name: 'approvals_decision_key',
      expression:
        'create index approvals_decision_key on policy.approvals (decided_by, decision_delivery_id) where decision_delivery_id is not null',
    },
  ],
});

export type Approval = InferEntity<typeof Approval>;
