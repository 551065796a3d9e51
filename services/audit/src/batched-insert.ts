import { groupCommit, type GroupCommit } from '@jangar/service-kit';
import type { Database } from '@jangar/service-kit/db';

/**
 * Rows of `table` written in group commits, one `insert … select from jsonb_to_recordset(…)` per
 * batch: a message's row costs a share of one statement instead of a statement. Every audit table
 * is unique on its `dedup_id`, so `on conflict (dedup_id) do nothing` still makes a redelivery —
 * even one in the same batch — a no-op. `columns` maps each column to its SQL type.
 */
export function batchedInsert<Row extends object>(
  db: Database,
  table: string,
  columns: Readonly<Record<keyof Row & string, string>>,
): GroupCommit<Row> {
  const names = Object.keys(columns).join(', ');
  const types = Object.entries(columns)
    .map(([name, type]) => `${name} ${type}`)
    .join(', ');
  // Raw SQL: the rows travel as one JSON array; the query builder would bind every value separately.
  const sql = `insert into ${table} (${names}) select ${names} from jsonb_to_recordset(?::jsonb) as r(${types}) on conflict (dedup_id) do nothing`;
  return groupCommit<Row>(async (rows) => {
    await db.query(sql, [JSON.stringify(rows)]);
  });
}
