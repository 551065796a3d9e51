import type { FastifyInstance } from 'fastify';
import { AuditFilter, CorrelationFilter, CorrelationId, KINDS, PageFilter, RPCS, VerifyFilter } from '@jangar/contracts';
import { DomainError } from '@jangar/service-kit';
import { assertMayList, mayAccess, type Caller } from '../auth.js';
import type { GatewayDeps } from '../deps.js';
import { parseQuery } from '../query.js';

/** Roles that may check the integrity of the whole audit log. */
const AUDITOR_ROLES = ['admin', 'auditor'];

const scopeOf = (caller: Caller) => [...caller.namespaces];

/** Audit trail, chain verification, run history and correlations, read from the audit service. */
export function registerAuditRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  app.get('/v1/audit', async (req) => {
    const caller = req.caller!;
    const q = parseQuery(AuditFilter, req.query);
    assertMayList(caller, q.namespace);
    return deps.call(RPCS.listAuditEvents, { ...q, namespaces: scopeOf(caller) });
  });

  app.get('/v1/audit/verify', async (req) => {
    const caller = req.caller!;
    // The chain runs through every namespace's events, and its answer (how many, where it broke)
    // describes them all: a token bound to some namespaces may not read that.
    if (!caller.roles.some((r) => AUDITOR_ROLES.includes(r)) || !caller.namespaces.includes('*'))
      throw new DomainError('forbidden', 'verifying the audit log needs the admin or auditor role and a token for every namespace ("*")');
    return deps.call(RPCS.verifyAudit, parseQuery(VerifyFilter, req.query));
  });

  app.get<{ Params: { id: string } }>('/v1/runs/:id/history', async (req) => {
    const q = parseQuery(PageFilter, req.query);
    const history = await deps.call(RPCS.runHistory, { ...q, id: req.params.id });
    if (!mayAccess(req.caller!, history.namespace)) throw new DomainError('not_found', `no history for run "${req.params.id}"`);
    return history;
  });

  for (const kind of KINDS) {
    for (const route of [kind.route, ...kind.routeAliases]) {
      app.get<{ Params: { namespace: string; name: string } }>(`/v1/${route}/:namespace/:name/revisions`, async (req) => {
        const { namespace, name } = req.params;
        if (!mayAccess(req.caller!, namespace)) throw new DomainError('not_found', `no revisions of ${kind.kind} ${namespace}/${name}`);
        const q = parseQuery(PageFilter, req.query);
        return deps.call(RPCS.revisions, { ...q, kind: kind.kind, namespace, name });
      });
    }
  }

  app.get<{ Params: { correlationId: string } }>('/v1/correlations/:correlationId', async (req) => {
    if (!CorrelationId.safeParse(req.params.correlationId).success) {
      throw new DomainError('validation_failed', 'no request can carry this correlation id', {
        errors: [{ path: 'path.correlationId', message: 'must be 1-255 characters' }],
      });
    }
    const q = parseQuery(CorrelationFilter, req.query);
    const found = await deps.call(RPCS.correlation, { ...q, correlationId: req.params.correlationId, namespaces: scopeOf(req.caller!) });
    // A later page follows items already answered: an empty one is the end, not "nothing shares the id".
    if (q.continue === undefined && found.requests.length === 0 && found.runs.length === 0)
      throw new DomainError('not_found', `nothing shares correlation id "${req.params.correlationId}"`);
    return found;
  });
}
