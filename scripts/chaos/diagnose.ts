/**
 * What the stack holds about a run that broke an invariant, gathered once the verification has
 * given up on it: a chaos run's services may keep no logs, and a violation seen once in ten runs
 * must be explainable from the run that saw it.
 */
import type { CustomObjectsApi } from '@kubernetes/client-node';
import type pg from 'pg';
import { JANGAR_LABELS, type NormalizedRun } from '@jangar/contracts';
import type { Ledger } from './ledger.js';

export interface DiagnoseTarget {
  gatewayUrl: string;
  token: string;
  namespace: string;
  kube: CustomObjectsApi;
  db: pg.Pool;
}

const since = (t0: number, at: number) => `+${((at - t0) / 1000).toFixed(1)}s`;

/** The client's side: every attempt of the create and of the changes sent to its run, with when it went and what came back. */
function attempts(ledger: Ledger, createId: string): string[] {
  const t0 = ledger.answers(createId)[0]?.sentAt ?? 0;
  const line = (what: string, id: string) =>
    `${what} ${id}: ${ledger
      .answers(id)
      .map((a) => `${a.status === 0 ? 'no answer' : a.status} at ${since(t0, a.sentAt)} in ${a.ms} ms`)
      .join(', ')}`;
  const changes = ledger.deliveryIds().filter((id) => ledger.changeBy(id)?.createdBy === createId);
  return [line('create', createId), ...changes.map((id) => line(ledger.changeBy(id)!.verb, id))];
}

/** Jangar's side: the unified view, the stored row, the waiting row and the history audit kept. */
async function stored(t: DiagnoseTarget, runId: string): Promise<string[]> {
  const res = await fetch(`${t.gatewayUrl}/v1/runs/${runId}`, { headers: { authorization: `Bearer ${t.token}` } });
  const view = (await res.json()) as Partial<NormalizedRun>;
  const { rows: runs } = await t.db.query<{ phase: string; resource_version: string; updated_at: Date }>(
    'select phase, resource_version, updated_at from status.runs where id = $1',
    [runId],
  );
  const { rows: waiting } = await t.db.query<{ phase: string; listed: boolean; observed_at: Date }>(
    'select phase, listed, observed_at from status.waiting_runs where id = $1',
    [runId],
  );
  const { rows: history } = await t.db.query<{ phase: string; resource_version: string; observed_at: Date }>(
    'select phase, resource_version, observed_at from audit.run_history where run_id = $1 order by observed_at',
    [runId],
  );
  return [
    `GET /v1/runs/${runId}: ${res.status} ${view.phase ?? ''} at rv ${view.resourceVersion ?? '–'}, provider ${JSON.stringify(view.provider ?? {})}, updated ${view.updatedAt ?? '–'}`,
    `status.runs: ${runs.map((r) => `${r.phase} at rv ${r.resource_version}, written ${r.updated_at.toISOString()}`).join('; ') || 'none'}`,
    `status.waiting_runs: ${waiting.map((r) => `${r.phase}${r.listed ? '' : ' (unlisted)'}, observed ${r.observed_at.toISOString()}`).join('; ') || 'none'}`,
    `audit history: ${history.map((r) => `${r.phase}@${r.resource_version} ${r.observed_at.toISOString()}`).join(' → ') || 'none'}`,
  ];
}

/** Kubernetes' side: the AgentRun carrying the run's id, its phase, version and deletion mark. */
async function inCluster(t: DiagnoseTarget, runId: string): Promise<string> {
  const list = (await t.kube.listNamespacedCustomObject({
    group: 'agents.proompteng.ai',
    version: 'v1alpha1',
    namespace: t.namespace,
    plural: 'agentruns',
    labelSelector: `${JANGAR_LABELS.id}=${runId}`,
  })) as {
    items: Array<{ metadata: { name: string; resourceVersion?: string; deletionTimestamp?: string }; status?: { phase?: string } }>;
  };
  if (list.items.length === 0) return 'AgentRun: none in the cluster';
  return list.items
    .map(
      (o) =>
        `AgentRun ${o.metadata.name}: ${o.status?.phase ?? 'no phase'} at rv ${o.metadata.resourceVersion}` +
        `${o.metadata.deletionTimestamp ? `, deleting since ${o.metadata.deletionTimestamp}` : ''}`,
    )
    .join('; ');
}

/** Logs what every side holds about the runs of the first five of `creates` (deliveryIds of accepted creates). */
export async function diagnoseRuns(
  t: DiagnoseTarget,
  ledger: Ledger,
  creates: readonly string[],
  log: (line: string) => void,
): Promise<void> {
  for (const createId of creates.slice(0, 5)) {
    for (const line of await diagnoseRun(t, ledger, ledger.runId(createId)!, createId)) log(`    ${line}`);
  }
}

/** Lines describing one run from every side; a side that cannot be read says why instead. */
async function diagnoseRun(t: DiagnoseTarget, ledger: Ledger, runId: string, createId: string): Promise<string[]> {
  const guarded = async (side: () => Promise<string[]>) => {
    try {
      return await side();
    } catch (err) {
      return [`(could not read: ${(err as Error).message})`];
    }
  };
  return [
    `run ${runId}:`,
    ...[
      ...attempts(ledger, createId),
      ...(await guarded(() => stored(t, runId))),
      ...(await guarded(async () => [await inCluster(t, runId)])),
    ].map((line) => `    ${line}`),
  ];
}
