import { RPCS, type Approval } from '@jangar/contracts';
import { DomainError, endpoint } from '@jangar/service-kit';
import { settleApproval, type PolicyDeps } from '../handler.js';
import { toApproval } from './store.js';

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

/** Expires approvals nobody decided in time and settles decided ones whose consequence never reached the bus. */
export async function sweepApprovals(deps: PolicyDeps, graceMs: number): Promise<number> {
  const due = [...(await deps.approvals.expireDue()), ...(await deps.approvals.unreleased(graceMs))];
  for (const row of due) await settleApproval(row, deps);
  return due.length;
}
