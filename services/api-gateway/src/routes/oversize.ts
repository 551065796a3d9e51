import type { FastifyRequest } from 'fastify';
import { DomainError } from '@jangar/service-kit';
import type { GatewayDeps } from '../deps.js';

/**
 * Refuses a request whose message the bus would refuse: a 413 at once. Past the limit, a create's
 * claimed row could never be published (every retry a 503, the recovery sweep failing on it), and
 * a call of a service would fail as though the service were away (a 503 no retry can mend).
 */
export function refuseOversize(deps: GatewayDeps, req: FastifyRequest, message: unknown): void {
  const max = deps.maxMessageBytes();
  if (max === undefined) return;
  // Serialized again, a body grows at most about fivefold (`1e20` prints as 21 digits), so a small
  // one cannot reach the limit and costs no serialization here.
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) * 8 < max) return;
  const bytes = Buffer.byteLength(JSON.stringify(message));
  if (bytes <= max) return;
  throw new DomainError('payload_too_large', `the request is ${bytes} bytes as a message on the bus, which takes at most ${max}`, {
    errors: [{ path: 'body', message: `at most ${max} bytes as a message` }],
  });
}
