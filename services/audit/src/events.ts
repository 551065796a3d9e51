/**
 * Writes audit events onto the hash chain. Appends are serialized by a transaction-scoped advisory
 * lock, so each row's prev_hash is the hash of the row before it, even with several replicas; the
 * dedup ID makes a redelivered message a no-op inside the same transaction.
 */
import { randomUUID } from 'node:crypto';
import { chainHash, GENESIS_HASH, type ChainedContent } from './chain.js';

export type NewAuditEvent = Omit<ChainedContent, 'id'>;

const CHAIN_LOCK = 'jangar:audit-chain';

/** A statement runner bound to one transaction. */
export type TxQuery = <R = Record<string, unknown>>(sql: string, params?: readonly unknown[]) => Promise<R[]>;

/**
 * Appends events in order inside the caller's transaction: one lock, one read of the chain's head,
 * one look-up of already recorded dedup IDs. Returns, per event, whether it was appended.
 */
export async function appendAuditEvents(q: TxQuery, events: readonly NewAuditEvent[]): Promise<boolean[]> {
  // Raw SQL throughout: the chain's order rests on the lock, the head read and the inserts sharing one transaction.
  await q('select pg_advisory_xact_lock(hashtext(?))', [CHAIN_LOCK]);
  const known = await q<{ dedup_id: string }>(
    'select dedup_id from audit.audit_events where dedup_id in (select jsonb_array_elements_text(?::jsonb))',
    [JSON.stringify(events.map((e) => e.dedupId))],
  );
  const seen = new Set(known.map((r) => r.dedup_id));
  const last = await q<{ hash: string }>('select hash from audit.audit_events order by seq desc limit 1');
  let prevHash = last[0]?.hash ?? GENESIS_HASH;
  const appended: boolean[] = [];
  for (const event of events) {
    if (seen.has(event.dedupId)) {
      appended.push(false);
      continue;
    }
    seen.add(event.dedupId);
    const content: ChainedContent = { id: randomUUID(), ...event, occurredAt: new Date(event.occurredAt).toISOString() };
    const hash = chainHash(prevHash, content);
    await q(
      `insert into audit.audit_events (id, dedup_id, occurred_at, actor, action, resource_kind, namespace, name, uid, resource_id,
         delivery_id, correlation_id, trace_id, decision, outcome, summary, prev_hash, hash)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?)`,
      [
        content.id,
        content.dedupId,
        content.occurredAt,
        content.actor,
        content.action,
        content.resourceKind,
        content.namespace,
        content.name,
        content.uid,
        content.resourceId,
        content.deliveryId,
        content.correlationId,
        content.traceId,
        content.decision,
        content.outcome,
        JSON.stringify(content.summary),
        prevHash,
        hash,
      ],
    );
    prevHash = hash;
    appended.push(true);
  }
  return appended;
}
