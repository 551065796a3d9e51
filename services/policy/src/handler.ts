import { randomUUID } from 'node:crypto';
import type { JetStreamClient } from '@nats-io/jetstream';
import {
  decisionDedupId,
  dedupIds,
  JANGAR_LABELS,
  kindByName,
  RequestMessage as RequestMessageSchema,
  SUBJECTS,
  type DecisionPayload,
  type DomainErrorPayload,
  type KubeObject,
  type QueueState,
  type RequestMessage,
  type RequestPayload,
} from '@jangar/contracts';
import { faultPoint, publish, type Logger } from '@jangar/service-kit';
import type { ClusterView } from './cluster-view.js';
import { requestedResources, resourceBudgets, runBudgets, runBudgetViolation, spentBudgets } from './budgets.js';
import {
  limitsFor,
  plainLimits,
  plainRates,
  queueFor,
  queueFullViolation,
  rateLimitsFor,
  rateViolations,
  refusalViolations,
  refusalRoute,
  takesSlot,
  waitingAheadDetail,
} from './concurrency.js';
import { contextFor, type DecisionContext, type PolicySettings } from './context.js';
import { evaluate } from './evaluate.js';
import type { SlotStore } from './slots/store.js';
import type { DecisionStore, KeptDecision } from './decisions/store.js';
import { admits, keepFirst, keepSettling, leavesAs } from './decisions/give-back.js';
import { APPROVAL_RULE, approvalGates, type ApprovalGates } from './approvals/gates.js';
import { toApproval, type ApprovalRow, type ApprovalStore } from './approvals/store.js';
import { agentNameOf, subjectOf, type ReadCurrent } from './subject.js';
import type { Subject } from './rules.js';
import { toQueueSummary, type QueueEntry, type QueueRow, type QueueSizes, type QueueStore } from './queue/store.js';
import type { Audited, Refusal } from './slots/store.js';

export interface PolicyDeps {
  js: JetStreamClient;
  view: ClusterView;
  readCurrent: ReadCurrent;
  slots: SlotStore;
  approvals: ApprovalStore;
  queue: QueueStore;
  /** The first decision of each attempt, replayed to a redelivered request. */
  decisions: DecisionStore;
  /** Told when a run joins the queue, so the queue is tried at once (the run may fit already). */
  onQueued?: () => void;
  /** Told when a request gives back a slot it took (its admission lost to another replica's decision), with the slot's namespace. */
  onSlotReleased?: (namespace: string) => void;
  /** Writes a Budget's usage on its status from Postgres; best effort, never throws: the charges and slots there are the truth. */
  recordBudgetUsage(budget: string): Promise<void>;
  settings: PolicySettings;
  logger: Logger;
}

type DecideDeps = Pick<PolicyDeps, 'view' | 'readCurrent' | 'settings'>;

/**
 * Decides a request against the policy as the cluster holds it now, without taking anything. Also
 * the dry run. A request no rule denies but an approval gate holds is `pending`.
 */
export async function decide(
  request: RequestPayload,
  deps: DecideDeps,
): Promise<{
  decision: DecisionPayload;
  ctx: DecisionContext;
  agent: string | undefined;
  held: ApprovalGates;
  subject: Subject | undefined;
}> {
  const subject = await subjectOf(request, deps.readCurrent);
  const agent = agentNameOf(subject);
  const ctx = contextFor(deps.view, deps.settings, request.metadata.namespace, agent);
  const evaluated = evaluate(request, subject, ctx, new Date());
  // A run may not start on a budget the runtime reports spent (tokens, dollars, cpu, memory, gpu).
  const spent = takesSlot(request) ? spentBudgets(ctx) : [];
  const held = approvalGates(request, subject, ctx);
  const violations = [...evaluated.violations, ...spent, ...held.gates];
  const enforced = violations.filter((v) => (v.mode ?? evaluated.mode) === 'enforce');
  const verdict = enforced.some((v) => v.ruleId !== APPROVAL_RULE) ? 'deny' : enforced.length > 0 ? 'pending' : 'allow';
  return { decision: { ...evaluated, violations, verdict }, ctx, agent, held, subject };
}

/** The problem code of a denial: `budget_exceeded` when only budgets deny it, else `policy_denied`. */
function denialCode(enforced: DecisionPayload['violations']): 'budget_exceeded' | 'policy_denied' {
  return enforced.length > 0 && enforced.every((v) => v.ruleId === 'budget-exceeded') ? 'budget_exceeded' : 'policy_denied';
}

/** What a request waits on besides its own decision: the approval that settled it, or its place in the queue. */
export interface Held {
  approval?: ApprovalRow;
  queued?: QueueRow;
}

/**
 * What admission came to: a decision to publish (with the request's rejection, if any) — or, for a
 * queued run a limit still holds back, nothing yet; or, for an attempt that already left its queue,
 * nothing at all.
 */
type Admitted =
  | { decision: DecisionPayload; error?: DomainErrorPayload; blocked?: undefined; settled?: undefined }
  | { blocked: Array<Refusal['scope']>; decision?: undefined; error?: undefined; settled?: undefined }
  | { settled: QueueState; decision?: undefined; error?: undefined; blocked?: undefined };

/**
 * Decides a request and, when the rules allow a run, takes its concurrency slot. A run over a limit
 * is queued when its guardrail has a queue, and otherwise refused with `concurrency_limit` or
 * `rate_limited`, retryable answers.
 */
async function admit(message: RequestMessage, deps: PolicyDeps, held: Held): Promise<Admitted> {
  const decided = await decide(message.payload, deps);
  const { ctx, agent } = decided;
  const settled = held.approval;
  // A settling decision carries its approval, so its dedup ID is not the held decision's.
  let decision = settled ? { ...decided.decision, approval: summaryOf(settled) } : decided.decision;
  const queuedRow = held.queued;
  const leaving = (state: 'Admitted' | 'Rejected') =>
    queuedRow ? { queue: { ...toQueueSummary(queuedRow), state, settledAt: new Date().toISOString() } } : {};
  if (decision.verdict === 'deny') {
    const enforced = decision.violations.filter((v) => (v.mode ?? decision.mode) === 'enforce' && v.ruleId !== APPROVAL_RULE);
    return {
      decision: { ...decision, ...leaving('Rejected') },
      error: {
        code: denialCode(enforced),
        detail: `denied by policy ${decision.policyVersion}: ${enforced.map((v) => v.reason).join('; ')}`,
        violations: decision.violations,
      },
    };
  }
  // A queued run passed its approval gates before it was queued; only limits and denials are checked again.
  if (queuedRow && decision.verdict === 'pending') decision = { ...decision, verdict: 'allow' };
  if (decision.verdict === 'pending' || settled) {
    const row = settled ?? (await deps.approvals.hold(message, decided.held, randomUUID()));
    decision = { ...decision, approval: summaryOf(row) };
    if (row.state === 'Pending') return { decision: { ...decision, verdict: 'pending' } };
    if (row.state !== 'Approved') return { decision: { ...decision, verdict: 'deny' }, error: approvalRefusal(row, decision) };
    decision = { ...decision, verdict: 'allow' };
  }
  if (!takesSlot(message.payload)) return { decision };
  const request = message.payload;
  const queue = queueFor(ctx);
  if (queue && !queuedRow) {
    // First come, first served: a run does not overtake the runs already waiting in its namespace.
    const waiting = await deps.queue.byRequestKey(message.requestKey);
    // This attempt was queued by a replica that died before keeping that decision, and has left the
    // queue since (admitted, refused, expired, or cancelled by a delete): whoever settled it published
    // its answer. Deciding it afresh could start a run its user deleted, or admit it twice.
    if (waiting && waiting.attempt === message.attempt && waiting.state !== 'Queued') return { settled: waiting.state };
    if (waiting?.state === 'Queued' && waiting.attempt === message.attempt) {
      return { decision: { ...decision, verdict: 'pending', queue: toQueueSummary(waiting) } };
    }
    const ahead = await deps.queue.waitingIn(request.metadata.namespace);
    if (ahead.first) {
      const entry = {
        ...ahead.first,
        agent,
        detail: waitingAheadDetail(ahead.count, ctx.namespace, ahead.first.detail),
      };
      return enqueue(message, deps, ctx, decision, entry, queue);
    }
  }
  const owned = limitsFor(ctx);
  const rates = rateLimitsFor(ctx);
  const admission = await deps.slots.admit(
    {
      requestKey: message.requestKey,
      attempt: message.attempt,
      runId: request.id,
      kind: request.kind,
      namespace: request.metadata.namespace,
      name: request.metadata.name ?? '',
      agent,
      resources: requestedResources(decided.subject?.spec),
    },
    {
      limits: plainLimits(owned),
      budgets: runBudgets(ctx),
      resourceBudgets: resourceBudgets(ctx),
      rates: plainRates(rates),
      audited: auditedOf(owned, rates, ctx),
    },
  );
  // Not awaited: a Budget's status only shows usage (admission counts from Postgres), and its write
  // waits on the API server, which must not hold up the decision. A failed write is caught up by
  // the next one or the reconcile sweep.
  for (const key of admission.charged) void deps.recordBudgetUsage(key);
  const over = [
    ...admission.spent.map((r) => runBudgetViolation(ctx, r)),
    ...refusalViolations(admission.refusals, owned, ctx, agent),
    ...rateViolations(admission.rateRefusals, rates, ctx),
  ];
  const enforced = over.filter((v) => (v.mode ?? decision.mode) === 'enforce');
  const violations = [...decision.violations, ...over];
  if (enforced.length === 0) return { decision: { ...decision, violations, ...leaving('Admitted') } };
  const route = refusalRoute(enforced, queue !== undefined);
  if (route === 'queue' && queue) {
    const scopes = [...admission.refusals.map((r) => r.scope), ...admission.rateRefusals.map((r) => r.scope)];
    if (queuedRow) return { blocked: scopes };
    const concurrency = enforced.filter((v) => v.ruleId === 'concurrency-limit');
    const entry = {
      agent,
      reason: concurrency.length > 0 ? ('ConcurrencyLimit' as const) : ('RateLimit' as const),
      detail: (concurrency.length > 0 ? concurrency : enforced).map((v) => v.reason.replace(/; retry.*$/, '')).join('; '),
    };
    return enqueue(message, deps, ctx, { ...decision, violations }, entry, queue);
  }
  const code = route === 'queue' ? 'concurrency_limit' : route;
  return {
    decision: { ...decision, verdict: 'deny', violations, ...leaving('Rejected') },
    error: { code, detail: enforced.map((v) => v.reason).join('; '), violations },
  };
}

/** The limits and budgets whose policy only audits: a run past them is admitted and still takes its slot. */
function auditedOf(owned: ReturnType<typeof limitsFor>, rates: ReturnType<typeof rateLimitsFor>, ctx: DecisionContext): Audited {
  const audited = <S extends string>(limits: Partial<Record<S, { mode: string }>>) =>
    new Set((Object.entries(limits) as Array<[S, { mode: string } | undefined]>).filter(([, l]) => l?.mode === 'audit').map(([s]) => s));
  return { limits: audited(owned), rates: audited(rates), budgets: ctx.baselineMode === 'audit' };
}

/** Puts a run a limit holds back in its namespace's queue (`pending`), or — the queue being full — refuses it with `queue_full`. */
async function enqueue(
  message: RequestMessage,
  deps: PolicyDeps,
  ctx: DecisionContext,
  decision: DecisionPayload,
  entry: QueueEntry,
  sizes: QueueSizes,
): Promise<Admitted> {
  const queued = await deps.queue.enqueue(message, entry, sizes, randomUUID());
  if ('row' in queued) {
    faultPoint('policy.after-enqueue');
    deps.onQueued?.();
    return { decision: { ...decision, verdict: 'pending', queue: toQueueSummary(queued.row) } };
  }
  const full = queueFullViolation(queued.full, ctx);
  return {
    decision: { ...decision, verdict: 'deny', violations: [...decision.violations, full] },
    error: { code: 'queue_full', detail: `${entry.detail}, and ${full.reason}`, violations: [...decision.violations, full] },
  };
}

/** An approval as a decision carries it: without the request, which the decision has already. */
function summaryOf(row: ApprovalRow): NonNullable<DecisionPayload['approval']> {
  const { request: _request, ...summary } = toApproval(row);
  return summary;
}

/** Why a request held for approval is refused: an approver denied it, nobody decided in time, or its run was deleted. */
function approvalRefusal(row: ApprovalRow, decision: DecisionPayload): DomainErrorPayload {
  if (row.state === 'Cancelled') return heldRunCancelled(row);
  if (row.state === 'Denied') {
    const why = row.reason ? `: ${row.reason}` : '';
    return {
      code: 'approval_denied',
      detail: `${row.decided_by ?? 'an approver'} denied approval ${row.id}${why}`,
      violations: decision.violations,
    };
  }
  return {
    code: 'approval_expired',
    detail: `nobody decided approval ${row.id} before ${row.expires_at}; submit the request again with a new deliveryId`,
    violations: decision.violations,
  };
}

/**
 * Decides a request and publishes the decision; a denial is also the request's outcome. Both
 * carry derived dedup IDs, so a redelivered request publishes nothing new. `held` is what the
 * request waited on — a decided approval, or its queue entry — when its decision is being carried
 * out. Returns the scopes still full when a queued run must wait on.
 */
export async function handleRequest(
  message: RequestMessage,
  deps: PolicyDeps,
  held: Held = {},
): Promise<{ blocked?: Array<Refusal['scope']>; left?: 'Admitted' | 'Rejected' }> {
  // A request off the bus, as opposed to one whose approval or queue wait is being carried out
  // (those have dedup IDs of their own): its attempt is decided once, and a redelivery replays that.
  const fresh = !held.approval && !held.queued;
  if (fresh) faultPoint('policy.before-decide');
  const first = fresh ? await deps.decisions.first(message.requestKey, message.attempt) : undefined;
  if (first) {
    await publishDecision(message, first.decision, first.error, deps);
    return {};
  }
  const admitted = await admit(message, deps, held);
  if (admitted.blocked) return { blocked: admitted.blocked };
  if (admitted.settled) {
    deps.logger.info(
      { requestKey: message.requestKey, attempt: message.attempt, state: admitted.settled },
      'this attempt already left its queue',
    );
    return {};
  }
  // An allowed delete of a run still waiting in its queue or for approval is carried out here: there is no object yet.
  if (admitted.decision.verdict === 'allow' && !admitted.error && (await cancelUncreated(message, deps))) return {};
  const ours = { decision: admitted.decision, error: admitted.error };
  const decided = fresh ? await keepFirst(message, ours, deps) : await keepSettling(message, ours, deps, held.queued);
  await publishDecision(message, decided.decision, decided.error, deps);
  // Another decision standing, the entry has left the queue as it says (keepSettling).
  const left = decided === ours ? admitted.decision.queue?.state : undefined;
  return held.queued && (left === 'Admitted' || left === 'Rejected') ? { left } : {};
}

/** Publishes a decision and, for a refusal, the request's rejected outcome. */
async function publishDecision(
  message: RequestMessage,
  decision: DecisionPayload,
  error: DomainErrorPayload | undefined,
  deps: PolicyDeps,
): Promise<void> {
  const kind = kindByName(message.payload.kind)?.token ?? message.payload.kind.toLowerCase();
  const envelope = { ...message, occurredAt: decision.evaluatedAt };
  await publish(
    deps.js,
    SUBJECTS.decision,
    { verdict: decision.verdict, kind, verb: message.payload.verb },
    { ...envelope, payload: decision },
    decisionDedupId({ ...envelope, payload: decision }),
  );
  if (decision.violations.length > 0) {
    deps.logger.info({ requestKey: message.requestKey, verdict: decision.verdict, violations: decision.violations }, 'policy violations');
  }
  if (!error) return;
  faultPoint('policy.after-decision');
  await publish(
    deps.js,
    SUBJECTS.outcome,
    { kind, verb: message.payload.verb },
    {
      ...envelope,
      payload: { result: 'rejected', id: message.payload.id, kind: message.payload.kind, verb: message.payload.verb, error },
    },
    dedupIds.outcome(message.requestKey, message.attempt),
  );
}

/**
 * Refuses a queued run whose wait ran out with `queue_expired`: a final answer, like an expired
 * approval's, so a client polling its deliveryId learns the run will not start. Unless another
 * final decision of the attempt stands (keepSettling), which is published instead; the entry has
 * then left the queue as that one says. True when the expiry stood.
 */
async function expireQueued(row: QueueRow, message: RequestMessage, deps: PolicyDeps): Promise<boolean> {
  const ruleId = row.reason === 'ConcurrencyLimit' ? 'concurrency-limit' : 'rate-limit';
  const reason = `waited in the queue from ${row.enqueued_at} to ${row.expires_at}: ${row.detail}`;
  const violations = [{ ruleId, path: 'metadata.namespace', reason }];
  const expiry = refusedAsItLeft(row, message, 'Expired', new Date().toISOString(), {
    code: 'queue_expired',
    detail: `${reason}; submit again with a new deliveryId`,
    violations,
  });
  const decided = await keepSettling(message, expiry, deps, row);
  await publishDecision(message, decided.decision, decided.error, deps);
  return decided === expiry;
}

/**
 * Carries out a delete of a run not created yet, if the delete names one: waiting in its queue, or
 * held for approval. A run is in at most one of them at a time — it passes its approval gates
 * before it may be queued — so whichever finds it carries out the delete.
 */
async function cancelUncreated(message: RequestMessage, deps: PolicyDeps): Promise<boolean> {
  const p = message.payload;
  if (p.verb !== 'delete' || !kindByName(p.kind)?.isRun || !p.metadata.name) return false;
  const target: RunTarget = { namespace: p.metadata.namespace, kind: p.kind, name: p.metadata.name };
  return (await cancelQueued(message, target, deps)) || (await cancelHeld(message, target, deps));
}

/** The run a delete names. */
export interface RunTarget {
  namespace: string;
  kind: string;
  name: string;
}

/**
 * Carries out a delete of a run that waits in its queue, if one does: the entry leaves the queue as
 * `Cancelled`, the run's create gets its final answer (`run_cancelled`), and the delete is answered
 * with the run as it stood, `Cancelled`, without asking the provisioner (the object never existed).
 * False when no run of that name waits. While the drainer is trying the run, this throws, and the
 * delete comes back after a backoff to find it admitted (then deleted like any run) or still queued.
 */
export async function cancelQueued(message: RequestMessage, target: RunTarget, deps: PolicyDeps): Promise<boolean> {
  const leaving = () => new Error(`${target.kind} ${target.namespace}/${target.name} is leaving its queue; the delete will be tried again`);
  const found = await deps.queue.cancellable(target, message.requestKey);
  if (found === undefined) return false;
  if ('leaving' in found) throw leaving();
  const cancelled: QueueRow[] = [];
  for (const entry of found.entries) {
    const create = RequestMessageSchema.parse(entry.message);
    // Kept as the attempt's decision before the entry leaves the queue, in one transaction: a
    // drainer whose lease lapsed mid-try may be settling the same attempt, and whichever decision
    // is kept first stands.
    const { standing, row } = await deps.queue.cancel(entry, message.requestKey, cancellationOf(entry, create, message), deps.decisions);
    if (standing.decision.queue?.state === 'Cancelled') {
      // This delete's, kept now or before a crash, or another delete's of the same run.
      cancelled.push(row ?? entry);
      await publishDecision(create, standing.decision, standing.error, deps);
      continue;
    }
    // Decided otherwise first: the entry leaves the queue as that decision says, as a drainer would
    // have it leave, rather than wait for one, which a full scope ahead of it may never let try it.
    await leaveAsKept(entry, create, standing, deps);
    // Admitted from this entry just now: the run is on its way, and the delete will find it.
    if (admits(standing) && standing.decision.queue?.id === entry.id) throw leaving();
  }
  if (cancelled.length === 0) return false;
  const create = RequestMessageSchema.parse(cancelled[0]!.message).payload;
  await answerCancellingDelete(message, create, cancelledRun(create, cancelled[0]!.enqueued_at, WHILE_QUEUED), deps);
  return true;
}

/**
 * Takes `entry` out of the queue as `kept`, the final decision its attempt got first, says. When
 * that decision settled this very entry (an earlier try's, whose entry a crash left waiting), it
 * is published again first; else it was another replica's, which published it, and this entry
 * was the losing replica's (giveBackLostAdmission).
 */
async function leaveAsKept(entry: QueueRow, create: RequestMessage, kept: KeptDecision, deps: PolicyDeps): Promise<void> {
  if (kept.decision.queue?.id === entry.id) await publishDecision(create, kept.decision, kept.error, deps);
  await deps.queue.settle(entry, leavesAs(kept, entry));
}

/**
 * Carries out a delete of a run held for approval, if one is, as {@link cancelQueued} does for a
 * queued run: the pending approval becomes `Cancelled` (so nobody can approve it any more), the
 * run's create gets its final answer (`run_cancelled`), and the delete is answered with the run as
 * it stood. False when no approval holds a run of that name. While an approval just approved is
 * being carried out, this throws, and the delete comes back after a backoff to find the run on its
 * way (then deleted like any run).
 */
async function cancelHeld(message: RequestMessage, target: RunTarget, deps: PolicyDeps): Promise<boolean> {
  const found = await deps.approvals.cancel(target, message.requestKey, message.principal.subject);
  if (found === undefined) return false;
  if ('leaving' in found)
    throw new Error(
      `${target.kind} ${target.namespace}/${target.name} was just approved and is being started; the delete will be tried again`,
    );
  for (const row of found.cancelled) await refuseHeld(row, deps);
  const create = RequestMessageSchema.parse(found.cancelled[0]!.message).payload;
  await answerCancellingDelete(message, create, cancelledRun(create, found.cancelled[0]!.created_at, WHILE_HELD), deps);
  return true;
}

/**
 * Answers the delete of a run cancelled before it existed: applied, with the run as it stood. No
 * allow decision is published for it, so the provisioner, which has nothing to delete, never sees it.
 */
async function answerCancellingDelete(
  message: RequestMessage,
  create: RequestPayload,
  resource: KubeObject,
  deps: PolicyDeps,
): Promise<void> {
  await publish(
    deps.js,
    SUBJECTS.outcome,
    { kind: kindByName(create.kind)!.token, verb: 'delete' },
    {
      ...message,
      occurredAt: new Date().toISOString(),
      payload: { result: 'applied', id: create.id, kind: create.kind, verb: 'delete', created: false, resource, deletion: 'completed' },
    },
    dedupIds.outcome(message.requestKey, message.attempt),
  );
}

/** Why a run cancelled before it started stands `Cancelled`: the status reason and message its delete answers with. */
interface CancelledWhile {
  reason: string;
  message: string;
}
const WHILE_QUEUED: CancelledWhile = { reason: 'DeletedWhileQueued', message: 'deleted while it waited in its queue; it never started' };
const WHILE_HELD: CancelledWhile = {
  reason: 'DeletedWhileAwaitingApproval',
  message: 'deleted while it waited for approval; it never started',
};

/** A run cancelled before it started as a delete answers it: the object it would have been, `Cancelled`, without a uid. */
function cancelledRun(create: RequestPayload, since: string, why: CancelledWhile): KubeObject {
  const kind = kindByName(create.kind)!;
  return {
    apiVersion: `${kind.group}/${kind.version}`,
    kind: create.kind,
    metadata: {
      name: create.metadata.name ?? '',
      namespace: create.metadata.namespace,
      uid: '',
      resourceVersion: '',
      creationTimestamp: since,
      labels: { ...create.metadata.labels, [JANGAR_LABELS.id]: create.id },
    },
    spec: create.spec,
    status: { phase: 'Cancelled', ...why },
  };
}

/**
 * The final answer of a held run's create once a delete cancelled its approval: `run_cancelled`,
 * carrying the approval (its settling decision's dedup ID ends in `:cancelled`) and its gates.
 */
async function refuseHeld(row: ApprovalRow, deps: PolicyDeps): Promise<void> {
  const message = RequestMessageSchema.parse(row.message);
  const decision: DecisionPayload = {
    request: message.payload,
    verdict: 'deny',
    mode: 'enforce',
    violations: row.gates,
    policyVersion: 'approval',
    evaluatedAt: row.decided_at ?? new Date().toISOString(),
    approval: summaryOf(row),
  };
  await publishDecision(message, decision, heldRunCancelled(row), deps);
}

/** The refusal of a create whose approval a delete cancelled; from the row alone, so a redelivered create gets the same. */
function heldRunCancelled(row: ApprovalRow): DomainErrorPayload {
  return {
    code: 'run_cancelled',
    detail: `${row.decided_by ?? 'someone'} deleted the run while it waited for approval ${row.id}; it never started`,
    violations: row.gates,
  };
}

/** The final answer of a queued run's create `message` once the delete `deleted` cancelled it: `run_cancelled`, like an expired wait's. */
function cancellationOf(row: QueueRow, message: RequestMessage, deleted: RequestMessage): KeptDecision {
  const detail = `${deleted.principal.subject} deleted the run (deliveryId "${deleted.deliveryId}") while it waited in its queue; it never started`;
  // The entry is marked with the same time.
  return refusedAsItLeft(row, message, 'Cancelled', row.settled_at ?? new Date().toISOString(), { code: 'run_cancelled', detail });
}

/**
 * The queue's own final refusal of `row`'s attempt, leaving the queue `state` at `settledAt`: its
 * wait ran out or a delete ended it, not a rule, so the decision carries the refusal's violations alone.
 */
function refusedAsItLeft(
  row: QueueRow,
  message: RequestMessage,
  state: 'Expired' | 'Cancelled',
  settledAt: string,
  error: DomainErrorPayload,
): KeptDecision {
  const decision: DecisionPayload = {
    request: message.payload,
    verdict: 'deny',
    mode: 'enforce',
    violations: error.violations ?? [],
    policyVersion: 'queue',
    evaluatedAt: settledAt,
    queue: { ...toQueueSummary(row), state, settledAt },
  };
  return { decision, error };
}

/** Tries one queued run: admits it, refuses it, or — a limit still full — leaves it waiting. */
export async function tryQueued(row: QueueRow, deps: PolicyDeps): Promise<{ blocked?: Array<Refusal['scope']> }> {
  const stored = RequestMessageSchema.safeParse(row.message);
  if (!stored.success) {
    // Nothing can decide or answer a request that no longer reads as one; waiting on would only hold its place till expiry.
    const issues = stored.error.issues.map((i) => ({ path: i.path.join('.'), code: i.code }));
    deps.logger.error(
      { queued: row.id, requestKey: row.request_key, issues },
      'a queued request no longer parses; it leaves the queue unanswered',
    );
    await deps.queue.settle(row, 'Rejected');
    return {};
  }
  // Decided already: not again, which could come out otherwise.
  const kept = await deps.decisions.first(row.request_key, row.attempt);
  if (kept && kept.decision.verdict !== 'pending') {
    await leaveAsKept(row, stored.data, kept, deps);
    return {};
  }
  if (row.due) {
    if (await expireQueued(row, stored.data, deps)) await deps.queue.settle(row, 'Expired');
    return {};
  }
  const result = await handleRequest(stored.data, deps, { queued: row });
  // The decision saying how the run left the queue is on the bus; only now is the row marked, so a crash in between tries it again.
  if (result.left) await deps.queue.settle(row, result.left);
  return result.blocked ? { blocked: result.blocked } : {};
}

/** Carries out an approval's decision: provisions an approved request, rejects a denied or expired one, then marks it settled. */
export async function settleApproval(row: ApprovalRow, deps: PolicyDeps): Promise<void> {
  await handleRequest(RequestMessageSchema.parse(row.message), deps, { approval: row });
  await deps.approvals.markReleased(row.id);
}
