import { queryString } from '../api/client.js';
import type { AuditEventView, Page } from '../api/types.js';
import { useApi } from '../hooks/useApi.js';
import { ageOf } from '../lib/age.js';
import { DataTable } from './DataTable.js';
import { Empty, ErrorState, Loading } from './States.js';

/** The audit events of one resource (`resource` as GET /v1/audit takes it: `Kind/ns/name` or a Jangar id), newest first. */
export function AuditTrail({ resource, now, refreshKey = 0 }: { resource: string; now: number; refreshKey?: unknown }) {
  const events = useApi<Page<AuditEventView>>(`/v1/audit${queryString({ resource, limit: 100 })}`, refreshKey);
  if (events.error) return <ErrorState error={events.error} onRetry={events.reload} />;
  if (!events.data) return <Loading what="the audit trail" />;
  if (events.data.items.length === 0) return <Empty>No audit events recorded for this resource yet.</Empty>;
  return (
    <DataTable label="audit trail" columns={['When', 'Actor', 'Action', 'Decision', 'Outcome', 'Delivery']}>
      {events.data.items.map((e) => (
        <tr key={e.id}>
          <td title={e.occurredAt}>{ageOf(e.occurredAt, now)} ago</td>
          <td>{e.actor}</td>
          <td>{e.action}</td>
          <td>{e.decision ?? '-'}</td>
          <td>{e.outcome}</td>
          <td className="mono">{e.deliveryId}</td>
        </tr>
      ))}
    </DataTable>
  );
}
