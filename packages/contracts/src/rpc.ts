import { z } from 'zod';
import { NormalizedRun } from './runs.js';
import { DomainErrorPayload } from './messages.js';

/** A request-reply endpoint served by one service through `@nats-io/services`. */
export interface RpcDefinition<Req extends z.ZodType, Res extends z.ZodType> {
  readonly service: string;
  readonly name: string;
  readonly subject: string;
  readonly request: Req;
  readonly response: Res;
}

/** Every RPC answers either `{ ok: true, value }` or `{ ok: false, error }` with a domain error. */
export function rpcResult<T extends z.ZodType>(value: T) {
  return z.discriminatedUnion('ok', [
    z.object({ ok: z.literal(true), value }),
    z.object({ ok: z.literal(false), error: DomainErrorPayload }),
  ]);
}

function defineRpc<Req extends z.ZodType, Res extends z.ZodType>(
  service: string,
  name: string,
  request: Req,
  response: Res,
): RpcDefinition<Req, ReturnType<typeof rpcResult<Res>>> {
  return { service, name, subject: `jangar.rpc.${service}.${name}`, request, response: rpcResult(response) };
}

/** Names under which each service registers with `@nats-io/services` (readiness pings use them). */
export const SERVICE_NAMES = {
  gateway: 'jangar-api-gateway',
  policy: 'jangar-policy',
  provisioner: 'jangar-provisioner',
  statusAggregator: 'jangar-status-aggregator',
  audit: 'jangar-audit',
} as const;

export const AuditEventView = z.object({
  seq: z.number().int(),
  id: z.string(),
  occurredAt: z.string(),
  actor: z.string(),
  action: z.string(),
  resource: z.object({
    kind: z.string(),
    namespace: z.string(),
    name: z.string().optional(),
    uid: z.string().optional(),
    id: z.string().optional(),
  }),
  deliveryId: z.string(),
  correlationId: z.string(),
  traceId: z.string().optional(),
  decision: z.string().optional(),
  outcome: z.string(),
  summary: z.unknown(),
  hash: z.string(),
  prevHash: z.string(),
});
export type AuditEventView = z.infer<typeof AuditEventView>;

export const RPCS = {
  getRun: defineRpc('status', 'get-run', z.object({ id: z.string() }), NormalizedRun),
  listAuditEvents: defineRpc(
    'audit',
    'list-events',
    z.object({
      namespace: z.string().optional(),
      resourceId: z.string().optional(),
      deliveryId: z.string().optional(),
      limit: z.number().int().min(1).max(500).default(100),
    }),
    z.object({ items: z.array(AuditEventView) }),
  ),
} as const;
