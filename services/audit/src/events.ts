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

/** Appends the event, inside the caller's transaction, unless its dedup ID is already recorded; true when it was appended. */
export async function appendAuditEvent(q: TxQuery, event: NewAuditEvent): Promise<boolean> {
  await q('select pg_advisory_xact_lock(hashtext(?))', [CHAIN_LOCK]);
  const seen = await q('select 1 from audit.audit_events where dedup_id = ?', [event.dedupId]);
  if (seen.length > 0) return false;
  const last = await q<{ hash: string }>('select hash from audit.audit_events order by seq desc limit 1');
  const prevHash = last[0]?.hash ?? GENESIS_HASH;
  const content: ChainedContent = { id: randomUUID(), ...event, occurredAt: new Date(event.occurredAt).toISOString() };
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
      chainHash(prevHash, content),
    ],
  );
  return true;
}
