import { LabelSelectorError, NormalizedRun, parseLabelSelector, type LabelRequirement, type RunQuery } from '@jangar/contracts';
import { z } from 'zod';
import { continueToken, cursorInstant, cursorInstantSql, DomainError } from '@jangar/service-kit';
import type { Database } from '@jangar/service-kit/db';

/** A page of runs and, when more follow, the token of the next page. */
export interface RunPage {
  items: NormalizedRun[];
  continue?: string;
}

// Knex would read a `?` in SQL text as a binding, so this format has none.
const CURSOR_TIME_SQL = cursorInstantSql('created_at');

/** Where a page ended: the sort key of its last run, `at` in microseconds as Postgres keeps it, so no precision is lost. */
const cursor = continueToken(z.object({ at: cursorInstant, id: z.string() }));

/** Parses a selector, turning a malformed one into the API's error naming the failing requirement. */
export function selectorRequirements(selector: string | undefined): LabelRequirement[] {
  if (selector === undefined) return [];
  try {
    return parseLabelSelector(selector);
  } catch (err) {
    if (!(err instanceof LabelSelectorError)) throw err;
    throw new DomainError('invalid_label_selector', err.message, { errors: [{ path: 'query.labelSelector', message: err.message }] });
  }
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

// Knex reads `?` as a binding, so jsonb's key-exists operator is written `\?`. Sets travel as one
// JSON value because knex expands a bound array into a list.
const HAS_KEY = 'labels \\? ?';
const IN_SET = 'labels->>? in (select jsonb_array_elements_text(?::jsonb))';

/** One requirement as SQL over the jsonb `labels` column, with the semantics of `matchesLabelSelector`. */
function requirementSql(req: LabelRequirement): { sql: string; params: unknown[] } {
  switch (req.op) {
    case 'eq':
      return { sql: 'labels @> ?::jsonb', params: [JSON.stringify({ [req.key]: req.value })] };
    case 'neq':
      return { sql: 'not (labels @> ?::jsonb)', params: [JSON.stringify({ [req.key]: req.value })] };
    case 'in':
      return { sql: `(${HAS_KEY} and ${IN_SET})`, params: [req.key, req.key, JSON.stringify(req.values)] };
    case 'notin':
      return { sql: `(not (${HAS_KEY}) or not (${IN_SET}))`, params: [req.key, req.key, JSON.stringify(req.values)] };
    case 'exists':
      return { sql: HAS_KEY, params: [req.key] };
    case 'notexists':
      return { sql: `not (${HAS_KEY})`, params: [req.key] };
    case 'gt':
    case 'lt':
      // A label is an integer as Go's strconv.ParseInt(value, 10, 64) reads it, as Kubernetes and
      // `matchesLabelSelector` do: a sign, digits with any number of leading zeros, within int64.
      // Up to 19 digits after the zeros is what can be in range; the range itself is checked as
      // numeric. `case` evaluates in order, so a label that is not an integer is never cast (and
      // never matches); `{0,1}` stands for `?`, which knex would take for a binding.
      return {
        sql: `(case when labels->>? ~ '^[+-]{0,1}0*[0-9]{1,19}$'
                then (labels->>?)::numeric between ${INT64_MIN} and ${INT64_MAX} and (labels->>?)::numeric ${req.op === 'gt' ? '>' : '<'} ?::numeric
                else false end)`,
        params: [req.key, req.key, req.key, req.value],
      };
  }
}

/**
 * Runs newest first (the time they joined the lists, then id), filtered, scoped and keyset-paged, so
 * inserts never shift a page: the runs that exist, and those that waited before they existed
 * (waiting.ts) and do not exist yet — or never will. A run joins the lists when it is created, or
 * when it starts waiting, and keeps that place once created (RunStore), so a run that comes to exist
 * between two pages is on one of them. Each table gives its first page off its own index in the
 * lists' order; the merge keeps the first `limit` of both.
 */
export async function listRuns(db: Database, q: RunQuery): Promise<RunPage> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, ...values: unknown[]) => {
    where.push(sql);
    params.push(...values);
  };
  if (!q.namespaces.includes('*')) add('namespace in (select jsonb_array_elements_text(?::jsonb))', JSON.stringify(q.namespaces));
  if (q.namespace !== undefined) add('namespace = ?', q.namespace);
  if (q.type !== undefined) add('type = ?', q.type);
  if (q.phase !== undefined) add('phase in (select jsonb_array_elements_text(?::jsonb))', JSON.stringify(q.phase));
  for (const req of selectorRequirements(q.labelSelector)) {
    const { sql, params: values } = requirementSql(req);
    add(sql, ...values);
  }
  if (q.continue !== undefined) {
    const after = cursor.decode(q.continue);
    add('(created_at, id) < (?::timestamptz, ?)', after.at, after.id);
  }
  const page = (from: string, ...extra: string[]) => {
    const all = [...where, ...extra];
    return `(select run, id, created_at from ${from} ${all.length ? `where ${all.join(' and ')}` : ''} order by created_at desc, id desc limit ?)`;
  };
  // Raw SQL: jsonb label operators, a row-value keyset cursor and a microsecond cursor time are beyond the query builder.
  const rows = await db.query<{ run: unknown; id: string; created_key: string }>(
    `select run, id, ${CURSOR_TIME_SQL} as created_key from (
       ${page('status.runs')}
       union all
       ${page('status.waiting_runs w', 'w.listed', 'not exists (select 1 from status.runs r where r.id = w.id)')}
     ) merged order by created_at desc, id desc limit ?`,
    [...params, q.limit + 1, ...params, q.limit + 1, q.limit + 1],
  );
  const items = rows.slice(0, q.limit);
  const last = items.at(-1);
  return {
    items: items.map((r) => NormalizedRun.parse(r.run)),
    ...(rows.length > q.limit && last ? { continue: cursor.encode({ at: last.created_key, id: last.id }) } : {}),
  };
}
