import type { Condition } from '../api/types.js';
import { ageOf } from '../lib/age.js';

/** Kubernetes conditions as a table: type, status, reason, message, when. */
export function Conditions({ conditions, now }: { conditions: readonly Condition[] | undefined; now: number }) {
  if (!conditions || conditions.length === 0) return <p className="muted">No conditions reported yet.</p>;
  return (
    <div className="table-wrap">
      <table aria-label="conditions">
        <thead>
          <tr>
            <th scope="col">Type</th>
            <th scope="col">Status</th>
            <th scope="col">Reason</th>
            <th scope="col">Message</th>
            <th scope="col">Changed</th>
          </tr>
        </thead>
        <tbody>
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
        </tbody>
      </table>
    </div>
  );
}
