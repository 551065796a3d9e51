import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CorrelationId, type KindDefinition, type RequestMessage, type RequestPayload } from '@jangar/contracts';
import { DomainError, faultPoint, requestKeyFor } from '@jangar/service-kit';
import type { Caller } from '../auth.js';
import { storedResponse, type DeliveryRow, type StoredResponse } from '../deliveries/store.js';
import type { GatewayDeps } from '../deps.js';
import { requestFingerprint } from '../idempotency.js';
import { parsePrefer, waitBudgetMs, type WaitPreference } from '../prefer.js';
import { refuseOversize } from './oversize.js';

/** One mutating request, validated and ready to go on the bus. */
export interface Submission {
  caller: Caller;
  kind: KindDefinition;
  deliveryId: string;
  /** What makes a retry "the same request": method, target and body. */
  fingerprintOf: { method: string; target: string; body: unknown };
  correlationId: string | undefined;
  /** The payload without its id; a create's id becomes the new resource's Jangar id. */
  payload: Omit<RequestPayload, 'id'>;
  /** Where the resource can be read, for a 202 `Location`. */
  location(id: string): string;
}

/** How long a client should wait before retrying a `429` (a concurrency or rate limit). */
const RETRY_AFTER_LIMIT_SECONDS = '5';

function send(reply: FastifyReply, stored: StoredResponse, replayed: boolean): FastifyReply {
  if (replayed) reply.header('Idempotent-Replayed', 'true');
  if (stored.status === 429) reply.header('Retry-After', RETRY_AFTER_LIMIT_SECONDS);
  return reply.code(stored.status).type(stored.contentType).send(stored.body);
}

/** The `X-Correlation-Id` header, held to the same form as the body's `correlationId`. */
export function correlationHeader(req: FastifyRequest): string | undefined {
  const value = req.headers['x-correlation-id'];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !CorrelationId.safeParse(value).success) {
    throw new DomainError('validation_failed', 'X-Correlation-Id must be one value of 1-255 characters', {
      errors: [{ path: 'header.X-Correlation-Id', message: 'must be one value of 1-255 characters' }],
    });
  }
  return value;
}

/**
 * Claims the deliveryId, publishes the request and answers with its outcome — or, for a retry,
 * with the stored answer of the first attempt. Every mutating route goes through here, so every
 * verb of every kind has the same idempotency.
 */
export async function submit(deps: GatewayDeps, reply: FastifyReply, s: Submission): Promise<FastifyReply> {
  const { caller, kind, deliveryId, payload } = s;
  const prefer = parsePrefer(reply.request.headers.prefer);
  const waitMs = waitBudgetMs(prefer, deps.config.JANGAR_WAIT_MS);
  const requestKey = requestKeyFor(caller.subject, deliveryId);
  const fingerprint = requestFingerprint(caller.subject, s.fingerprintOf.method, s.fingerprintOf.target, s.fingerprintOf.body);
  const id = randomUUID();
  const message: RequestMessage = {
    deliveryId,
    requestKey,
    attempt: 1,
    correlationId: s.correlationId ?? deliveryId,
    principal: { subject: caller.subject, roles: [...caller.roles] },
    namespace: payload.metadata.namespace,
    occurredAt: new Date().toISOString(),
    payload: { id, ...payload },
  };
  refuseOversize(deps, reply.request, message);
  const claim = await deps.deliveries.claim({
    requestKey,
    principal: caller.subject,
    deliveryId,
    fingerprint,
    resourceId: id,
    kind: kind.kind,
    verb: payload.verb,
    namespace: payload.metadata.namespace,
    name: payload.metadata.name,
    message,
  });
  if (!claim.claimed) return answerExisting(deps, reply, s, claim.existing, fingerprint, prefer, waitMs);
  faultPoint('gateway.after-claim');

  const outcome = await deps.publishAndWait(message, waitMs);
  if (outcome) return send(reply, outcome, false);
  return accepted(reply, s, id, prefer);
}

/** The 202 of an attempt published whose outcome is slower than the wait (or not waited for). */
function accepted(reply: FastifyReply, s: Submission, id: string, prefer: WaitPreference): FastifyReply {
  const location = s.location(id);
  if (prefer.respondAsync) reply.header('Preference-Applied', 'respond-async');
  return reply
    .code(202)
    .header('Location', location)
    .send({ id, kind: s.kind.kind, status: 'Accepted', deliveryId: s.deliveryId, links: { self: location } });
}

/** A retry: replay the stored answer, refuse a different request, or wait for the one in flight. */
async function answerExisting(
  deps: GatewayDeps,
  reply: FastifyReply,
  s: Submission,
  row: DeliveryRow,
  fingerprint: string,
  prefer: WaitPreference,
  waitMs: number,
): Promise<FastifyReply> {
  if (row.fingerprint !== fingerprint) {
    throw new DomainError('idempotency_key_reused', 'this deliveryId was already used for a different request; use a new deliveryId', {
      errors: [{ path: 'deliveryId', message: 'already used for a different request' }],
    });
  }
  const stored = storedResponse(row);
  if (stored) return send(reply, stored, true);
  if (row.state === 'retryable') {
    // The last attempt was told "not now": this retry is a new attempt, decided afresh.
    // Its answer is a first request's: the outcome, or a 202 when that is slower than the wait.
    const reopened = await deps.deliveries.reopen(row);
    if (reopened) {
      const outcome = await deps.publishAndWait(reopened.message, waitMs);
      if (outcome) return send(reply, outcome, false);
      return accepted(reply, s, reopened.resourceId, prefer);
    }
    const now = await deps.deliveries.get(row.requestKey);
    if (now) return answerExisting(deps, reply, s, now, fingerprint, prefer, waitMs);
  }
  // Still pending: publish again (the dedup ID makes it harmless, and it heals a crash between
  // claim and publish), then wait like the first request did.
  const outcome = await deps.publishAndWait(row.message, waitMs);
  if (outcome) return send(reply, outcome, true);
  throw new DomainError('request_in_progress', 'a request with this deliveryId is still being processed; retry later');
}
