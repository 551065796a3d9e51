import type { NewAuditEvent } from '../src/events.js';

/** The `n`th request's audit event: an AgentRun create by alice in team-a, `n` seconds into 2026, with its own deliveryId and correlation id. */
export const auditEvent = (n: number, over: Partial<NewAuditEvent> = {}): NewAuditEvent => ({
  dedupId: `p-${n}`,
  occurredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
  actor: 'alice',
  action: 'agentrun.create',
  resourceKind: 'AgentRun',
  namespace: 'team-a',
  name: `r${n}`,
  uid: null,
  resourceId: null,
  deliveryId: `d-${n}`,
  correlationId: `c-${n}`,
  traceId: null,
  decision: 'allow',
  outcome: 'created',
  summary: { spec: { n } },
  ...over,
});
