import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { createBodyOf, fieldErrorsFromZod, KINDS, type KindDefinition, type RequestMessage } from '@jangar/contracts';
import { DomainError, deriveResourceName, faultPoint, requestKeyFor } from '@jangar/service-kit';
import { assertMayWrite } from '../auth.js';
import { storedResponse, type DeliveryRow, type StoredResponse } from '../deliveries/store.js';
import { requestFingerprint, resolveDeliveryId } from '../idempotency.js';
import type { GatewayDeps } from '../deps.js';

function send(reply: FastifyReply, stored: StoredResponse, replayed: boolean): FastifyReply {
  if (replayed) reply.header('Idempotent-Replayed', 'true');
  return reply.code(stored.status).type(stored.contentType).send(stored.body);
}

/** Where the resource can be read once it exists. */
function locationOf(kind: KindDefinition, id: string, namespace: string, name: string): string {
  return kind.isRun ? `/v1/runs/${id}` : `/v1/${kind.route}/${namespace}/${name}`;
}

/** The `X-Correlation-Id` header, held to the same form as the body's `correlationId`. */
function correlationHeader(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > 255) {
    throw new DomainError('validation_failed', 'X-Correlation-Id must be one value of 1-255 characters', {
      errors: [{ path: 'header.X-Correlation-Id', message: 'must be one value of 1-255 characters' }],
    });
  }
  return value;
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
        assertMayWrite(caller, metadata.namespace);

        const requestKey = requestKeyFor(caller.subject, deliveryId);
        const fingerprint = requestFingerprint(caller.subject, 'POST', kind.kind, body);
        const id = randomUUID();
        const name = deriveResourceName(kind, metadata, spec, requestKey);
        const correlation = parsed.data.correlationId ?? correlationHeader(req.headers['x-correlation-id']) ?? deliveryId;
        const message: RequestMessage = {
          deliveryId,
          requestKey,
          correlationId: correlation,
          principal: { subject: caller.subject, roles: [...caller.roles] },
          namespace: metadata.namespace,
          occurredAt: new Date().toISOString(),
          payload: { id, kind: kind.kind, verb: 'create', metadata: { ...metadata, name }, spec },
        };
        const claim = await deps.deliveries.claim({
          requestKey,
          principal: caller.subject,
          deliveryId,
          fingerprint,
          resourceId: id,
          kind: kind.kind,
          verb: 'create',
          namespace: metadata.namespace,
          name,
          message,
        });
        if (!claim.claimed) return answerExisting(deps, reply, claim.existing, fingerprint);
        faultPoint('gateway.after-claim');

        const outcome = await deps.publishAndWait(message);
        if (outcome) return send(reply, outcome, false);
        return reply
          .code(202)
          .header('Location', locationOf(kind, id, metadata.namespace, name))
          .send({ id, kind: kind.kind, status: 'Accepted', deliveryId, links: { self: locationOf(kind, id, metadata.namespace, name) } });
      });
    }
  }
}

/** A retry: replay the stored answer, refuse a different request, or wait for the one in flight. */
async function answerExisting(deps: GatewayDeps, reply: FastifyReply, row: DeliveryRow, fingerprint: string): Promise<FastifyReply> {
  if (row.fingerprint !== fingerprint) {
    throw new DomainError('idempotency_key_reused', 'this deliveryId was already used for a different request; use a new deliveryId', {
      errors: [{ path: 'deliveryId', message: 'already used for a different request' }],
    });
  }
  const stored = storedResponse(row);
  if (stored) return send(reply, stored, true);
  // Still pending: publish again (the dedup ID makes it harmless, and it heals a crash between
  // claim and publish), then wait like the first request did.
  const outcome = await deps.publishAndWait(row.message);
  if (outcome) return send(reply, outcome, true);
  throw new DomainError('request_in_progress', 'a request with this deliveryId is still being processed; retry later');
}
