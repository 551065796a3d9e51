/**
 * The gateway's OpenAPI 3.1 document, generated from the zod contracts so the published schemas
 * are the ones the gateway validates with. Served at `/openapi.json` and committed as
 * docs/openapi.json (scripts/generate-openapi.ts).
 */
import { z } from 'zod';
import {
  AcceptedView,
  AuditEventView,
  ChainVerification,
  Correlation,
  createBodyOf,
  ERROR_CODE_LIST,
  ERROR_CODES,
  FieldError,
  KINDS,
  listOf,
  NormalizedRun,
  Problem,
  PROBLEM_TYPE_BASE,
  ResourceView,
  Revisions,
  RunHistory,
  RunPhase,
  RunType,
  Violation,
  type ErrorCode,
  type KindDefinition,
} from '@jangar/contracts';
import { PROBLEM_CONTENT_TYPE } from './problems.js';

type Json = Record<string, unknown>;

/** The Idempotency-Key header's form; the test holds it to the contracts' `DeliveryId`. */
export const IDEMPOTENCY_KEY_PATTERN = '^[A-Za-z0-9._:-]{1,255}$';

// A policy denial carries `violations` beside the contract's problem fields (see problemFor).
const ProblemBody = Problem.extend({ violations: z.array(Violation).optional() });
// Shapes the gateway answers with that have no contract of their own (see GatewayDeps.readiness).
const ReadinessReport = z.object({ ready: z.boolean(), checks: z.record(z.string(), z.boolean()) });
const Liveness = z.object({ status: z.literal('ok') });

// Answers that come from an outcome are stored and replayed; errors the gateway raises itself are not.
const STORED_OUTCOME_CODES: readonly ErrorCode[] = ['validation_failed', 'policy_denied', 'conflict', 'reference_not_found'];

const CREATE_CODES: readonly ErrorCode[] = [
  'validation_failed',
  'delivery_id_required',
  'invalid_delivery_id',
  'unauthorized',
  'forbidden',
  'policy_denied',
  'conflict',
  'request_in_progress',
  'payload_too_large',
  'unsupported_media_type',
  'reference_not_found',
  'idempotency_key_reused',
  'internal',
  'unavailable',
];
const GET_RUN_CODES: readonly ErrorCode[] = ['unauthorized', 'not_found', 'internal', 'unavailable'];
const LIST_RUN_CODES: readonly ErrorCode[] = [
  'validation_failed',
  'invalid_label_selector',
  'unauthorized',
  'forbidden',
  'internal',
  'unavailable',
];
const RUN_EVENTS_CODES: readonly ErrorCode[] = ['validation_failed', 'unauthorized', 'not_found', 'internal', 'unavailable'];

// What a code means on this API beyond its registry title.
const CODE_NOTES: Partial<Record<ErrorCode, string>> = {
  validation_failed: '`errors` lists the failing fields',
  delivery_id_required: 'neither the body `deliveryId` nor the `Idempotency-Key` header was sent',
  invalid_delivery_id: 'malformed, or the body `deliveryId` and the `Idempotency-Key` header differ',
  forbidden: 'the token may not write in `metadata.namespace`',
  policy_denied: '`violations` lists the rules that denied it',
  request_in_progress: 'retry after `Retry-After` seconds with the same deliveryId',
  reference_not_found: '`errors` names the field, e.g. `spec.agentRef.name`',
  not_found: 'also a run in a namespace the token may not read',
  invalid_label_selector: '`errors` names `query.labelSelector` and the message quotes the failing requirement',
};

const schemaRef = (id: string) => `#/components/schemas/${id}`;
const ref = (id: string): Json => ({ $ref: schemaRef(id) });

/** `400 \`delivery_id_required\``: a code as prose cites it, status taken from the registry. */
function cite(code: ErrorCode): string {
  return `${ERROR_CODES[code].status} \`${code}\``;
}

function requestSchemaId(kind: KindDefinition): string {
  return `${kind.kind}CreateRequest`;
}

/** Renders a registry's schemas; `$schema` and `$id` go because the OpenAPI document is their base. */
function renderRegistry(registry: z.core.$ZodRegistry<{ id: string }>, io: 'input' | 'output'): Record<string, Json> {
  const { schemas } = z.toJSONSchema(registry, { io, unrepresentable: 'any', uri: schemaRef });
  return Object.fromEntries(
    Object.entries(schemas).map(([id, schema]) => {
      const { $schema: _schema, $id: _id, ...rest } = schema as Json;
      return [id, rest];
    }),
  );
}

function errorCodeDescription(): string {
  const lines = ERROR_CODE_LIST.map((code) => `- \`${code}\` (${ERROR_CODES[code].status}): ${ERROR_CODES[code].title}`);
  return `The stable code of a problem; clients match on it.\n\n${lines.join('\n')}`;
}

/** Every schema, request bodies read as input (defaults optional) and answers as output. */
function componentSchemas(): Record<string, Json> {
  const requests = z.registry<{ id: string }>();
  for (const kind of KINDS) requests.add(createBodyOf(kind), { id: requestSchemaId(kind) });
  const answers = z.registry<{ id: string }>();
  answers.add(ResourceView, { id: 'ResourceView' });
  answers.add(AcceptedView, { id: 'AcceptedView' });
  answers.add(NormalizedRun, { id: 'NormalizedRun' });
  answers.add(ProblemBody, { id: 'Problem' });
  answers.add(Problem.shape.code, { id: 'ErrorCode' });
  answers.add(FieldError, { id: 'FieldError' });
  answers.add(Violation, { id: 'Violation' });
  answers.add(ReadinessReport, { id: 'ReadinessReport' });
  answers.add(listOf(AuditEventView), { id: 'AuditEventPage' });
  answers.add(listOf(NormalizedRun), { id: 'RunPage' });
  answers.add(ChainVerification, { id: 'ChainVerification' });
  answers.add(RunHistory, { id: 'RunHistory' });
  answers.add(Correlation, { id: 'Correlation' });
  answers.add(Revisions, { id: 'Revisions' });
  answers.add(Liveness, { id: 'Liveness' });
  const input = renderRegistry(requests, 'input');
  const output = renderRegistry(answers, 'output');
  const clash = Object.keys(input).filter((id) => id in output);
  if (clash.length > 0) throw new Error(`openapi: schema ids rendered twice: ${clash.join(', ')}`);
  const problemNote = `RFC 9457 problem details. \`type\` is \`${PROBLEM_TYPE_BASE}<code>\`; \`status\` always matches the HTTP status.`;
  return {
    ...input,
    ...output,
    Problem: { description: problemNote, ...output.Problem },
    ErrorCode: { description: errorCodeDescription(), ...output.ErrorCode },
  };
}

function componentHeaders(): Json {
  return {
    IdempotentReplayed: {
      description:
        '`true` when this is the stored answer to an earlier request with the same deliveryId, replayed byte for byte; nothing new was done.',
      schema: { type: 'string', enum: ['true'] },
    },
    RetryAfter: {
      description: 'Seconds to wait before retrying with the same deliveryId.',
      schema: { type: 'integer', minimum: 0 },
    },
    Location: {
      description: 'Where the created resource can be read.',
      required: true,
      schema: { type: 'string', format: 'uri-reference' },
    },
  };
}

function idempotencyKeyParameter(): Json {
  return {
    name: 'Idempotency-Key',
    in: 'header',
    required: false,
    description:
      `The request's deliveryId, as an alternative to the body field \`deliveryId\`. One of the two is required ` +
      `(else ${cite('delivery_id_required')}); when both are sent and differ the answer is ${cite('invalid_delivery_id')}.`,
    schema: { type: 'string', pattern: IDEMPOTENCY_KEY_PATTERN },
  };
}

function codeLine(code: ErrorCode): string {
  const note = CODE_NOTES[code];
  return `- \`${code}\`: ${ERROR_CODES[code].title}${note ? ` (${note})` : ''}`;
}

/** One problem response for codes that share a status; headers follow from which codes it carries. */
function problemResponse(codes: readonly ErrorCode[]): Json {
  const headers: Json = {};
  if (codes.includes('request_in_progress')) headers['Retry-After'] = { $ref: '#/components/headers/RetryAfter' };
  if (codes.some((code) => STORED_OUTCOME_CODES.includes(code)))
    headers['Idempotent-Replayed'] = { $ref: '#/components/headers/IdempotentReplayed' };
  return {
    description: `Problem details with one of these codes:\n${codes.map(codeLine).join('\n')}`,
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
    content: { [PROBLEM_CONTENT_TYPE]: { schema: ref('Problem') } },
    'x-error-codes': [...codes],
  };
}

/** Problem responses keyed by HTTP status, grouped by the status the registry gives each code. */
function problemResponses(codes: readonly ErrorCode[]): Record<string, Json> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(ERROR_CODES[code].status, [...(byStatus.get(ERROR_CODES[code].status) ?? []), code]);
  const statuses = [...byStatus.keys()].sort((a, b) => a - b);
  return Object.fromEntries(statuses.map((status) => [String(status), problemResponse(byStatus.get(status)!)]));
}

function jsonContent(schemaId: string): Json {
  return { 'application/json': { schema: ref(schemaId) } };
}

function pascalCase(route: string): string {
  return route
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

function acceptedNote(kind: KindDefinition): string {
  if (kind.isRun) return 'poll `Location` (`/v1/runs/{id}`) for the run';
  // locationOf names a per-resource path for other kinds, but no read route serves it yet.
  return `\`Location\` names \`/v1/${kind.route}/{namespace}/{name}\`, which this gateway does not serve yet; retry the create with the same deliveryId to get the stored answer`;
}

function createOperation(kind: KindDefinition, route: string): Json {
  const alias = route === kind.route ? '' : ` (alias of \`POST /v1/${kind.route}\`)`;
  return {
    operationId: `create${pascalCase(route)}`,
    tags: ['resources'],
    summary: `Create ${/^[AEIOU]/.test(kind.kind) ? 'an' : 'a'} ${kind.kind}${alias}`,
    description:
      `Validates the request, records it under its deliveryId and waits up to \`JANGAR_WAIT_MS\` for its outcome: ` +
      `201 with the ${kind.kind} when it was applied in time, else 202 (${acceptedNote(kind)}). A create never answers 200.`,
    parameters: [{ $ref: '#/components/parameters/IdempotencyKey' }],
    requestBody: { required: true, content: jsonContent(requestSchemaId(kind)) },
    responses: {
      '201': {
        description: `The ${kind.kind} was applied.`,
        headers: { 'Idempotent-Replayed': { $ref: '#/components/headers/IdempotentReplayed' } },
        content: jsonContent('ResourceView'),
      },
      '202': {
        description: 'Accepted; the outcome was slower than the wait budget.',
        headers: { Location: { $ref: '#/components/headers/Location' } },
        content: jsonContent('AcceptedView'),
      },
      ...problemResponses(CREATE_CODES),
    },
  };
}

function createPaths(): Record<string, Json> {
  const entries = KINDS.flatMap((kind) =>
    [kind.route, ...kind.routeAliases].map((route) => [`/v1/${route}`, { post: createOperation(kind, route) }]),
  );
  return Object.fromEntries(entries);
}

function runPath(): Json {
  return {
    get: {
      operationId: 'getRun',
      tags: ['runs'],
      summary: 'Read a run (AgentRun or OrchestrationRun) in its normalized form',
      parameters: [
        {
          name: 'id',
          in: 'path',
          required: true,
          description: 'The `id` of the 201 or 202 answer that created the run.',
          schema: { type: 'string' },
        },
      ],
      responses: {
        '200': { description: 'The normalized run.', content: jsonContent('NormalizedRun') },
        ...problemResponses(GET_RUN_CODES),
      },
    },
  };
}

/** `GET /v1/runs` and the event stream of one run. */
function runListPaths(): Record<string, Json> {
  const phases = RunPhase.options.map((p) => `\`${p}\``).join(', ');
  return {
    '/v1/runs': {
      get: {
        operationId: 'listRuns',
        tags: ['runs'],
        summary: "AgentRuns and OrchestrationRuns in the caller's namespaces, newest first (createdAt, then id)",
        parameters: [
          queryParam('namespace', "Only this namespace (403 outside the token's namespaces)."),
          queryParam('type', 'Only this run type.', { type: 'string', enum: RunType.options }),
          queryParam(
            'labelSelector',
            `Kubernetes label selector: \`k=v\`, \`k==v\`, \`k!=v\`, \`k in (a,b)\`, \`k notin (a)\`, \`k\`, \`!k\`, \`k>1\`, \`k<1\`, joined by commas (else ${cite('invalid_label_selector')}).`,
          ),
          queryParam('phase', `Comma list of phases, any of which matches: ${phases}.`),
          queryParam('limit', 'Page size, 1-500 (default 50).', { type: 'integer', minimum: 1, maximum: 500 }),
          queryParam('continue', 'The `continue` token of the previous page; pages are keyset-based, so inserts never shift them.'),
        ],
        responses: {
          '200': { description: 'A page of normalized runs.', content: jsonContent('RunPage') },
          ...problemResponses(LIST_RUN_CODES),
        },
      },
    },
    '/v1/runs/{id}/events': {
      get: {
        operationId: 'streamRunEvents',
        tags: ['runs'],
        summary: 'Server-Sent Events of every status change of a run, until it is terminal',
        description:
          'Sends the current state first, then each change, and ends after a terminal phase. Each event is ' +
          '`id: <resourceVersion>`, `event: status`, `data: <NormalizedRun JSON>`; a comment is sent every 15 s. ' +
          'With `Last-Event-ID` (or `lastEventId`), recorded transitions after that resourceVersion are replayed first ' +
          '(from the audit history: their phase and conditions over the run as it is now).',
        parameters: [
          pathParam('id', 'The run id.'),
          {
            name: 'Last-Event-ID',
            in: 'header',
            required: false,
            description: 'The id of the last event received.',
            schema: { type: 'string' },
          },
          queryParam('lastEventId', 'As the `Last-Event-ID` header, for clients that cannot set it.'),
        ],
        responses: {
          '200': {
            description: 'The event stream.',
            content: { 'text/event-stream': { schema: { type: 'string' }, 'x-event-data': ref('NormalizedRun') } },
          },
          ...problemResponses(RUN_EVENTS_CODES),
        },
      },
    },
  };
}

const READ_CODES: readonly ErrorCode[] = ['validation_failed', 'unauthorized', 'forbidden', 'not_found', 'internal', 'unavailable'];

const pathParam = (name: string, description: string) => ({ name, in: 'path', required: true, description, schema: { type: 'string' } });
const queryParam = (name: string, description: string, schema: Json = { type: 'string' }) => ({
  name,
  in: 'query',
  required: false,
  description,
  schema,
});

/** One GET operation answering a component schema, with the read problem codes. */
function readOperation(operationId: string, tag: string, summary: string, schemaId: string, parameters: Json[]): Json {
  return {
    get: {
      operationId,
      tags: [tag],
      summary,
      parameters,
      responses: { '200': { description: summary, content: jsonContent(schemaId) }, ...problemResponses(READ_CODES) },
    },
  };
}

/** The audit trail, its verification, run history, correlations and revisions. */
function auditPaths(): Record<string, Json> {
  const revisions = Object.fromEntries(
    KINDS.flatMap((kind) =>
      [kind.route, ...kind.routeAliases].map((route) => [
        `/v1/${route}/{namespace}/{name}/revisions`,
        readOperation(
          `list${kind.kind}Revisions${route === kind.route ? '' : 'Alias'}`,
          'audit',
          `Every spec revision of a ${kind.kind}, oldest first`,
          'Revisions',
          [pathParam('namespace', 'The namespace.'), pathParam('name', 'The name.')],
        ),
      ]),
    ),
  );
  return {
    '/v1/audit': readOperation('listAuditEvents', 'audit', "Audit events in the caller's namespaces, newest first", 'AuditEventPage', [
      queryParam('namespace', "Only this namespace (403 outside the token's namespaces)."),
      queryParam('actor', 'Only events of this principal.'),
      queryParam('action', 'Only this action, e.g. `agentrun.create`.'),
      queryParam('resource', 'A kind (`AgentRun`), `Kind/namespace/name`, or a Jangar id.'),
      queryParam('since', 'RFC 3339 time, inclusive.', { type: 'string', format: 'date-time' }),
      queryParam('until', 'RFC 3339 time, exclusive.', { type: 'string', format: 'date-time' }),
      queryParam('limit', 'Page size, 1-500 (default 100).', { type: 'integer', minimum: 1, maximum: 500 }),
      queryParam('continue', 'The `continue` token of the previous page.'),
    ]),
    '/v1/audit/verify': readOperation(
      'verifyAudit',
      'audit',
      'Walk the hash chain and report the first broken link (admin or auditor role)',
      'ChainVerification',
      [],
    ),
    '/v1/runs/{id}/history': readOperation(
      'getRunHistory',
      'runs',
      'Every recorded status transition of a run, oldest first',
      'RunHistory',
      [pathParam('id', 'The run id.')],
    ),
    '/v1/correlations/{correlationId}': readOperation(
      'getCorrelation',
      'audit',
      'Every request and run that shares a correlation id',
      'Correlation',
      [pathParam('correlationId', 'The `correlationId` of the requests (body field or `X-Correlation-Id`).')],
    ),
    ...revisions,
  };
}

/** Probe and discovery routes: outside `/v1`, so no token is needed. */
function unauthenticatedPaths(): Record<string, Json> {
  const open = { tags: ['operations'], security: [] };
  return {
    '/livez': {
      get: {
        ...open,
        operationId: 'livez',
        summary: 'The gateway is alive',
        responses: { '200': { description: 'Alive.', content: jsonContent('Liveness') } },
      },
    },
    '/readyz': {
      get: {
        ...open,
        operationId: 'readyz',
        summary: 'Every service and dependency is ready',
        responses: {
          '200': {
            description: 'Ready: NATS and Postgres answer and every other service answers a ping.',
            content: jsonContent('ReadinessReport'),
          },
          '503': { description: 'Not ready; `checks` says which check failed.', content: jsonContent('ReadinessReport') },
        },
      },
    },
    '/openapi.json': {
      get: {
        ...open,
        operationId: 'openapi',
        summary: 'This document',
        responses: { '200': { description: 'The OpenAPI document.', content: { 'application/json': { schema: { type: 'object' } } } } },
      },
    },
  };
}

function apiDescription(): string {
  return [
    'The control plane API for the AI-agent custom resources of `*.proompteng.ai`.',
    '**Authentication.** Every `/v1` request needs `Authorization: Bearer <token>` ' +
      `(else ${cite('unauthorized')}). A token acts only in its namespaces: a write elsewhere is ${cite('forbidden')}, ` +
      `a read of another namespace's run is ${cite('not_found')}. \`/livez\`, \`/readyz\` and \`/openapi.json\` need no token.`,
    '**Idempotency.** Every create needs a deliveryId: the body field `deliveryId` or the `Idempotency-Key` header ' +
      `(1-255 characters of \`A-Za-z0-9._:-\`; neither: ${cite('delivery_id_required')}; both and different: ${cite('invalid_delivery_id')}). ` +
      'Keys are scoped to the caller and kept for `JANGAR_IDEMPOTENCY_RETENTION_HOURS` (7 days by default). ' +
      'A retry of the same request gets the stored status and body byte for byte with `Idempotent-Replayed: true` and causes nothing new; ' +
      `the same key with a different request gets ${cite('idempotency_key_reused')}; a retry while the first is in flight waits for it ` +
      `or gets ${cite('request_in_progress')} with \`Retry-After\`.`,
    `**Errors.** Every failure is \`${PROBLEM_CONTENT_TYPE}\` (RFC 9457) with a stable \`code\` (the \`ErrorCode\` schema lists them all).`,
  ].join('\n\n');
}

/** The OpenAPI 3.1 document of the gateway's HTTP API. */
export function buildOpenApi(): object {
  return {
    openapi: '3.1.0',
    info: { title: 'Jangar', version: '0.1.0', description: apiDescription() },
    tags: [
      { name: 'resources', description: 'Create the agent primitives.' },
      { name: 'runs', description: 'Read runs in their normalized form.' },
      { name: 'audit', description: 'The audit trail, revisions and correlations.' },
      { name: 'operations', description: 'Probes and discovery; no token needed.' },
    ],
    security: [{ bearer: [] }],
    paths: { ...createPaths(), ...runListPaths(), '/v1/runs/{id}': runPath(), ...auditPaths(), ...unauthenticatedPaths() },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'A token from `JANGAR_API_TOKENS` (or `JANGAR_DEV_TOKEN` on loopback).' },
      },
      parameters: { IdempotencyKey: idempotencyKeyParameter() },
      headers: componentHeaders(),
      schemas: componentSchemas(),
    },
  };
}

/** The document built once, at module load, for the gateway to serve at `/openapi.json`. */
export const openApiDocument = buildOpenApi();
