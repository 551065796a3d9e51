import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { createBodyOf, fieldErrorsFromZod, KINDS, kindByName, RPCS } from '@jangar/contracts';
import { DomainError } from '@jangar/service-kit';
import { z } from 'zod';
import { mayAccess } from '../auth.js';
import type { GatewayDeps } from '../deps.js';
import { refuseOwnedKeys } from './create.js';
import { refuseOversize } from './oversize.js';

const KindName = z.enum(KINDS.map((k) => k.kind) as [string, ...string[]]);

/** `POST /v1/policy/evaluate`: the decision a create would get, with nothing published, stored or applied. */
export function registerPolicyRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  app.post('/v1/policy/evaluate', async (req) => {
    const caller = req.caller!;
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (typeof body !== 'object' || Array.isArray(body)) throw new DomainError('validation_failed', 'the body must be a JSON object');
    const kindName = KindName.safeParse(body.kind);
    if (!kindName.success) {
      throw new DomainError('validation_failed', 'name the kind to evaluate', {
        errors: [{ path: 'kind', message: `one of ${KindName.options.join(', ')}` }],
      });
    }
    const kind = kindByName(kindName.data)!;
    const { kind: _kind, ...rest } = body;
    const parsed = createBodyOf(kind).safeParse(rest);
    if (!parsed.success)
      throw new DomainError('validation_failed', `the ${kind.kind} is not valid`, { errors: fieldErrorsFromZod(parsed.error) });
    const { metadata, spec } = parsed.data;
    // The answer a create would get: one setting Jangar's own keys never reaches policy.
    refuseOwnedKeys(kind, metadata);
    if (!mayAccess(caller, metadata.namespace)) {
      throw new DomainError('forbidden', `the token may not act in namespace "${metadata.namespace}"`, {
        errors: [{ path: 'metadata.namespace', message: "not one of the token's namespaces" }],
      });
    }
    const request = { id: randomUUID(), kind: kind.kind, verb: 'create' as const, metadata, spec };
    // As a create would be: past the bus's limit the call could only fail as though policy were away.
    refuseOversize(deps, req, request);
    return deps.call(RPCS.evaluatePolicy, request);
  });
}
