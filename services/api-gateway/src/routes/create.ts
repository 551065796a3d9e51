import type { FastifyInstance } from 'fastify';
import { createBodyOf, fieldErrorsFromZod, KINDS, ownedKeysSetIn, type KindDefinition } from '@jangar/contracts';
import { DomainError, deriveResourceName, requestKeyFor } from '@jangar/service-kit';
import { assertMayWrite } from '../auth.js';
import { resolveDeliveryId } from '../idempotency.js';
import type { GatewayDeps } from '../deps.js';
import { correlationHeader, submit } from './submit.js';

/** Where the resource can be read once it exists. */
function locationOf(kind: KindDefinition, id: string, namespace: string, name: string): string {
  return kind.isRun ? `/v1/runs/${id}` : `/v1/${kind.route}/${namespace}/${name}`;
}

/** A create or patch that sets a label or annotation only Jangar sets is a 400 naming each one. */
export function refuseOwnedKeys(kind: KindDefinition, metadata: Parameters<typeof ownedKeysSetIn>[0]): void {
  const errors = ownedKeysSetIn(metadata);
  if (errors.length > 0) {
    throw new DomainError('validation_failed', `the ${kind.kind} request sets labels or annotations that only Jangar sets`, { errors });
  }
}

/** `POST /v1/<route>` for every registered kind (and its aliases). */
export function registerCreateRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  for (const kind of KINDS) {
    const schema = createBodyOf(kind);
    for (const route of [kind.route, ...kind.routeAliases]) {
      app.post(`/v1/${route}`, async (req, reply) => {
        const caller = req.caller!;
        const body = (req.body ?? {}) as Record<string, unknown>;
        if (typeof body !== 'object' || Array.isArray(body)) throw new DomainError('validation_failed', 'the body must be a JSON object');
        const deliveryId = resolveDeliveryId(body.deliveryId, req.headers['idempotency-key']);
        const parsed = schema.safeParse({ ...body, deliveryId });
        if (!parsed.success)
          throw new DomainError('validation_failed', `the ${kind.kind} request is not valid`, { errors: fieldErrorsFromZod(parsed.error) });
        const { metadata, spec } = parsed.data;
        refuseOwnedKeys(kind, metadata);
        assertMayWrite(caller, metadata.namespace);
        const name = deriveResourceName(kind, metadata, spec, requestKeyFor(caller.subject, deliveryId));
        return submit(deps, reply, {
          caller,
          kind,
          deliveryId,
          fingerprintOf: { method: 'POST', target: kind.kind, body },
          correlationId: parsed.data.correlationId ?? correlationHeader(req),
          payload: { kind: kind.kind, verb: 'create', metadata: { ...metadata, name }, spec },
          location: (id) => locationOf(kind, id, metadata.namespace, name),
        });
      });
    }
  }
}
