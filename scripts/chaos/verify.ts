/**
 * The invariants a chaos run must keep, checked from the outside after the storm: by replaying
 * every deliveryId, reading the runs, listing the custom resources from the Kubernetes API,
 * counting audit events in Postgres and asking the audit service to verify its hash chain. Each
 * check waits (with a deadline and progress lines) for the system to converge, then judges.
 */
import type { CustomObjectsApi } from '@kubernetes/client-node';
import type pg from 'pg';
import { isTerminalPhase, JANGAR_LABELS, TERMINAL_PHASES } from '@jangar/contracts';
import { deliveryLabelValue, forEachLimited, requestKeyFor } from '@jangar/service-kit';
import { PATCH_LABEL, type ChaosClient } from './client.js';
import { isAccepted, isFinal, isRetryable, type Ledger } from './ledger.js';
import { settle } from './settle.js';
import { diagnoseRuns } from './diagnose.js';
import { BacklogProbe } from '../bench/settle.js';

export interface VerifyTarget {
  gatewayUrl: string;
  /** The stack's NATS and Postgres, to wait until no message is left queued or unacked. */
  natsUrl: string;
  databaseUrl: string;
  /** The storm's client: replays go through it (and into its ledger). */
  client: ChaosClient;
  /** The storm's caller: its token, subject and namespace (used by nothing else). */
  token: string;
  subject: string;
  namespace: string;
  /** A token with the auditor or admin role, for `GET /v1/audit/verify`. */
  auditorToken: string;
  kube: CustomObjectsApi;
  db: pg.Pool;
  /** How long each convergence may take. */
  timeoutMs: number;
  log: (line: string) => void;
}

export interface Verification {
  counts: Record<string, number | string>;
  /** One line per broken invariant; empty when the run is clean. */
  violations: string[];
}

const examples = (ids: string[]) => `${ids.slice(0, 5).join(', ')}${ids.length > 5 ? `, … (${ids.length} in all)` : ''}`;

/** Replays every accepted deliveryId until its stored answer comes back (a 202 turns into the stored 201 once the outcome is in). */
async function replayAll(t: VerifyTarget, ledger: Ledger, accepted: string[]): Promise<number> {
  const pending = new Set(accepted);
  await settle(
    'every accepted deliveryId replays its stored answer',
    async () => {
      await forEachLimited([...pending], 16, async (id) => {
        if (isFinal(await t.client.send(id))) pending.delete(id);
      });
      return { done: pending.size === 0, line: `${accepted.length - pending.size}/${accepted.length} stored` };
    },
    t.timeoutMs,
    t.log,
  );
  return accepted.length - pending.size;
}

/**
 * Every final answer of a deliveryId is the same status and body, and carries the id its 202
 * promised (a change: the id of the run its create made). Returns the deliveryIds that broke one.
 */
function checkAnswers(ledger: Ledger, accepted: string[], violations: string[]): string[] {
  const unexpected = ledger.deliveryIds().filter((id) => ledger.answers(id).some((a) => !isRetryable(a) && !isAccepted(a)));
  if (unexpected.length > 0) {
    const sample = ledger.answers(unexpected[0]!).find((a) => !isRetryable(a) && !isAccepted(a))!;
    violations.push(
      `answers other than 200/201/202/503/409 in progress for ${examples(unexpected)}; e.g. ${sample.status} ${sample.body.slice(0, 200)}`,
    );
  }
  const acceptedSet = new Set(accepted);
  const never = ledger.deliveryIds().filter((id) => !acceptedSet.has(id));
  if (never.length > 0) violations.push(`never accepted although retried: ${examples(never)}`);
  const differing: string[] = [];
  const noFinal: string[] = [];
  const otherId: string[] = [];
  for (const id of accepted) {
    const answers = ledger.answers(id);
    const finals = answers.filter(isFinal);
    if (finals.length === 0) noFinal.push(id);
    else if (finals.some((a) => a.status !== finals[0]!.status || a.body !== finals[0]!.body)) differing.push(id);
    // A change's 202 names the request, not the run (the API says so); its final 200 names the run,
    // which must be the one its create made.
    const change = ledger.changeBy(id);
    const naming = change ? answers.filter((a) => a.status === 200) : answers.filter(isAccepted);
    const ids = new Set(naming.map((a) => (JSON.parse(a.body) as { id?: string }).id));
    if (change) ids.add(ledger.runId(change.createdBy));
    if (ids.size !== 1) otherId.push(id);
  }
  if (noFinal.length > 0) violations.push(`no stored answer before the deadline: ${examples(noFinal)}`);
  if (differing.length > 0) violations.push(`a replay differs from the first answer: ${examples(differing)}`);
  if (otherId.length > 0) violations.push(`answers name different run ids: ${examples(otherId)}`);
  return [...noFinal, ...differing, ...otherId];
}

/** Phases of the caller's runs in the namespace, through `GET /v1/runs` (paged). */
async function runPhases(t: VerifyTarget): Promise<Map<string, string>> {
  const phases = new Map<string, string>();
  let cursor: string | undefined;
  do {
    const query = new URLSearchParams({ namespace: t.namespace, limit: '500', ...(cursor ? { continue: cursor } : {}) });
    const res = await fetch(`${t.gatewayUrl}/v1/runs?${query}`, { headers: { authorization: `Bearer ${t.token}` } });
    if (!res.ok) throw new Error(`GET /v1/runs answered ${res.status}`);
    const page = (await res.json()) as { items: Array<{ id: string; phase: string }>; continue?: string };
    for (const run of page.items) phases.set(run.id, run.phase);
    cursor = page.continue;
  } while (cursor);
  return phases;
}

async function checkTerminal(t: VerifyTarget, ledger: Ledger, accepted: string[], counts: Verification['counts'], violations: string[]) {
  const createOf = new Map(accepted.filter((id) => !ledger.changeBy(id)).map((id) => [ledger.runId(id)!, id]));
  const runIds = [...createOf.keys()];
  let phases = new Map<string, string>();
  const isTerminal = (id: string) => isTerminalPhase(phases.get(id));
  const terminal = () => runIds.filter(isTerminal).length;
  const result = await settle(
    'every accepted run reaches a terminal phase',
    async () => {
      phases = await runPhases(t);
      return { done: terminal() === runIds.length, line: `${terminal()}/${runIds.length} terminal` };
    },
    t.timeoutMs,
    t.log,
  );
  counts['terminal runs'] = terminal();
  for (const phase of TERMINAL_PHASES) counts[`  ${phase}`] = runIds.filter((id) => phases.get(id) === phase).length;
  if (result.done) return;
  const stuck = runIds.filter((id) => !isTerminal(id));
  violations.push(`runs not terminal by the deadline: ${examples(stuck)}`);
  await diagnoseRuns(
    t,
    ledger,
    stuck.map((id) => createOf.get(id)!),
    t.log,
  );
}

/**
 * Waits until no message is queued or unacked on any durable consumer. A message whose ack a crash
 * lost is delivered again only after the ack wait (10 s): a create redelivered after its run was
 * deleted would make the run again then, after a list of the runs taken sooner had found none.
 */
async function drained(t: VerifyTarget, violations: string[]): Promise<void> {
  const probe = await BacklogProbe.open(t.natsUrl, t.databaseUrl);
  try {
    const result = await settle(
      'no message left queued or unacked',
      async () => {
        const left = await probe.read();
        return {
          done: left.consumerBacklog === 0 && left.pendingDeliveries === 0,
          line: `${left.consumerBacklog} messages queued or unacked, ${left.pendingDeliveries} deliveries without an answer`,
        };
      },
      t.timeoutMs,
      t.log,
    );
    if (!result.done) violations.push(`work still queued at the deadline: ${result.line}`);
  } finally {
    await probe.close();
  }
}

/**
 * Exactly one AgentRun per accepted create, none once an accepted delete removed it, and none
 * besides, read from the Kubernetes API; a run an accepted patch changed carries its label.
 */
async function checkResources(t: VerifyTarget, ledger: Ledger, accepted: string[], counts: Verification['counts'], violations: string[]) {
  const list = (await t.kube.listNamespacedCustomObject({
    group: 'agents.proompteng.ai',
    version: 'v1alpha1',
    namespace: t.namespace,
    plural: 'agentruns',
  })) as { items: Array<{ metadata: { labels?: Record<string, string> } }> };
  const byLabel = new Map<string, Array<Record<string, string>>>();
  for (const item of list.items) {
    const labels = item.metadata.labels ?? {};
    const delivery = labels[JANGAR_LABELS.delivery] ?? '(none)';
    byLabel.set(delivery, [...(byLabel.get(delivery) ?? []), labels]);
  }
  const creates = accepted.filter((id) => !ledger.changeBy(id));
  const deleted = ledger.acceptedChanges('delete');
  const patched = ledger.acceptedChanges('patch');
  counts['custom resources'] = list.items.length;
  counts['runs deleted'] = deleted.size;
  counts['runs patched'] = patched.size;
  const found = (id: string) => byLabel.get(deliveryLabelValue(requestKeyFor(t.subject, id))) ?? [];
  const extra = creates.filter((id) => deleted.has(id) && found(id).length !== 0);
  const wrong = creates.filter((id) => !deleted.has(id) && found(id).length !== 1);
  const unpatched = [...patched].filter(([id, patchId]) => !deleted.has(id) && found(id)[0]?.[PATCH_LABEL] !== patchId).map(([, p]) => p);
  if (wrong.length > 0) violations.push(`deliveryIds without exactly one AgentRun: ${examples(wrong)}`);
  if (extra.length > 0) violations.push(`deliveryIds whose AgentRun is still there after its delete was accepted: ${examples(extra)}`);
  await diagnoseRuns(t, ledger, [...wrong, ...extra], t.log);
  if (unpatched.length > 0) violations.push(`accepted patches whose label is not on their run: ${examples(unpatched)}`);
  const expected = creates.length - deleted.size;
  if (list.items.length !== expected) violations.push(`${list.items.length} AgentRuns for ${expected} accepted and not deleted runs`);
}

/** One audit event per accepted deliveryId, once the audit service has caught up. */
async function checkAudit(t: VerifyTarget, accepted: string[], counts: Verification['counts'], violations: string[]) {
  let rows: Array<{ delivery_id: string; n: number }> = [];
  const result = await settle(
    'an audit event for every accepted request',
    async () => {
      ({ rows } = await t.db.query<{ delivery_id: string; n: number }>(
        'select delivery_id, count(*)::int as n from audit.audit_events where actor = $1 and delivery_id = any($2) group by delivery_id',
        [t.subject, accepted],
      ));
      return { done: rows.length === accepted.length, line: `${rows.length}/${accepted.length} recorded` };
    },
    t.timeoutMs,
    t.log,
  );
  counts['audit events'] = rows.reduce((sum, r) => sum + r.n, 0);
  const twice = rows.filter((r) => r.n !== 1).map((r) => `${r.delivery_id}×${r.n}`);
  if (twice.length > 0) violations.push(`deliveryIds audited more than once: ${examples(twice)}`);
  if (!result.done) violations.push(`${accepted.length - rows.length} accepted requests have no audit event`);
}

/** Walks the chain page by page (`continue`), as a long storm's chain is more than one page. */
async function checkChain(t: VerifyTarget, counts: Verification['counts'], violations: string[]) {
  let checked = 0;
  let token: string | undefined;
  do {
    const query = token === undefined ? '' : `?continue=${encodeURIComponent(token)}`;
    const res = await fetch(`${t.gatewayUrl}/v1/audit/verify${query}`, { headers: { authorization: `Bearer ${t.auditorToken}` } });
    const body = (await res.json()) as { intact?: boolean; checked?: number; firstBroken?: unknown; continue?: string };
    checked += body.checked ?? 0;
    if (res.status !== 200 || body.intact !== true) {
      violations.push(`the audit hash chain is broken: ${res.status} ${JSON.stringify(body)}`);
      break;
    }
    token = body.continue;
  } while (token !== undefined);
  counts['chain events checked'] = checked;
}

/** Checks every invariant of a storm against the stack; never throws for a violated invariant. */
export async function verifyStorm(t: VerifyTarget, ledger: Ledger): Promise<Verification> {
  const violations: string[] = [];
  const counts: Verification['counts'] = { 'deliveryIds sent': ledger.deliveryIds().length };
  const retriedBeforeReplay = ledger.retriedCount();
  const accepted = ledger.accepted();
  counts.accepted = accepted.filter((id) => !ledger.changeBy(id)).length;
  counts['deletes accepted'] = accepted.filter((id) => ledger.changeBy(id)?.verb === 'delete').length;
  counts['patches accepted'] = accepted.filter((id) => ledger.changeBy(id)?.verb === 'patch').length;
  counts['replays stored'] = await replayAll(t, ledger, accepted);
  const broken = checkAnswers(ledger, accepted, violations);
  // A change is described with the run its create made, which is what it changed.
  const creates = [...new Set(broken.map((id) => ledger.changeBy(id)?.createdBy ?? id))].filter((id) => ledger.runId(id) !== undefined);
  await diagnoseRuns(t, ledger, creates, t.log);
  counts['retried (503, no answer, in progress)'] = retriedBeforeReplay;
  for (const [status, n] of ledger.statusCounts()) counts[`answers ${status}`] = n;
  await checkTerminal(t, ledger, accepted, counts, violations);
  await drained(t, violations);
  await checkResources(t, ledger, accepted, counts, violations);
  await checkAudit(t, accepted, counts, violations);
  await checkChain(t, counts, violations);
  return { counts, violations };
}
