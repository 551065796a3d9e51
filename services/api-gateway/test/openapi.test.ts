import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DeliveryId, ERROR_CODE_LIST, ERROR_CODES, KINDS, phasesOf, type ErrorCode } from '@jangar/contracts';
import { buildOpenApi, IDEMPOTENCY_KEY_PATTERN } from '../src/openapi.js';
import { MERGE_PATCH } from '../src/routes/resources.js';
import { testApp } from './fake-deps.js';
import { OPENAPI_FILE, REGENERATE_HINT, REPO_ROOT, renderOpenApi } from '../../../scripts/generate-openapi.js';

type Json = Record<string, unknown>;
interface Operation {
  path: string;
  method: string;
  op: Json;
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const doc = buildOpenApi() as Json;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function get(node: unknown, ...keys: string[]): unknown {
  return keys.reduce<unknown>((at, key) => (isObject(at) ? at[key] : undefined), node);
}

/** Follows a local `$ref` (a JSON pointer into the document); undefined when it points nowhere. */
function resolvePointer(ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObject(node) || !Object.hasOwn(node, key)) return undefined;
    node = node[key];
  }
  return node;
}

/** A reference object's target, or the node itself. */
function deref(node: unknown): Json {
  const target = isObject(node) && typeof node.$ref === 'string' ? resolvePointer(node.$ref) : node;
  if (!isObject(target)) throw new Error(`not an object: ${JSON.stringify(node)}`);
  return target;
}

/** Every `$ref` in the tree with the JSON path it sits at. */
function refsIn(node: unknown, at = '#'): Array<{ at: string; ref: unknown }> {
  if (Array.isArray(node)) return node.flatMap((item, i) => refsIn(item, `${at}/${i}`));
  if (!isObject(node)) return [];
  return Object.entries(node).flatMap(([key, value]) => (key === '$ref' ? [{ at, ref: value }] : refsIn(value, `${at}/${key}`)));
}

function operations(): Operation[] {
  const paths = (doc.paths ?? {}) as Record<string, Json>;
  return Object.entries(paths).flatMap(([p, item]) =>
    HTTP_METHODS.filter((m) => isObject(item[m])).map((method) => ({ path: p, method, op: item[method] as Json })),
  );
}

function responsesOf(op: Json): Record<string, Json> {
  return Object.fromEntries(Object.entries((op.responses ?? {}) as Json).map(([status, r]) => [status, deref(r)]));
}

function parametersOf(op: Json): Json[] {
  return ((op.parameters ?? []) as unknown[]).map(deref);
}

const app = () => testApp({ publishAndWait: async () => undefined });

/** Every route of every kind, with the operationIds its six resource operations must have. */
const kindRoutes = KINDS.flatMap((kind) =>
  [kind.route, ...kind.routeAliases].map((route) => {
    const plural = route
      .split('-')
      .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
      .join('');
    const alias = route === kind.route ? '' : 'Alias';
    return { kind, route, plural, alias };
  }),
);

function operation(p: string, method: string): Json {
  const op = get(doc, 'paths', p, method);
  if (!isObject(op)) throw new Error(`${method} ${p} is not documented`);
  return op;
}

const changes = () => operations().filter((o) => ['put', 'patch', 'delete'].includes(o.method));

describe('OpenAPI document', () => {
  it('is the committed docs/openapi.json', () => {
    const file = path.join(REPO_ROOT, OPENAPI_FILE);
    expect(existsSync(file), `${OPENAPI_FILE} is missing; ${REGENERATE_HINT}`).toBe(true);
    const committed = readFileSync(file, 'utf8');
    expect(JSON.parse(committed), `${OPENAPI_FILE} is stale; ${REGENERATE_HINT}`).toEqual(buildOpenApi());
    expect(committed, `${OPENAPI_FILE} is not formatted as the generator writes it; ${REGENERATE_HINT}`).toBe(renderOpenApi());
  });

  it('names every code of the error registry', () => {
    const text = JSON.stringify(doc);
    for (const code of ERROR_CODE_LIST) expect(text, code).toContain(`"${code}"`);
    expect(get(doc, 'components', 'schemas', 'ErrorCode', 'enum')).toEqual(ERROR_CODE_LIST);
  });

  it('answers each problem status only with codes the registry gives that status', () => {
    for (const { path: p, method, op } of operations()) {
      for (const [status, response] of Object.entries(responsesOf(op))) {
        const codes = response['x-error-codes'] as ErrorCode[] | undefined;
        if (Number(status) < 400 || p === '/readyz') continue;
        expect(codes, `${method} ${p} ${status} lists its codes`).toBeDefined();
        for (const code of codes!) {
          expect(ERROR_CODES[code].status, `${method} ${p} ${status} ${code}`).toBe(Number(status));
          expect(response.description, `${method} ${p} ${status} describes ${code}`).toContain(`\`${code}\``);
        }
        expect(get(response, 'content', 'application/problem+json', 'schema')).toEqual({ $ref: '#/components/schemas/Problem' });
      }
    }
  });

  it('documents idempotency on every create', () => {
    // Every POST creates, except the policy dry run (which changes nothing) and approval decisions (below).
    const posts = operations().filter(
      (o) => o.method === 'post' && o.path.startsWith('/v1/') && !/^\/v1\/(policy|approvals)\//.test(o.path),
    );
    const routes = KINDS.flatMap((k) => [k.route, ...k.routeAliases]).map((r) => `/v1/${r}`);
    expect(posts.map((o) => o.path).sort()).toEqual([...routes].sort());
    for (const { path: p, op } of posts) {
      const key = parametersOf(op).find((param) => param.name === 'Idempotency-Key');
      expect(key, `${p} has the Idempotency-Key header`).toMatchObject({ in: 'header', schema: { pattern: IDEMPOTENCY_KEY_PATTERN } });
      const responses = responsesOf(op);
      expect(responses['422']?.['x-error-codes'], p).toEqual(expect.arrayContaining(['reference_not_found', 'idempotency_key_reused']));
      expect(responses['409']?.headers, p).toHaveProperty('Retry-After');
      expect(responses['201']?.headers, p).toHaveProperty('Idempotent-Replayed');
      expect(responses['202']?.headers, p).toHaveProperty('Location');
      expect(responses, `${p} never answers 200`).not.toHaveProperty('200');
    }
  });

  it('documents approval decisions as idempotent on the deliveryId, naming who may not decide', () => {
    const decisions = operations().filter((o) => o.path.startsWith('/v1/approvals/') && o.method === 'post');
    expect(decisions.map((o) => o.path).sort()).toEqual(['/v1/approvals/{id}/approve', '/v1/approvals/{id}/deny']);
    for (const { op } of decisions) {
      expect(parametersOf(op).find((param) => param.name === 'Idempotency-Key')).toBeDefined();
      const responses = responsesOf(op);
      expect(responses['200']?.headers).toHaveProperty('Idempotent-Replayed');
      expect(responses['403']?.['x-error-codes']).toEqual(['self_approval_forbidden', 'approver_role_required']);
      expect(responses['409']?.['x-error-codes']).toContain('approval_already_decided');
    }
  });

  it('documents the six resource operations of every kind on its route and each alias', () => {
    for (const { kind, route, plural, alias } of kindRoutes) {
      const base = `/v1/${route}`;
      const object = `${base}/{namespace}/{name}`;
      expect(operation(base, 'get').operationId).toBe(`list${plural}`);
      expect(operation(`${base}/{id}`, 'get').operationId).toBe(`get${kind.kind}ById${alias}`);
      expect(operation(object, 'get').operationId).toBe(`get${kind.kind}${alias}`);
      expect(operation(object, 'put').operationId).toBe(`replace${kind.kind}${alias}`);
      expect(operation(object, 'patch').operationId).toBe(`patch${kind.kind}${alias}`);
      expect(operation(object, 'delete').operationId).toBe(`delete${kind.kind}${alias}`);
      expect(get(operation(base, 'get'), 'responses', '200', 'content', 'application/json', 'schema')).toEqual({
        $ref: '#/components/schemas/ResourcePage',
      });
      expect(get(operation(object, 'put'), 'requestBody', 'content', 'application/json', 'schema')).toEqual({
        $ref: `#/components/schemas/${kind.kind}UpdateRequest`,
      });
    }
  });

  it("lists on each kind's list operation exactly the phases the kind has", () => {
    for (const { kind, route } of kindRoutes) {
      const phase = parametersOf(operation(`/v1/${route}`, 'get')).find((param) => param.name === 'phase');
      const phases = phasesOf(kind);
      if (phases.length === 0) expect(phase, `${kind.kind} has no phase to filter on`).toBeUndefined();
      else expect(phase, route).toMatchObject({ in: 'query', style: 'form', explode: false, schema: { items: { enum: [...phases] } } });
    }
  });

  it('documents idempotency and the resourceVersion precondition on every PUT, PATCH and DELETE', () => {
    expect(changes()).toHaveLength(kindRoutes.length * 3);
    for (const { path: p, method, op } of changes()) {
      const key = parametersOf(op).find((param) => param.name === 'Idempotency-Key');
      expect(key, `${method} ${p} has the Idempotency-Key header`).toMatchObject({
        in: 'header',
        schema: { pattern: IDEMPOTENCY_KEY_PATTERN },
      });
      // A merge patch has no body field for it: the header is the only way.
      expect(key?.required, `${method} ${p}`).toBe(method === 'patch');
      if (method === 'delete') expect(parametersOf(op)).toContainEqual(expect.objectContaining({ name: 'deliveryId', in: 'query' }));
      const responses = responsesOf(op);
      expect(responses['409']?.['x-error-codes'], p).toEqual(expect.arrayContaining(['conflict', 'request_in_progress']));
      expect(responses['409']?.headers, p).toHaveProperty('Retry-After');
      expect(responses['404']?.['x-error-codes'], p).toContain('not_found');
      expect(responses['404']?.headers, `${method} ${p}: a missing object is a stored outcome`).toHaveProperty('Idempotent-Replayed');
      expect(responses['422']?.['x-error-codes'], p).toContain('idempotency_key_reused');
      expect(responses['200']?.headers, p).toHaveProperty('Idempotent-Replayed');
      expect(responses['202']?.headers, p).toHaveProperty('Location');
      expect(responses, `${method} ${p} never answers 201`).not.toHaveProperty('201');
    }
  });

  it('takes a PATCH only as a JSON merge patch, without a deliveryId in the body', () => {
    for (const { path: p, op } of changes().filter((o) => o.method === 'patch')) {
      expect(Object.keys(get(op, 'requestBody', 'content') as Json), p).toEqual([MERGE_PATCH]);
      expect(get(op, 'requestBody', 'content', MERGE_PATCH, 'schema')).toEqual({ $ref: '#/components/schemas/MergePatch' });
      expect(responsesOf(op)['415']?.['x-error-codes'], p).toEqual(['unsupported_media_type']);
    }
    expect(get(doc, 'components', 'schemas', 'MergePatch', 'properties')).not.toHaveProperty('deliveryId');
    for (const kind of KINDS) {
      expect(get(doc, 'components', 'schemas', `${kind.kind}UpdateRequest`, 'properties', 'metadata', 'required')).toEqual([
        'resourceVersion',
      ]);
    }
  });

  it('never promises a replayed answer on a read', () => {
    for (const { path: p, method, op } of operations().filter((o) => o.method === 'get')) {
      for (const [status, response] of Object.entries(responsesOf(op))) {
        expect(response.headers ?? {}, `${method} ${p} ${status}`).not.toHaveProperty('Idempotent-Replayed');
      }
    }
  });

  it.each([
    { label: 'a single character', value: 'a' },
    { label: 'every allowed character', value: 'run-2026.11:25_E9' },
    { label: '255 characters', value: 'x'.repeat(255) },
    { label: '256 characters', value: 'x'.repeat(256) },
    { label: 'the empty string', value: '' },
    { label: 'a space', value: 'has space' },
    { label: 'a slash', value: 'slash/inside' },
    { label: 'a non-ASCII letter', value: 'ü' },
  ])('agrees with the contracts on a deliveryId of $label', ({ value }) => {
    expect(new RegExp(IDEMPOTENCY_KEY_PATTERN).test(value)).toBe(DeliveryId.safeParse(value).success);
  });

  it('is a structurally valid OpenAPI 3.1 document', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(get(doc, 'info', 'title')).toBe('Jangar');
    expect(typeof get(doc, 'info', 'version')).toBe('string');
    const unresolved = refsIn(doc).filter(({ ref }) => typeof ref !== 'string' || resolvePointer(ref) === undefined);
    expect(unresolved, 'every $ref resolves inside the document').toEqual([]);

    const schemes = Object.keys((get(doc, 'components', 'securitySchemes') ?? {}) as Json);
    const requirements = [...((doc.security ?? []) as Json[]), ...operations().flatMap((o) => (o.op.security ?? []) as Json[])];
    for (const requirement of requirements) for (const name of Object.keys(requirement)) expect(schemes).toContain(name);

    const ids = operations().map((o) => o.op.operationId);
    expect(new Set(ids).size, 'operationIds are unique').toBe(ids.length);
    for (const { path: p, method, op } of operations()) {
      const responses = Object.entries(responsesOf(op));
      expect(responses.length, `${method} ${p} has responses`).toBeGreaterThan(0);
      for (const [status, response] of responses) {
        expect(status, `${method} ${p}`).toMatch(/^[1-5](\d\d|XX)$|^default$/);
        expect(typeof response.description, `${method} ${p} ${status} has a description`).toBe('string');
      }
      const params = parametersOf(op);
      for (const param of params) expect(['query', 'header', 'path', 'cookie']).toContain(param.in);
      for (const [, name] of p.matchAll(/\{([^}]+)\}/g)) {
        expect(params, `${method} ${p} declares {${name}}`).toContainEqual(expect.objectContaining({ name, in: 'path', required: true }));
      }
    }
  });

  it('leaves only the probes and this document open', () => {
    const open = operations().filter((o) => Array.isArray(o.op.security) && o.op.security.length === 0);
    expect(open.map((o) => o.path).sort()).toEqual(['/livez', '/openapi.json', '/readyz']);
  });
});

describe('GET /openapi.json', () => {
  it('serves the built document without a token', async () => {
    const res = await app().inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('application/json');
    expect(res.json()).toEqual(buildOpenApi());
  });

  it('documents every /v1 route the gateway serves', async () => {
    const gateway = app();
    const served: string[] = [];
    // The /v1 routes are registered in a plugin that loads on ready(), after this hook is in place.
    gateway.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      for (const m of methods) if (m !== 'HEAD' && route.url.startsWith('/v1/')) served.push(`${m.toLowerCase()} ${route.url}`);
    });
    await gateway.ready();
    expect(served.length).toBeGreaterThan(kindRoutes.length * 7);
    const documented = new Set(operations().map(({ path: p, method }) => `${method} ${p.replace(/\{([^}]+)\}/g, ':$1')}`));
    expect(served.filter((route) => !documented.has(route))).toEqual([]);
  });

  it('documents only routes the gateway serves', async () => {
    const gateway = app();
    await gateway.ready();
    for (const { path: p, method } of operations()) {
      const url = p.replace(/\{([^}]+)\}/g, ':$1');
      expect(gateway.hasRoute({ method: method.toUpperCase() as 'GET', url }), `${method} ${p}`).toBe(true);
    }
  });
});
