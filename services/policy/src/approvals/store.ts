import { z } from 'zod';
import type { Approval, ApprovalDecision, ApprovalQuery, ApprovalState, RequestMessage, Violation } from '@jangar/contracts';
import { continueToken, cursorInstant, DomainError } from '@jangar/service-kit';
import type { Database } from '@jangar/service-kit/db';
import { namespaceScope } from '../scope.js';
import type { ApprovalGates } from './gates.js';

/** A time as the queries below select it: RFC 3339 text in UTC. */
type Timestamp = string;

/** A row of `policy.approvals`, with `created_key` (created_at to the microsecond) for paging. */
export interface ApprovalRow {
  id: string;
  request_key: string;
  state: ApprovalState;
  namespace: string;
  kind: string;
  verb: string;
  name: string | null;
  requested_by: string;
  delivery_id: string;
  correlation_id: string;
  approver_role: string;
  gates: Violation[];
  message: RequestMessage;
  created_at: Timestamp;
  created_key: string;
  expires_at: Timestamp;
  decided_by: string | null;
  decided_at: Timestamp | null;
  decision_delivery_id: string | null;
  reason: string | null;
  /** The request key of the delete that cancelled it. */
  cancelled_by: string | null;
}

// Times leave Postgres as RFC 3339 text, whatever the driver's type parsers; `created_key` keeps
// the microseconds a keyset cursor needs. (Knex would read a `?` in SQL text as a binding, so
// these formats have none.)
const iso = (column: string, fraction = 'MS') => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.${fraction}"Z"')`;
const COLUMNS = [
  'id, request_key, state, namespace, kind, verb, name, requested_by, delivery_id, correlation_id, approver_role, gates, message',
  'decided_by, decision_delivery_id, reason, cancelled_by',
  `${iso('created_at')} as created_at, ${iso('expires_at')} as expires_at, ${iso('decided_at')} as decided_at`,
  `${iso('created_at', 'US')} as created_key`,
].join(', ');
const cursor = continueToken(z.object({ at: cursorInstant, id: z.guid() }));

const inScope = (namespace: string, namespaces: readonly string[]) => namespaces.includes('*') || namespaces.includes(namespace);

/** The API view of an approval row. */
export function toApproval(row: ApprovalRow): Approval {
  const optional = <K extends string>(key: K, value: string | null) => (value === null ? {} : ({ [key]: value } as Record<K, string>));
  return {
    id: row.id,
    state: row.state,
    namespace: row.namespace,
    kind: row.kind,
    verb: row.verb,
    ...optional('name', row.name),
    requestedBy: row.requested_by,
    deliveryId: row.delivery_id,
    correlationId: row.correlation_id,
    approverRole: row.approver_role,
    gates: row.gates,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    ...optional('decidedBy', row.decided_by),
    ...optional('decidedAt', row.decided_at),
    ...optional('decisionDeliveryId', row.decision_delivery_id),
    ...optional('reason', row.reason),
    request: row.message.payload,
  };
}

/** What deciding an approval did: the row after it, and whether this deliveryId had decided it already. */
export type DecideResult = { row: ApprovalRow; replayed: boolean } | { expired: ApprovalRow };

/** The state a verdict leaves an approval in. */
const decidedState = (verdict: ApprovalDecision['verdict']) => (verdict === 'approve' ? 'Approved' : 'Denied');

/** The refusal of a deliveryId sent again with another decision than the one it made. */
function keyReused(d: ApprovalDecision, made: string): DomainError {
  return new DomainError('idempotency_key_reused', `deliveryId "${d.deliveryId}" was used for another decision: ${made}`, {
    errors: [{ path: 'deliveryId', message: 'used for another decision; send a new one' }],
  });
}

/**
 * Approvals in Postgres, shared by every policy replica. A request is held once (its request key
 * is unique), decided once (row lock, `state = 'Pending'`), and its decision settled once.
 */
export class ApprovalStore {
  constructor(private readonly db: Database) {}

  /** Holds a request for approval, or returns the approval that already holds it (a redelivery, a retry). */
  async hold(message: RequestMessage, held: ApprovalGates, id: string): Promise<ApprovalRow> {
    const p = message.payload;
    const inserted = await this.db.query<ApprovalRow>(
      `insert into policy.approvals (id, request_key, namespace, kind, verb, name, requested_by, delivery_id, correlation_id, approver_role, gates, message, expires_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, now() + make_interval(secs => ?))
       on conflict (request_key) do nothing returning ${COLUMNS}`,
      [
        id,
        message.requestKey,
        p.metadata.namespace,
        p.kind,
        p.verb,
        p.metadata.name ?? null,
        message.principal.subject,
        message.deliveryId,
        message.correlationId,
        held.approverRole,
        JSON.stringify(held.gates),
        JSON.stringify(message),
        held.expireAfterSeconds,
      ],
    );
    if (inserted[0]) return inserted[0];
    const [existing] = await this.db.query<ApprovalRow>(`select ${COLUMNS} from policy.approvals where request_key = ?`, [
      message.requestKey,
    ]);
    if (!existing) throw new Error(`approval of ${message.requestKey} vanished`);
    return existing;
  }

  /** One approval the caller may see; 404 otherwise, so other teams' approvals stay invisible. */
  async get(id: string, namespaces: readonly string[]): Promise<ApprovalRow> {
    const [row] = await this.db.query<ApprovalRow>(`select ${COLUMNS} from policy.approvals where id = ?`, [id]);
    if (!row || !inScope(row.namespace, namespaces)) throw new DomainError('not_found', `no approval "${id}"`);
    return row;
  }

  /** Approvals newest first, in the caller's namespaces, optionally of one state. */
  async list(q: ApprovalQuery): Promise<{ items: Approval[]; continue?: string }> {
    const { where, params } = namespaceScope(q);
    if (q.state !== undefined) {
      where.push('state = ?');
      params.push(q.state);
    }
    if (q.continue !== undefined) {
      const after = cursor.decode(q.continue);
      where.push('(created_at, id) < (?::timestamptz, ?::uuid)');
      params.push(after.at, after.id);
    }
    const rows = await this.db.query<ApprovalRow>(
      // Qualified: unqualified, ORDER BY would sort by the text `created_at` selected above.
      `select ${COLUMNS} from policy.approvals a ${where.length ? `where ${where.join(' and ')}` : ''} order by a.created_at desc, a.id desc limit ?`,
      [...params, q.limit + 1],
    );
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    return {
      items: page.map(toApproval),
      ...(rows.length > q.limit && last ? { continue: cursor.encode({ at: last.created_key, id: last.id }) } : {}),
    };
  }

  /**
   * Records an approver's decision. The same deliveryId from the same approver gets the same
   * answer again; anyone else finds the approval decided. A requester may not approve their own
   * request, and an approver needs the role the gating guardrail names.
   */
  async decide(d: ApprovalDecision): Promise<DecideResult> {
    return this.db.transaction(async (q) => {
      const [row] = await q<ApprovalRow & { due: boolean }>(
        `select ${COLUMNS}, expires_at <= now() as due from policy.approvals where id = ? for update`,
        [d.id],
      );
      if (!row || !inScope(row.namespace, d.namespaces)) throw new DomainError('not_found', `no approval "${d.id}"`);
      if (row.state === 'Cancelled') {
        // Nothing is left to decide: the run it held was deleted, and must never start.
        throw new DomainError(
          'approval_already_decided',
          `approval ${row.id} is cancelled: ${row.decided_by ?? 'someone'} deleted its run before anyone decided it`,
        );
      }
      if (row.state !== 'Pending') {
        // The attempt that found the approval overdue gets its 410 again; anyone else finds it decided.
        if (row.state === 'Expired' && row.decided_by === null && row.decision_delivery_id === d.deliveryId) {
          const { due: _due, ...expired } = row;
          return { expired };
        }
        if (row.decision_delivery_id === d.deliveryId && row.decided_by === d.principal.subject) {
          if (row.state === decidedState(d.verdict) && row.reason === (d.reason ?? null)) return { row, replayed: true };
          throw keyReused(d, `it decided approval ${row.id} ${row.state.toLowerCase()}${row.reason === null ? '' : ` (${row.reason})`}`);
        }
        const by = row.decided_by ? ` by ${row.decided_by}` : '';
        throw new DomainError('approval_already_decided', `approval ${row.id} is already ${row.state.toLowerCase()}${by}`);
      }
      if (row.due) {
        // Nobody decided it, so no decider is recorded; the attempt's deliveryId is, for its retry.
        const [expired] = await q<ApprovalRow>(
          `update policy.approvals set state = 'Expired', decided_at = now(), decision_delivery_id = ? where id = ? returning ${COLUMNS}`,
          [d.deliveryId, row.id],
        );
        return { expired: expired! };
      }
      if (d.principal.subject === row.requested_by) {
        throw new DomainError('self_approval_forbidden', `${d.principal.subject} made this request and cannot decide its approval`);
      }
      if (!d.principal.roles.includes(row.approver_role)) {
        throw new DomainError('approver_role_required', `deciding approval ${row.id} needs the "${row.approver_role}" role`);
      }
      // A deliveryId stands for one decision: one that decided another approval is not this one's.
      // Two decisions under one deliveryId at once each lock only their own approval, so the
      // deliveryId itself is locked too, until the transaction ends.
      await q('select pg_advisory_xact_lock(hashtext(?))', [`jangar:approval-decision:${d.principal.subject}:${d.deliveryId}`]);
      const [elsewhere] = await q<{ id: string }>(
        'select id from policy.approvals where decided_by = ? and decision_delivery_id = ? and id <> ? limit 1',
        [d.principal.subject, d.deliveryId, row.id],
      );
      if (elsewhere) throw keyReused(d, `it decided approval ${elsewhere.id}`);
      const [decided] = await q<ApprovalRow>(
        `update policy.approvals set state = ?, decided_by = ?, decided_at = now(), decision_delivery_id = ?, reason = ?
          where id = ? returning ${COLUMNS}`,
        [decidedState(d.verdict), d.principal.subject, d.deliveryId, d.reason ?? null, row.id],
      );
      return { row: decided!, replayed: false };
    });
  }

  /**
   * Cancels the pending approvals that hold a create of the run `target`, for the delete
   * `requestKey` by `deletedBy`, in one statement, and returns them — again to a redelivery of the
   * same delete, so it can finish what it started. A cancelled approval is released at once: its
   * consequence (the create refused, the delete answered) is the delete's to publish, and a
   * redelivered delete publishes it again. `leaving` when the run's approval was just approved and
   * its create is not yet on its way to the provisioner (not released): deleted now, the run would
   * start after the delete. An approval decided otherwise holds nothing any more: undefined.
   */
  async cancel(
    target: { namespace: string; kind: string; name: string },
    requestKey: string,
    deletedBy: string,
  ): Promise<{ cancelled: ApprovalRow[] } | { leaving: true } | undefined> {
    const match = "namespace = ? and kind = ? and verb = 'create' and name = ?";
    const where = [target.namespace, target.kind, target.name];
    const cancelled = await this.db.query<ApprovalRow>(
      `update policy.approvals set state = 'Cancelled', cancelled_by = ?, decided_by = coalesce(decided_by, ?),
          decided_at = coalesce(decided_at, now()), released_at = coalesce(released_at, now())
        where ${match} and (state = 'Pending' or (state = 'Cancelled' and cancelled_by = ?))
        returning ${COLUMNS}`,
      [requestKey, deletedBy, ...where, requestKey],
    );
    if (cancelled.length > 0) return { cancelled };
    const leaving = await this.db.query(
      `select 1 from policy.approvals where ${match} and state = 'Approved' and released_at is null limit 1`,
      where,
    );
    return leaving.length > 0 ? { leaving: true } : undefined;
  }

  /** Marks pending approvals past their expiry as expired; returns them, to be settled. */
  async expireDue(limit = 100): Promise<ApprovalRow[]> {
    return this.db.query<ApprovalRow>(
      `update policy.approvals set state = 'Expired', decided_at = now()
        where id in (select id from policy.approvals where state = 'Pending' and expires_at <= now() order by expires_at limit ? for update skip locked)
        returning ${COLUMNS}`,
      [limit],
    );
  }

  /** Decided approvals whose consequence is not yet known to be on the bus, older than `olderThanMs`. */
  async unreleased(olderThanMs: number, limit = 100): Promise<ApprovalRow[]> {
    return this.db.query<ApprovalRow>(
      `select ${COLUMNS} from policy.approvals where state <> 'Pending' and released_at is null
         and decided_at < now() - make_interval(secs => ?) order by approvals.decided_at limit ?`,
      [olderThanMs / 1000, limit],
    );
  }

  /** Records that an approval's decision was settled on the bus. */
  async markReleased(id: string): Promise<void> {
    await this.db.query('update policy.approvals set released_at = coalesce(released_at, now()) where id = ?', [id]);
  }
}
