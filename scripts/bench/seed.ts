/**
 * Seeds the status-aggregator's read model (`status.runs`) straight in Postgres, with rows shaped
 * exactly like the ones `RunStore.upsert` writes, so reads can be measured at 100k runs without
 * creating 100k runs through the pipeline.
 *
 * How a row is made: each kind of run (type × runtime × phase × retried × orchestration child) is
 * one Kubernetes object with placeholders (`@@NAME@@`, `@@STARTED@@`…) where a real run has its own
 * values. That object goes through the aggregator's own `normalizeRun`, and `JSON.stringify` and
 * `canonicalJson` of the result give the `run`, `labels` and status-digest texts that `upsert`
 * would write, placeholders and all. One `insert … select … from generate_series` per batch then
 * fills the placeholders per row in SQL, from a hash of the row number: the same row number always
 * gives the same run. Row 0 is the newest; each next row is about 26 s older (100k rows ≈ 30
 * days), so growing the store adds history behind the newest runs, as time does.
 */
import type pg from 'pg';
import {
  JANGAR_ANNOTATIONS,
  JANGAR_LABELS,
  NormalizedRun,
  normalizeRun,
  type KubeObject,
  type RunPhase,
  type RunType,
} from '@jangar/contracts';
import { canonicalJson } from '@jangar/service-kit';
import { statusDigest } from '../../services/status-aggregator/src/store.js';

/** Namespaces with their share of runs (%): a few busy teams and a long tail, as on a shared cluster. */
export const SEED_NAMESPACES = [
  { name: 'team-platform', share: 35 },
  { name: 'team-payments', share: 22 },
  { name: 'team-search', share: 15 },
  { name: 'team-mobile', share: 12 },
  { name: 'team-data', share: 9 },
  { name: 'team-docs', share: 7 },
] as const;

const AGENTS = [
  { name: 'coder', share: 55 },
  { name: 'reviewer', share: 25 },
  { name: 'triage', share: 12 },
  { name: 'docs-writer', share: 8 },
];
const ORCHESTRATIONS = [
  { name: 'release', share: 40 },
  { name: 'nightly-sweep', share: 35 },
  { name: 'incident-followup', share: 25 },
];
const REPOS = ['api', 'web', 'mobile-app', 'billing', 'search-indexer', 'infra', 'docs', 'data-pipeline', 'auth', 'cli'];
const TRIGGERS = ['github', 'linear', 'schedule', 'manual'];

/** Seconds between consecutive rows' creation: about 3,300 runs a day, so 100k rows span a month. */
export const SEED_SPACING_SEC = 26;
/** Rows this new (row number below this) may still be Pending or Running; older ones have finished. */
const RECENT_ROWS = 300;
/** Rows per insert statement. */
export const SEED_BATCH = 10_000;

type Runtime = 'job' | 'workflow' | 'temporal' | 'custom' | 'orchestration';

interface Variant {
  type: RunType;
  runtime: Runtime;
  phase: RunPhase;
  /** Failed after its last retry (retry status recorded). */
  retried?: boolean;
  /** Started by an OrchestrationRun step: parent labels and `parent`. */
  child?: boolean;
  /** Relative weight among rows older than {@link RECENT_ROWS}, and among the newest ones. */
  old: number;
  recent: number;
}

// Weights per 1,000 rows. Old rows are finished; about 1 in 8 is an OrchestrationRun, and a fifth
// of the AgentRuns were started by one.
const VARIANTS: Variant[] = [
  { type: 'AgentRun', runtime: 'job', phase: 'Succeeded', old: 330, recent: 190 },
  { type: 'AgentRun', runtime: 'job', phase: 'Succeeded', child: true, old: 110, recent: 60 },
  { type: 'AgentRun', runtime: 'job', phase: 'Failed', old: 40, recent: 25 },
  { type: 'AgentRun', runtime: 'job', phase: 'Failed', retried: true, old: 20, recent: 10 },
  { type: 'AgentRun', runtime: 'job', phase: 'Cancelled', old: 20, recent: 10 },
  { type: 'AgentRun', runtime: 'job', phase: 'Running', old: 0, recent: 150 },
  { type: 'AgentRun', runtime: 'job', phase: 'Running', child: true, old: 0, recent: 60 },
  { type: 'AgentRun', runtime: 'job', phase: 'Pending', old: 0, recent: 60 },
  { type: 'AgentRun', runtime: 'workflow', phase: 'Succeeded', old: 120, recent: 70 },
  { type: 'AgentRun', runtime: 'workflow', phase: 'Succeeded', child: true, old: 40, recent: 20 },
  { type: 'AgentRun', runtime: 'workflow', phase: 'Failed', old: 25, recent: 15 },
  { type: 'AgentRun', runtime: 'workflow', phase: 'Running', old: 0, recent: 60 },
  { type: 'AgentRun', runtime: 'temporal', phase: 'Succeeded', old: 60, recent: 40 },
  { type: 'AgentRun', runtime: 'temporal', phase: 'Failed', old: 10, recent: 5 },
  { type: 'AgentRun', runtime: 'temporal', phase: 'Running', old: 0, recent: 30 },
  { type: 'AgentRun', runtime: 'custom', phase: 'Succeeded', old: 30, recent: 20 },
  { type: 'AgentRun', runtime: 'custom', phase: 'Failed', old: 5, recent: 5 },
  { type: 'OrchestrationRun', runtime: 'orchestration', phase: 'Succeeded', old: 95, recent: 50 },
  { type: 'OrchestrationRun', runtime: 'orchestration', phase: 'Failed', old: 20, recent: 10 },
  { type: 'OrchestrationRun', runtime: 'orchestration', phase: 'Cancelled', old: 10, recent: 5 },
  { type: 'OrchestrationRun', runtime: 'orchestration', phase: 'Running', old: 0, recent: 40 },
  { type: 'OrchestrationRun', runtime: 'orchestration', phase: 'Pending', old: 0, recent: 15 },
];

/** Placeholders and the SQL (over the per-row columns of {@link seedSql}) that fills each. */
const FILL: ReadonlyArray<readonly [token: string, sql: string]> = [
  ['@@ID@@', 'v.id'],
  ['@@UID@@', 'v.uid'],
  ['@@NAME@@', 'v.name'],
  ['@@NS@@', 'v.namespace'],
  ['@@RV@@', 'v.rv'],
  ['@@CREATED@@', 'v.created_text'],
  ['@@STARTED@@', 'v.started_text'],
  ['@@FINISHED@@', 'v.finished_text'],
  ['@@CANCELLED@@', 'v.cancelled_text'],
  ['@@DELIVERY@@', 'v.delivery'],
  ['@@DELIVERYID@@', 'v.delivery_id'],
  ['@@PARENT@@', 'v.parent'],
];
const P = Object.fromEntries(FILL.map(([token]) => [token.slice(2, -2).toLowerCase(), token])) as Record<string, string>;
const ph = (key: string): string => {
  const token = P[key];
  if (token === undefined) throw new Error(`no seed placeholder "${key}"`);
  return token;
};

const STEPS = { workflow: ['implement', 'test', 'open-pr'], orchestration: ['plan', 'implement', 'review', 'merge'] } as const;

const condition = (type: string, status: 'True' | 'False', reason: string, message: string, at: string) => ({
  type,
  status,
  reason,
  message,
  lastTransitionTime: at,
  observedGeneration: 1,
});

/** The Kubernetes object of one kind of run, with placeholders for everything that varies per run. */
export function variantObject(v: Variant): KubeObject {
  const [created, started, finished, cancelled] = [ph('created'), ph('started'), ph('finished'), ph('cancelled')];
  const name = ph('name');
  const namespace = ph('ns');
  const stepNames: readonly string[] | undefined =
    v.runtime === 'workflow' ? STEPS.workflow : v.runtime === 'orchestration' ? STEPS.orchestration : undefined;
  const failMessage =
    v.runtime === 'job'
      ? 'Job has reached the specified backoff limit'
      : v.runtime === 'temporal'
        ? 'WORKFLOW_EXECUTION_STATUS_FAILED'
        : v.runtime === 'custom'
          ? 'the endpoint answered 500'
          : `step "${stepNames?.[1] ?? 'run'}" failed: AgentRun ${name}-implement Failed`;
  const cancelMessage = 'cancelled by dev: the run was deleted';

  const conditions = [condition('Accepted', 'True', 'Submitted', 'Accepted by the controller', created)];
  let status: Record<string, unknown> = { observedGeneration: 1 };
  const stepStatuses = (done: number, running: boolean, failed: boolean) =>
    stepNames?.map((s, i) => ({
      name: s,
      ...(v.runtime === 'orchestration' ? { kind: 'AgentRun' } : {}),
      phase: i < done ? 'Succeeded' : i === done && running ? 'Running' : i === done && failed ? 'Failed' : 'Pending',
      ...(i <= done && (running || failed || i < done) ? { startedAt: started } : {}),
      ...(i < done || (i === done && failed) ? { finishedAt: finished } : {}),
    }));
  const providerPhase = (phase: string, message?: string) =>
    v.runtime === 'orchestration' ? {} : { provider: { phase, ...(message ? { message } : {}) } };
  switch (v.phase) {
    case 'Pending':
      status = {
        ...status,
        phase: 'Pending',
        updatedAt: created,
        conditions,
        ...(stepNames ? { stepStatuses: stepStatuses(0, false, false) } : {}),
      };
      break;
    case 'Running':
      status = {
        ...status,
        phase: 'Running',
        startedAt: started,
        updatedAt: started,
        conditions: [...conditions, condition('InProgress', 'True', 'Running', 'Run in progress', started)],
        ...providerPhase('Running', v.runtime === 'temporal' ? 'WORKFLOW_EXECUTION_STATUS_RUNNING' : undefined),
        ...(stepNames ? { stepStatuses: stepStatuses(1, true, false) } : {}),
      };
      break;
    case 'Succeeded':
      status = {
        ...status,
        phase: 'Succeeded',
        startedAt: started,
        finishedAt: finished,
        updatedAt: finished,
        conditions: [
          ...conditions,
          condition('InProgress', 'False', 'Completed', 'Run finished', finished),
          condition('Succeeded', 'True', 'Completed', 'Run completed', finished),
        ],
        ...providerPhase('Succeeded', v.runtime === 'temporal' ? 'WORKFLOW_EXECUTION_STATUS_COMPLETED' : undefined),
        ...(stepNames ? { stepStatuses: stepStatuses(stepNames.length, false, false) } : {}),
      };
      break;
    case 'Failed':
      status = {
        ...status,
        phase: 'Failed',
        startedAt: started,
        finishedAt: finished,
        updatedAt: finished,
        reason: stepNames ? 'StepFailed' : 'Error',
        message: failMessage,
        conditions: [
          ...conditions,
          condition('InProgress', 'False', 'Error', failMessage, finished),
          condition('Failed', 'True', 'Error', failMessage, finished),
        ],
        ...providerPhase('Failed', failMessage),
        ...(v.retried ? { retry: { attempt: 2, maxAttempts: 2, lastError: failMessage, nextRetryAt: started } } : {}),
        ...(stepNames ? { stepStatuses: stepStatuses(1, false, true) } : {}),
      };
      break;
    case 'Cancelled':
      status = {
        ...status,
        phase: 'Cancelled',
        startedAt: started,
        finishedAt: cancelled,
        updatedAt: cancelled,
        reason: 'Cancelled',
        message: cancelMessage,
        conditions: [...conditions, condition('InProgress', 'False', 'Cancelled', cancelMessage, cancelled)],
        ...providerPhase('Running'),
        ...(stepNames ? { stepStatuses: stepStatuses(1, true, false) } : {}),
      };
      break;
  }

  const binding =
    v.runtime === 'job'
      ? { provider: 'job', resource: { apiVersion: 'batch/v1', kind: 'Job', name, namespace }, config: { backoffLimit: 0 } }
      : v.runtime === 'workflow'
        ? { provider: 'workflow', resource: { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', name, namespace } }
        : v.runtime === 'temporal'
          ? {
              provider: 'temporal',
              config: { namespace: 'default', taskQueue: 'agents', workflowType: 'AgentRun', workflowId: `${namespace}.${name}` },
            }
          : v.runtime === 'custom'
            ? { provider: 'custom', config: { endpoint: 'https://runner.internal/v1/runs' } }
            : undefined;
  return {
    apiVersion: 'agents.proompteng.ai/v1alpha1',
    kind: v.type,
    metadata: {
      name,
      namespace,
      uid: ph('uid'),
      resourceVersion: ph('rv'),
      generation: 1,
      creationTimestamp: created,
      labels: {
        [JANGAR_LABELS.id]: ph('id'),
        [JANGAR_LABELS.managedBy]: 'jangar',
        [JANGAR_LABELS.delivery]: ph('delivery'),
        ...(v.child ? { [JANGAR_LABELS.orchestrationRun]: ph('parent'), [JANGAR_LABELS.step]: 'implement' } : {}),
      },
      annotations: {
        [JANGAR_ANNOTATIONS.deliveryId]: ph('deliveryid'),
        [JANGAR_ANNOTATIONS.correlationId]: ph('deliveryid'),
        ...(binding ? { [JANGAR_ANNOTATIONS.binding]: JSON.stringify(binding) } : {}),
      },
    },
    spec: v.runtime === 'orchestration' ? { orchestrationRef: { name: 'release' } } : { runtime: { type: v.runtime } },
    status,
  };
}

/** One kind of run as the texts `RunStore.upsert` writes, placeholders still in. */
export interface RowTemplate {
  type: RunType;
  phase: RunPhase;
  /** `JSON.stringify(run)`; its `labels` are replaced by the row's full labels. */
  run: string;
  /** `JSON.stringify(run.labels)` without the labels added per row. */
  labels: string;
  /** The text `statusDigest` hashes. */
  digest: string;
}

/** Fields of a run `statusDigest` covers; the seeded rows are checked against the real `statusDigest` afterwards. */
const digestText = (run: NormalizedRun) => {
  const { phase, conditions, provider, retry, error, steps, startedAt, finishedAt } = run;
  return canonicalJson({ phase, conditions, provider, retry, error, steps, startedAt, finishedAt });
};

/** Every kind of run as texts, through the aggregator's own normalization. */
export function rowTemplates(): RowTemplate[] {
  return VARIANTS.map((v) => {
    const run = normalizeRun(variantObject(v));
    // normalizeRun drops a status that does not parse; a template must keep what it was built with.
    if (run.phase !== v.phase) throw new Error(`seed template ${v.type}/${v.runtime}/${v.phase} normalized to phase ${run.phase}`);
    return { type: v.type, phase: v.phase, run: JSON.stringify(run), labels: JSON.stringify(run.labels), digest: digestText(run) };
  });
}

/** A 100-entry table of values, each repeated by its share (the shares add up to 100). */
export function slotTable<T>(items: ReadonlyArray<{ share: number; value: T }>): T[] {
  const table = items.flatMap((it) => Array.from({ length: it.share }, () => it.value));
  if (table.length !== 100) throw new Error(`shares add up to ${table.length}, not 100`);
  return table;
}

/** Template numbers (1-based, as SQL arrays are) spread over `slots` entries by weight; largest remainders get the rounding. */
export function weightedSlots(weights: number[], slots = 1000): number[] {
  const total = weights.reduce((s, w) => s + w, 0);
  const exact = weights.map((w) => (w / total) * slots);
  const counts = exact.map(Math.floor);
  const order = exact.map((e, i) => [e - Math.floor(e), i] as const).sort((a, b) => b[0] - a[0]);
  for (let k = 0; counts.reduce((s, c) => s + c, 0) < slots; k++) counts[order[k % order.length]![1]]! += 1;
  return counts.flatMap((c, i) => Array.from({ length: c }, () => i + 1));
}

/** An unsigned 16-bit number from four hex digits of `col`, starting at 1-based `from`. */
const u16 = (col: string, from: number) => `('x' || substr(${col}, ${from}, 4))::bit(16)::int`;
/** A UUID (version 4 layout) from 32 hex digits of `col`, starting at `from`. */
const uuid = (col: string, from: number) =>
  `substr(${col}, ${from}, 8) || '-' || substr(${col}, ${from + 8}, 4) || '-4' || substr(${col}, ${from + 13}, 3) || '-' || ` +
  `substr('89ab', ${u16(col, from + 16)} % 4 + 1, 1) || substr(${col}, ${from + 17}, 3) || '-' || substr(${col}, ${from + 20}, 12)`;
const K8S_TIME = `'YYYY-MM-DD"T"HH24:MI:SS"Z"'`;
const ISO_MS_TIME = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

/**
 * One batch insert: rows `$1` to `$2` (inclusive), created `$3` (epoch seconds) minus 26 s per row.
 * Parameters after that are the arrays of {@link seedParams}.
 */
export function seedSql(templates: RowTemplate[]): string {
  // Each replace() copies the whole text, so only the placeholders that occur in a field are filled.
  const fill = (expr: string, field: 'run' | 'labels' | 'digest') =>
    FILL.filter(([token]) => templates.some((t) => t[field].includes(token))).reduce(
      (sql, [token, col]) => `replace(${sql}, '${token}', ${col})`,
      expr,
    );
  return `
insert into status.runs (id, uid, type, namespace, name, phase, labels, resource_version, status_digest, run, created_at, updated_at)
select v.id, v.uid, v.type, v.namespace, v.name, v.phase, l.labels, v.rv,
       encode(sha256(convert_to(${fill('($6::text[])[v.k]', 'digest')}, 'UTF8')), 'hex'),
       jsonb_set((${fill('($4::text[])[v.k]', 'run')})::jsonb, '{labels}', l.labels),
       v.created_at, v.updated_at
from generate_series($1::int, $2::int) as g(i)
-- Each "offset 0" keeps a subquery from being flattened into its users: flattened, every use of a
-- hash or time would compute it again, which made a batch several times slower.
cross join lateral (select encode(sha256(convert_to('jangar-bench-run:' || g.i, 'UTF8')), 'hex') as s offset 0) h
cross join lateral (select md5(h.s) as t, encode(sha256(convert_to(md5(h.s), 'UTF8')), 'hex') as d offset 0) h2
cross join lateral (
  select case when g.i < ${RECENT_ROWS} then ($9::int[])[${u16('h2.t', 1)} % 1000 + 1] else ($10::int[])[${u16('h2.t', 1)} % 1000 + 1] end as k,
         to_timestamp($3::bigint - g.i::bigint * ${SEED_SPACING_SEC} - ${u16('h2.t', 13)} % ${SEED_SPACING_SEC}) as created_at,
         1 + ${u16('h2.d', 61)} % 5 as start_delay,
         -- From 20 s to about 2 h, most runs short; a finished run finished before now.
         least(20 + ((${u16('h2.t', 17)}::bigint * ${u16('h2.t', 17)}::bigint) / 600000),
               greatest(5, g.i * ${SEED_SPACING_SEC} - 10)) as duration
  offset 0
) r
cross join lateral (
  select r.k, ($7::text[])[r.k] as type, ($8::text[])[r.k] as phase,
         ${uuid('h.s', 1)} as id, ${uuid('h.s', 33)} as uid,
         ($11::text[])[${u16('h2.t', 5)} % 100 + 1] as namespace,
         case when ($7::text[])[r.k] = 'OrchestrationRun' then ($13::text[])[${u16('h2.t', 9)} % 100 + 1]
              else ($12::text[])[${u16('h2.t', 9)} % 100 + 1] end || '-' || substr(h2.d, 1, 10) as name,
         (50000000 - g.i::bigint * 9)::text as rv,
         substr(h2.d, 1, 40) as delivery,
         'gh-' || substr(h2.d, 41, 16) as delivery_id,
         ($13::text[])[${u16('h2.d', 57)} % 100 + 1] || '-' || substr(md5(h2.d), 1, 10) as parent,
         r.created_at,
         to_char(r.created_at at time zone 'UTC', ${K8S_TIME}) as created_text,
         to_char((r.created_at + make_interval(secs => r.start_delay)) at time zone 'UTC', ${K8S_TIME}) as started_text,
         to_char((r.created_at + make_interval(secs => r.start_delay + r.duration)) at time zone 'UTC', ${K8S_TIME}) as finished_text,
         to_char((r.created_at + make_interval(secs => r.start_delay + r.duration + (${u16('h2.t', 29)} % 1000) / 1000.0)) at time zone 'UTC', ${ISO_MS_TIME}) as cancelled_text,
         -- The row's write time: its status's updatedAt, plus the aggregator's moment to see it.
         case ($8::text[])[r.k]
           when 'Pending' then r.created_at
           when 'Running' then r.created_at + make_interval(secs => r.start_delay)
           else r.created_at + make_interval(secs => r.start_delay + r.duration + 1) end + interval '350 milliseconds' as updated_at
  offset 0
) v
cross join lateral (
  select (${fill('($5::text[])[v.k]', 'labels')})::jsonb || jsonb_strip_nulls(jsonb_build_object(
           'repo', case when ${u16('h2.t', 21)} % 100 < 60 then ($14::text[])[${u16('h2.t', 21)} / 100 % array_length($14::text[], 1) + 1] end,
           'trigger', case when ${u16('h2.t', 25)} % 100 < 80 then ($15::text[])[${u16('h2.t', 25)} / 100 % array_length($15::text[], 1) + 1] end,
           'priority', case when ${u16('h2.t', 25)} % 100 >= 80 then (${u16('h2.t', 25)} / 100 % 5 + 1)::text end)) as labels
) l`;
}

/** The parameters after the row range and anchor: `$4` to `$15` of {@link seedSql}. */
export function seedParams(templates: RowTemplate[]): unknown[] {
  return [
    templates.map((t) => t.run),
    templates.map((t) => t.labels),
    templates.map((t) => t.digest),
    templates.map((t) => t.type),
    templates.map((t) => t.phase),
    weightedSlots(VARIANTS.map((v) => v.recent)),
    weightedSlots(VARIANTS.map((v) => v.old)),
    slotTable(SEED_NAMESPACES.map((n) => ({ share: n.share, value: n.name }))),
    slotTable(AGENTS.map((a) => ({ share: a.share, value: a.name }))),
    slotTable(ORCHESTRATIONS.map((o) => ({ share: o.share, value: o.name }))),
    REPOS,
    TRIGGERS,
  ];
}

/** Inserts rows `from` to `to - 1`, in batches; returns how long it took (ms). */
export async function seedRuns(
  db: pg.Client,
  from: number,
  to: number,
  anchorSec: number,
  onBatch?: (done: number) => void,
): Promise<number> {
  const t0 = Date.now();
  const templates = rowTemplates();
  const sql = seedSql(templates);
  const params = seedParams(templates);
  for (let start = from; start < to; start += SEED_BATCH) {
    const end = Math.min(to, start + SEED_BATCH) - 1;
    await db.query(sql, [start, end, anchorSec, ...params]);
    onBatch?.(end + 1);
  }
  return Date.now() - t0;
}

/**
 * Checks `sample` random rows against what the aggregator would have written: the run parses as a
 * NormalizedRun with nothing left over, `status_digest` is the real `statusDigest` of it, and every
 * indexed column agrees with the run. Throws on the first difference.
 */
export async function verifySeededRows(db: pg.Client, sample = 300): Promise<number> {
  const { rows } = await db.query<{
    id: string;
    uid: string;
    type: string;
    namespace: string;
    name: string;
    phase: string;
    labels: unknown;
    resource_version: string;
    status_digest: string;
    run: unknown;
    created_at: Date;
  }>(
    `select id, uid, type, namespace, name, phase, labels, resource_version, status_digest, run, created_at
      from status.runs order by random() limit $1`,
    [sample],
  );
  for (const row of rows) {
    const run = NormalizedRun.parse(row.run);
    const fail = (what: string) => {
      throw new Error(`seeded row ${row.id} is not what the aggregator writes: ${what}\n${JSON.stringify(row.run)}`);
    };
    if (canonicalJson(run) !== canonicalJson(row.run)) fail('the run has fields NormalizedRun does not');
    if (statusDigest(run) !== row.status_digest) fail('status_digest is not statusDigest(run)');
    const columns: Array<[string, unknown, unknown]> = [
      ['id', row.id, run.id],
      ['uid', row.uid, run.uid],
      ['type', row.type, run.type],
      ['namespace', row.namespace, run.namespace],
      ['name', row.name, run.name],
      ['phase', row.phase, run.phase],
      ['labels', canonicalJson(row.labels), canonicalJson(run.labels)],
      ['resource_version', row.resource_version, run.resourceVersion],
      ['created_at', row.created_at.getTime(), Date.parse(run.createdAt)],
    ];
    for (const [column, stored, expected] of columns) if (stored !== expected) fail(`${column} ${String(stored)} ≠ ${String(expected)}`);
    if (run.labels[JANGAR_LABELS.id] !== run.id) fail('the id label is not the id');
  }
  return rows.length;
}
