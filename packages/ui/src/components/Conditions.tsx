import type { Condition } from '../api/types.js';
import { ageOf } from '../lib/age.js';
import { DataTable } from './DataTable.js';

/** Kubernetes conditions as a table: type, status, reason, message, when. */
export function Conditions({ conditions, now }: { conditions: readonly Condition[] | undefined; now: number }) {
  if (!conditions || conditions.length === 0) return <p className="muted">No conditions reported yet.</p>;
  return (
    <DataTable label="conditions" columns={['Type', 'Status', 'Reason', 'Message', 'Changed']}>
      {conditions.map((c) => (
        <tr key={c.type}>
          <td>{c.type}</td>
          <td>
            <span className={`cond cond-${c.status.toLowerCase()}`}>{c.status}</span>
          </td>
          <td>{c.reason ?? '-'}</td>
          <td className="wrap">{c.message ?? '-'}</td>
          <td title={c.lastTransitionTime}>{ageOf(c.lastTransitionTime, now)}</td>
        </tr>
      ))}
    </DataTable>
  );
}
