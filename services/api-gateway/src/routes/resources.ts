import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  fieldErrorsFromZod,
  KINDS,
  MergePatchBody,
  phaseList,
  phasesOf,
  ResourceFilter,
  RPCS,
  updateBodyFor,
  NamespaceName,
  ResourceName,
  type KindDefinition,
} from '@jangar/contracts';
import { DomainError } from '@jangar/service-kit';
import { z } from 'zod';
import { assertMayList, assertMayWrite } from '../auth.js';
import type { GatewayDeps } from '../deps.js';
import { resolveDeliveryId } from '../idempotency.js';
import { checkLabelSelector, parseQuery } from '../query.js';
import { refuseOwnedKeys } from './create.js';
import { correlationHeader, submit } from './submit.js';

export const MERGE_PATCH = 'application/merge-patch+json';

type Target = { Params: { namespace: string; name: string } };

const TargetParams = z.object({ namespace: NamespaceName, name: ResourceName });

/** The object a URL names; a namespace or name Kubernetes could never hold is a 400 naming `path.<param>`. */
function targetOf(req: FastifyRequest<Target>): { namespace: string; name: string } {
  const parsed = TargetParams.safeParse(req.params);
  if (!parsed.success) {
    throw new DomainError('validation_failed', 'the URL does not name a valid object', {
      errors: fieldErrorsFromZod(parsed.error, ['path']),
    });
  }
  return parsed.data;
}

/** Jangar ids are UUIDs; anything else names nothing, and never reaches a label selector. */
const ResourceId = z.guid();

function invalid(kind: KindDefinition, error: z.ZodError, prefix: string[] = []): DomainError {
  return new DomainError('validation_failed', `the ${kind.kind} request is not valid`, { errors: fieldErrorsFromZod(error, prefix) });
}

/** The phases to filter on, checked against the phases this kind has. */
function phasesFor(kind: KindDefinition, raw: string | string[] | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const parsed = phaseList(phasesOf(kind)).safeParse(raw);
  if (!parsed.success) throw invalid(kind, parsed.error, ['query', 'phase']);
  return parsed.data;
}

/** A body or header that must name the object the URL names, when it names one at all. */
function checkSameObject(
  target: { namespace: string; name: string },
  metadata: { namespace?: string | undefined; name?: string | undefined },
): void {
  const { namespace, name } = target;
  const errors = [
    ...(metadata.namespace !== undefined && metadata.namespace !== namespace
      ? [{ path: 'metadata.namespace', message: `must be "${namespace}" as in the URL` }]
      : []),
    ...(metadata.name !== undefined && metadata.name !== name
      ? [{ path: 'metadata.name', message: `must be "${name}" as in the URL` }]
      : []),
  ];
  if (errors.length > 0) throw new DomainError('validation_failed', 'the body names a different object than the URL', { errors });
}

/**
 * The resource routes of every kind: list, read (by namespace and name, or by id), replace,
 * merge-patch and delete. One set of handlers serves every registered kind; reads go to the
 * provisioner, which owns the cluster connection, and writes go on the bus like creates.
 */
export function registerResourceRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  // PATCH routes live in their own scope, the only one that parses merge patches: a merge patch
  // sent to PUT or POST is a 415, never silently read as a whole replacement.
  app.register(async (patchScope) => {
    // Merge patches are JSON; fastify's own parser keeps its prototype-poisoning protection.
    patchScope.addContentTypeParser(MERGE_PATCH, { parseAs: 'string' }, patchScope.getDefaultJsonParser('error', 'error'));
    for (const kind of KINDS)
      for (const route of [kind.route, ...kind.routeAliases]) registerPatchRoute(patchScope, deps, kind, `/v1/${route}`);
  });

  for (const kind of KINDS) {
    const updateBody = updateBodyFor(kind.spec);
    for (const route of [kind.route, ...kind.routeAliases]) {
      const base = `/v1/${route}`;

      app.get(base, async (req) => {
        const caller = req.caller!;
        const q = parseQuery(ResourceFilter, req.query);
        checkLabelSelector(q.labelSelector);
        assertMayList(caller, q.namespace);
        const { phase, ...rest } = q;
        const phases = phasesFor(kind, phase);
        return deps.call(RPCS.listResources, {
          ...rest,
          ...(phases ? { phase: phases } : {}),
          kind: kind.kind,
          namespaces: [...caller.namespaces],
        });
      });

      app.get<{ Params: { id: string } }>(`${base}/:id`, async (req) => {
        const { id } = req.params;
        if (!ResourceId.safeParse(id).success) throw new DomainError('not_found', `no ${kind.kind} with id "${id}"`);
        return deps.call(RPCS.getResource, { kind: kind.kind, id, namespaces: [...req.caller!.namespaces] });
      });

      app.get<Target>(`${base}/:namespace/:name`, async (req) => {
        const { namespace, name } = targetOf(req);
        return deps.call(RPCS.getResource, { kind: kind.kind, namespace, name, namespaces: [...req.caller!.namespaces] });
      });

      app.put<Target>(`${base}/:namespace/:name`, async (req, reply) => {
        const caller = req.caller!;
        const target = targetOf(req);
        const { namespace, name } = target;
        assertMayWrite(caller, namespace, 'path.namespace');
        const body = (req.body ?? {}) as Record<string, unknown>;
        if (typeof body !== 'object' || Array.isArray(body)) throw new DomainError('validation_failed', 'the body must be a JSON object');
        const deliveryId = resolveDeliveryId(body.deliveryId, req.headers['idempotency-key']);
        const parsed = updateBody.safeParse({ ...body, deliveryId });
        if (!parsed.success) throw invalid(kind, parsed.error);
        const { metadata, spec } = parsed.data;
        checkSameObject(target, metadata);
        return submit(deps, reply, {
          caller,
          kind,
          deliveryId,
          fingerprintOf: { method: 'PUT', target: `${kind.kind}/${namespace}/${name}`, body },
          correlationId: parsed.data.correlationId ?? correlationHeader(req),
          payload: {
            kind: kind.kind,
            verb: 'update',
            metadata: {
              namespace,
              name,
              labels: metadata.labels ?? {},
              annotations: metadata.annotations ?? {},
              resourceVersion: metadata.resourceVersion,
            },
            spec,
          },
          location: () => `${base}/${namespace}/${name}`,
        });
      });

      app.delete<Target>(`${base}/:namespace/:name`, async (req, reply) => {
        const caller = req.caller!;
        const { namespace, name } = targetOf(req);
        assertMayWrite(caller, namespace, 'path.namespace');
        const q = parseQuery(DeleteQuery, req.query);
        const deliveryId = resolveDeliveryId(q.deliveryId, req.headers['idempotency-key']);
        return submit(deps, reply, {
          caller,
          kind,
          deliveryId,
          fingerprintOf: { method: 'DELETE', target: `${kind.kind}/${namespace}/${name}`, body: { resourceVersion: q.resourceVersion } },
          correlationId: correlationHeader(req),
          payload: {
            kind: kind.kind,
            verb: 'delete',
            metadata: { namespace, name, ...(q.resourceVersion ? { resourceVersion: q.resourceVersion } : {}) },
          },
          location: () => `${base}/${namespace}/${name}`,
        });
      });
    }
  }
}

/** `PATCH /v1/<route>/{namespace}/{name}`: a JSON merge patch of labels, annotations and spec, its key in `Idempotency-Key`. */
function registerPatchRoute(app: FastifyInstance, deps: GatewayDeps, kind: KindDefinition, base: string): void {
  app.patch<Target>(`${base}/:namespace/:name`, async (req, reply) => {
    const caller = req.caller!;
    const { namespace, name } = targetOf(req);
    assertMayWrite(caller, namespace, 'path.namespace');
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== MERGE_PATCH) {
      throw new DomainError('unsupported_media_type', `PATCH takes a JSON merge patch: send Content-Type: ${MERGE_PATCH}`);
    }
    const deliveryId = resolveDeliveryId(undefined, req.headers['idempotency-key']);
    const parsed = MergePatchBody.safeParse(req.body ?? {});
    if (!parsed.success) throw invalid(kind, parsed.error);
    refuseOwnedKeys(kind, parsed.data.metadata);
    return submit(deps, reply, {
      caller,
      kind,
      deliveryId,
      fingerprintOf: { method: 'PATCH', target: `${kind.kind}/${namespace}/${name}`, body: parsed.data },
      correlationId: correlationHeader(req),
      payload: {
        kind: kind.kind,
        verb: 'patch',
        metadata: {
          namespace,
          name,
          ...(parsed.data.metadata?.resourceVersion ? { resourceVersion: parsed.data.metadata.resourceVersion } : {}),
        },
        patch: parsed.data,
      },
      location: () => `${base}/${namespace}/${name}`,
    });
  });
}

/** `DELETE` has no body: its key comes in the query (or `Idempotency-Key`), and so does its precondition. */
const DeleteQuery = z.strictObject({
  deliveryId: z.string().optional(),
  resourceVersion: z.string().min(1).optional(),
});
