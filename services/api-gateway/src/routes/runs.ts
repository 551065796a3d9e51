import type { FastifyInstance } from 'fastify';
import { RPCS, RunFilter } from '@jangar/contracts';
import { DomainError } from '@jangar/service-kit';
import { assertMayList, mayAccess } from '../auth.js';
import type { GatewayDeps } from '../deps.js';
import { checkLabelSelector, parseQuery } from '../query.js';
import { findRun } from './find-run.js';
import { registerRunEventsRoute } from './run-events.js';

/** `GET /v1/runs`, `GET /v1/runs/{id}` and its event stream: the normalized runs, whatever their type. */
export function registerRunRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  app.get('/v1/runs', async (req) => {
    const caller = req.caller!;
    const q = parseQuery(RunFilter, req.query);
    checkLabelSelector(q.labelSelector);
    assertMayList(caller, q.namespace);
    return deps.call(RPCS.listRuns, { ...q, namespaces: [...caller.namespaces] });
  });

  app.get<{ Params: { id: string } }>('/v1/runs/:id', async (req) => {
    const caller = req.caller!;
    const run = await findRun(deps, req.params.id);
    // Another namespace's run is indistinguishable from a missing one.
    if (!run || !mayAccess(caller, run.namespace)) throw new DomainError('not_found', `no run with id "${req.params.id}"`);
    return run;
  });

  registerRunEventsRoute(app, deps);
}
