import { useState } from 'react';
import type { AuditEventView, Page } from '../api/types.js';
import { useApi } from '../hooks/useApi.js';
import { ageOf } from '../lib/age.js';
import { auditTrailPath } from '../lib/audit.js';
import { firstPage, type PageMove } from '../lib/pager.js';
import { DataTable } from './DataTable.js';
import { Pager } from './Pager.js';
import { Empty, ErrorState, Loading } from './States.js';

/** The audit events of one resource (`resource` as GET /v1/audit takes it: `Kind/ns/name` or a Jangar id), newest first, a page at a time. */
export function AuditTrail({ resource, now, refreshKey = 0 }: { resource: string; now: number; refreshKey?: unknown }) {
  // The page is this component's own (not the URL's): the page around it has its own address. Another resource starts at its first page.
  const [at, setAt] = useState<{ resource: string; move: PageMove }>({ resource, move: firstPage });
  const move = at.resource === resource ? at.move : firstPage;
  const events = useApi<Page<AuditEventView>>(auditTrailPath(resource, move.token), refreshKey);
  if (events.error) return <ErrorState error={events.error} onRetry={events.reload} />;
  if (!events.data) return <Loading what="the audit trail" />;
  if (events.data.items.length === 0 && move.token === undefined) return <Empty>No audit events recorded for this resource yet.</Empty>;
  return (
    <>
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
      <Pager
        label="audit trail pages"
        current={move.token}
        next={events.data.continue}
        trail={move.trail}
        onGo={(next) => setAt({ resource, move: next })}
        nextLabel="Older events"
      />
    </>
  );
}
