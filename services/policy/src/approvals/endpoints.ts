import { RPCS, type Approval } from '@jangar/contracts';
import { DomainError, endpoint } from '@jangar/service-kit';
import { settleApproval, type PolicyDeps } from '../handler.js';
import { toApproval, type ApprovalRow } from './store.js';

/** The approval RPCs the gateway's `/v1/approvals` routes call. */
export function approvalEndpoints(deps: PolicyDeps) {
  return [
    endpoint(RPCS.listApprovals, (q) => deps.approvals.list(q)),
    endpoint(RPCS.getApproval, async (q): Promise<Approval> => toApproval(await deps.approvals.get(q.id, q.namespaces))),
    endpoint(RPCS.decideApproval, async (d) => {
      const result = await deps.approvals.decide(d);
      if ('expired' in result) {
        await settleApproval(result.expired, deps);
        throw new DomainError('approval_expired', `approval ${d.id} expired at ${result.expired.expires_at}; nothing was decided`);
      }
      // The decision is committed; carrying it out here answers the approver with it done. Should
      // this fail, the sweep settles the approval later (it is not yet marked released).
      if (!result.replayed) {
        await settleApproval(result.row, deps).catch((err: unknown) =>
          deps.logger.warn({ err, approval: d.id }, 'could not settle an approval now; the sweep will'),
        );
      }
      return { approval: toApproval(result.row), replayed: result.replayed };
    }),
  ];
}

/**
 * Expires approvals nobody decided in time and settles decided ones whose consequence never reached
 * the bus; returns how many it settled. One that fails is logged and left for the next pass: the
 * oldest come first, so one that always failed would otherwise hold up every approval after it.
 */
export async function sweepApprovals(
  deps: PolicyDeps,
  graceMs: number,
  settle: (row: ApprovalRow) => Promise<void> = (row) => settleApproval(row, deps),
): Promise<number> {
  const due = [...(await deps.approvals.expireDue()), ...(await deps.approvals.unreleased(graceMs))];
  let settled = 0;
  for (const row of due) {
    try {
      await settle(row);
      settled++;
    } catch (err) {
      deps.logger.warn({ err, approval: row.id }, 'could not settle an approval; the next sweep tries it again');
    }
  }
  return settled;
}
