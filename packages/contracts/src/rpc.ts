import { z } from 'zod';
import { NormalizedRun, RunParent, RunType } from './runs.js';
import { RunPhase } from './primitives/agent-run.js';
import { DecisionPayload, DomainErrorPayload, Principal, RequestPayload } from './messages.js';
import { ApprovalState, ApprovalSummary, ApprovalVerdict } from './approvals.js';
import { QueueEntryView, QueueFilter } from './queue.js';
import { CorrelationId, listOf, ResourceView } from './rest.js';

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

/** Which namespaces a caller may see; `*` means all. Services filter by it, so a caller never learns of the rest. */
const Scope = z.object({ namespaces: z.array(z.string()).min(1) });

/** The filters of `GET /v1/audit`, as the query string carries them (hence the coercion). */
export const AuditFilter = z.strictObject({
  // An empty filter is refused, not read as "no filter" by one service and as "the empty value" by another.
  namespace: z.string().min(1).optional(),
  actor: z.string().min(1).optional(),
  action: z.string().min(1).optional(),
  /** A kind (`AgentRun`), a kind with namespace and name (`AgentRun/team-a/r1`), or a Jangar id. */
  resource: z.string().min(1).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  continue: z.string().min(1).optional(),
});

/** The audit service's list request: the filters plus the caller's scope. */
export const AuditQuery = AuditFilter.extend(Scope.shape);
export type AuditQuery = z.infer<typeof AuditQuery>;

/** A comma list (or repeated parameter) of phases, any of which matches; a phase not in `allowed` is named in the error. */
export function phaseList<P extends string>(allowed: readonly P[]) {
  return z.preprocess(
    (v) => (typeof v === 'string' ? v.split(',') : Array.isArray(v) ? v.flatMap((p) => (typeof p === 'string' ? p.split(',') : [p])) : v),
    z.array(z.string()).transform((values, ctx) => {
      const unknown = values.filter((v) => !(allowed as readonly string[]).includes(v));
      if (unknown.length === 0 && values.length > 0) return values as P[];
      ctx.addIssue({
        code: 'custom',
        message:
          allowed.length === 0
            ? 'this kind has no phase to filter on'
            : `not a phase: ${unknown.map((v) => JSON.stringify(v)).join(', ')}; expected a comma list of ${allowed.join(', ')}`,
      });
      return z.NEVER;
    }),
  );
}
const PhaseList = phaseList(RunPhase.options);

/**
 * The filters of `GET /v1/runs`, as the query string carries them. `labelSelector` stays text here:
 * a bad one is `invalid_label_selector`, not a schema failure, so it is parsed where it is used.
 */
export const RunFilter = z.strictObject({
  namespace: z.string().min(1).optional(),
  type: RunType.optional(),
  labelSelector: z.string().optional(),
  phase: PhaseList.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  continue: z.string().min(1).optional(),
});

/** The status-aggregator's list request: the filters plus the caller's scope. */
export const RunQuery = RunFilter.extend(Scope.shape);
export type RunQuery = z.infer<typeof RunQuery>;

/** A request held for approval, with the request itself so an approver sees what they decide. */
export const Approval = ApprovalSummary.extend({ request: RequestPayload });
export type Approval = z.infer<typeof Approval>;

/** The filters of `GET /v1/approvals`, as the query string carries them. */
export const ApprovalFilter = z.strictObject({
  namespace: z.string().min(1).optional(),
  state: ApprovalState.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  continue: z.string().min(1).optional(),
});
/** The policy service's queue listing request: the filters plus the caller's scope. */
export const QueueQuery = QueueFilter.extend(Scope.shape);
export type QueueQuery = z.infer<typeof QueueQuery>;
export const ApprovalQuery = ApprovalFilter.extend(Scope.shape);
export type ApprovalQuery = z.infer<typeof ApprovalQuery>;
export const ApprovalLookup = Scope.extend({ id: z.guid() });
export type ApprovalLookup = z.infer<typeof ApprovalLookup>;

/** An approver's decision as the gateway hands it to the policy service; `deliveryId` makes it idempotent. */
export const ApprovalDecision = Scope.extend({
  id: z.guid(),
  verdict: ApprovalVerdict,
  deliveryId: z.string().min(1),
  principal: Principal,
  reason: z.string().optional(),
});
export type ApprovalDecision = z.infer<typeof ApprovalDecision>;

/** The approval after a decision; `replayed` when this deliveryId had already decided it. */
export const ApprovalDecided = z.object({ approval: Approval, replayed: z.boolean() });
export type ApprovalDecided = z.infer<typeof ApprovalDecided>;

/** Most events one `GET /v1/audit/verify` page walks; the service also stops a page at its time budget. */
export const VERIFY_MAX_LIMIT = 100_000;

/** The query of `GET /v1/audit/verify`: how many events one page walks at most, and where the last page ended. */
export const VerifyFilter = z.strictObject({
  limit: z.coerce.number().int().min(1).max(VERIFY_MAX_LIMIT).default(50_000),
  continue: z.string().min(1).optional(),
});
export type VerifyFilter = z.infer<typeof VerifyFilter>;

/**
 * One page of a walk of the hash chain. `checked` counts this page's events. `intact` is false once
 * a link is broken, named by `firstBroken`, and the walk ends there; while it holds and events
 * remain, `continue` resumes the walk after `verifiedThrough`, and a page without it ends the chain.
 */
export const ChainVerification = z.object({
  intact: z.boolean(),
  checked: z.number().int(),
  firstBroken: z
    .object({ seq: z.number().int(), id: z.string(), reason: z.enum(['content_changed', 'chain_broken']), detail: z.string() })
    .optional(),
  /** The seq of the last event verified so far (this page's, or the one its token resumed after). */
  verifiedThrough: z.number().int().optional(),
  continue: z.string().optional(),
});
export type ChainVerification = z.infer<typeof ChainVerification>;

/**
 * The page of a list that has no filters of its own (a primitive's revisions, a run's history), as
 * the query string carries it.
 */
export const PageFilter = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  continue: z.string().min(1).optional(),
});

/** The audit service's run-history request: the run (its Jangar id or uid), and the page. */
export const RunHistoryQuery = PageFilter.extend({ id: z.string() });
export type RunHistoryQuery = z.infer<typeof RunHistoryQuery>;

export const RunHistoryEntry = z.object({
  phase: z.string(),
  previousPhase: z.string().optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
  resourceVersion: z.string(),
  conditions: z.array(z.unknown()),
  observedAt: z.string(),
});

export const RunHistory = z.object({
  id: z.string(),
  namespace: z.string(),
  type: z.string(),
  name: z.string(),
  items: z.array(RunHistoryEntry),
  /** More transitions follow: pass this as `continue`. */
  continue: z.string().optional(),
});
export type RunHistory = z.infer<typeof RunHistory>;
export type RunHistoryEntry = z.infer<typeof RunHistoryEntry>;

/**
 * Everything one correlation id ties together: the requests that carried it and the runs they
 * created, plus every run that carries it itself (runs an orchestration started), each with its
 * latest recorded phase and, for a run another run started, its `parent`.
 */
export const Correlation = z.object({
  correlationId: z.string(),
  /** More requests or runs follow: pass this as `continue`; each request and each run is on one page only. */
  continue: z.string().optional(),
  requests: z.array(AuditEventView),
  runs: z.array(
    z.object({
      id: z.string(),
      type: z.string(),
      namespace: z.string(),
      name: z.string(),
      phase: z.string(),
      parent: RunParent.optional(),
    }),
  ),
});
export type Correlation = z.infer<typeof Correlation>;

/** The query of `GET /v1/correlations/{correlationId}`: `limit` bounds each of a page's two lists. */
export const CorrelationFilter = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  continue: z.string().min(1).optional(),
});

/** The audit service's correlation request: the id, the page, and the caller's scope. */
export const CorrelationQuery = CorrelationFilter.extend({ correlationId: CorrelationId, ...Scope.shape });
export type CorrelationQuery = z.infer<typeof CorrelationQuery>;

/** The audit service's revisions request: which primitive, and the page. */
export const RevisionsQuery = PageFilter.extend({ kind: z.string(), namespace: z.string(), name: z.string() });
export type RevisionsQuery = z.infer<typeof RevisionsQuery>;

export const Revision = z.object({
  generation: z.number().int(),
  resourceVersion: z.string(),
  spec: z.unknown(),
  labels: z.record(z.string(), z.string()),
  actor: z.string(),
  deliveryId: z.string(),
  occurredAt: z.string(),
});

export type Revision = z.infer<typeof Revision>;

export const Revisions = z.object({
  kind: z.string(),
  namespace: z.string(),
  name: z.string(),
  items: z.array(Revision),
  /** More revisions follow: pass this as `continue`. */
  continue: z.string().optional(),
});
export type Revisions = z.infer<typeof Revisions>;

/**
 * The filters of `GET /v1/<kind>`, as the query string carries them. `phase` stays text here: which
 * phases exist depends on the kind, so the gateway checks it against the kind's status schema.
 */
export const ResourceFilter = z.strictObject({
  namespace: z.string().min(1).optional(),
  labelSelector: z.string().optional(),
  phase: z.union([z.string(), z.array(z.string())]).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  continue: z.string().min(1).optional(),
});

/** The provisioner's list request: one kind, its filters (phase already checked) and the caller's scope. */
export const ResourceQuery = ResourceFilter.omit({ phase: true }).extend({
  kind: z.string(),
  phase: z.array(z.string()).optional(),
  ...Scope.shape,
});
export type ResourceQuery = z.infer<typeof ResourceQuery>;

/** One resource by namespace and name, or by Jangar id within the caller's scope. */
export const ResourceLookup = z.union([
  z.object({ kind: z.string(), namespace: z.string(), name: z.string() }).extend(Scope.shape),
  z.object({ kind: z.string(), id: z.string() }).extend(Scope.shape),
]);
export type ResourceLookup = z.infer<typeof ResourceLookup>;

export const RPCS = {
  evaluatePolicy: defineRpc('policy', 'evaluate', RequestPayload, DecisionPayload),
  listApprovals: defineRpc('policy', 'list-approvals', ApprovalQuery, listOf(Approval)),
  getApproval: defineRpc('policy', 'get-approval', ApprovalLookup, Approval),
  decideApproval: defineRpc('policy', 'decide-approval', ApprovalDecision, ApprovalDecided),
  listQueue: defineRpc('policy', 'list-queue', QueueQuery, listOf(QueueEntryView)),
  getResource: defineRpc('provisioner', 'get-resource', ResourceLookup, ResourceView),
  listResources: defineRpc('provisioner', 'list-resources', ResourceQuery, listOf(ResourceView)),
  getRun: defineRpc('status', 'get-run', z.object({ id: z.string() }), NormalizedRun),
  listRuns: defineRpc('status', 'list-runs', RunQuery, listOf(NormalizedRun)),
  listAuditEvents: defineRpc('audit', 'list-events', AuditQuery, listOf(AuditEventView)),
  verifyAudit: defineRpc('audit', 'verify', VerifyFilter, ChainVerification),
  runHistory: defineRpc('audit', 'run-history', RunHistoryQuery, RunHistory),
  revisions: defineRpc('audit', 'revisions', RevisionsQuery, Revisions),
  correlation: defineRpc('audit', 'correlation', CorrelationQuery, Correlation),
} as const;
