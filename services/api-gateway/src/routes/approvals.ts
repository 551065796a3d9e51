import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ApprovalDecisionBody, ApprovalFilter, fieldErrorsFromZod, RPCS, type ApprovalVerdict } from '@jangar/contracts';
import { DomainError } from '@jangar/service-kit';
import { assertMayList } from '../auth.js';
import type { GatewayDeps } from '../deps.js';
import { resolveDeliveryId } from '../idempotency.js';
import { parseQuery } from '../query.js';

type IdParams = { Params: { id: string } };

/** An id that is not a UUID names no approval: 404, as for an id that exists elsewhere. */
function approvalId(id: string): string {
  if (!z.guid().safeParse(id).success) throw new DomainError('not_found', `no approval "${id}"`);
  return id;
}

/**
 * `GET /v1/approvals` (newest first; `state=Pending` for the queue), `GET /v1/approvals/{id}`, and
 * `POST /v1/approvals/{id}/approve|deny`. A decision is idempotent on its deliveryId; the policy
 * service records who decided and refuses the requester and anyone without the approver role.
 */
export function registerApprovalRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  app.get('/v1/approvals', async (req) => {
    const caller = req.caller!;
    const q = parseQuery(ApprovalFilter, req.query);
    assertMayList(caller, q.namespace);
    return deps.call(RPCS.listApprovals, { ...q, namespaces: [...caller.namespaces] });
  });

  app.get<IdParams>('/v1/approvals/:id', async (req) =>
    deps.call(RPCS.getApproval, { id: approvalId(req.params.id), namespaces: [...req.caller!.namespaces] }),
  );

  const decide = (verdict: ApprovalVerdict) => async (req: FastifyRequest<IdParams>, reply: FastifyReply) => {
    const caller = req.caller!;
    const raw = req.body ?? {};
    const parsed = ApprovalDecisionBody.safeParse(raw);
    if (!parsed.success)
      throw new DomainError('validation_failed', 'the decision is not valid', { errors: fieldErrorsFromZod(parsed.error) });
    const deliveryId = resolveDeliveryId(parsed.data.deliveryId, req.headers['idempotency-key']);
    const decided = await deps.call(RPCS.decideApproval, {
      id: approvalId(req.params.id),
      verdict,
      deliveryId,
      principal: { subject: caller.subject, roles: [...caller.roles] },
      ...(parsed.data.reason === undefined ? {} : { reason: parsed.data.reason }),
      namespaces: [...caller.namespaces],
    });
    if (decided.replayed) reply.header('Idempotent-Replayed', 'true');
    return decided.approval;
  };
  app.post<IdParams>('/v1/approvals/:id/approve', decide('approve'));
  app.post<IdParams>('/v1/approvals/:id/deny', decide('deny'));
}
