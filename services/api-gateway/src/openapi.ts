/**
 * The gateway's OpenAPI 3.1 document, generated from the zod contracts so the published schemas
 * are the ones the gateway validates with. Served at `/openapi.json` and committed as
 * docs/openapi.json (scripts/generate-openapi.ts).
 */
import { z } from 'zod';
import {
  AcceptedView,
  Approval,
  ApprovalDecisionBody,
  ApprovalState,
  AwaitingApprovalView,
  AuditEventView,
  ChainVerification,
  Correlation,
  createBodyFor,
  createBodyOf,
  DecisionPayload,
  ERROR_CODE_LIST,
  ERROR_CODES,
  FieldError,
  KINDS,
  listOf,
  MAX_BODY_DEPTH,
  MergePatchBody,
  NormalizedRun,
  Problem,
  PROBLEM_TYPE_BASE,
  phasesOf,
  QueuedView,
  QueueEntryView,
  QueueState,
  ResourceView,
  RETRYABLE_CODES,
  Revisions,
  RunHistory,
  RunPhase,
  RunType,
  updateBodyFor,
  VERIFY_MAX_LIMIT,
  Violation,
  type ErrorCode,
  type KindDefinition,
} from '@jangar/contracts';
import { PROBLEM_CONTENT_TYPE } from './problems.js';
import { MERGE_PATCH } from './routes/resources.js';

type Json = Record<string, unknown>;

/** The Idempotency-Key header's form; the test holds it to the contracts' `DeliveryId`. */
export const IDEMPOTENCY_KEY_PATTERN = '^[A-Za-z0-9._:-]{1,255}$';

// Shapes the gateway answers with that have no contract of their own (see GatewayDeps.readiness).
const ReadinessReport = z.object({ ready: z.boolean(), checks: z.record(z.string(), z.boolean()) });
const Liveness = z.object({ status: z.literal('ok') });

// Answers that come from an outcome are stored and replayed; errors the gateway raises itself are not.
const STORED_OUTCOME_CODES: readonly ErrorCode[] = [
  'validation_failed',
  'policy_denied',
  'budget_exceeded',
  'approval_denied',
  'approval_expired',
  'queue_expired',
  'run_cancelled',
  'conflict',
  'reference_not_found',
];
// A change to an existing object also stores `not_found` when the object is gone by the time it is applied.
const STORED_CHANGE_CODES: readonly ErrorCode[] = [...STORED_OUTCOME_CODES, 'not_found'];

const CREATE_CODES: readonly ErrorCode[] = [
  'validation_failed',
  'delivery_id_required',
  'invalid_delivery_id',
  'unauthorized',
  'forbidden',
  'policy_denied',
  'budget_exceeded',
  'approval_denied',
  'approval_expired',
  'queue_expired',
  'run_cancelled',
  'concurrency_limit',
  'rate_limited',
  'queue_full',
  'conflict',
  'request_in_progress',
  'payload_too_large',
  'unsupported_media_type',
  'reference_not_found',
  'idempotency_key_reused',
  'internal',
  'unavailable',
];
// PUT and PATCH: a create's codes, and the object may be missing.
const CHANGE_CODES: readonly ErrorCode[] = [...CREATE_CODES, 'not_found'];
// DELETE has no body to be too large, of the wrong type, or to name references.
const DELETE_CODES: readonly ErrorCode[] = CHANGE_CODES.filter(
  (code) => !(['payload_too_large', 'unsupported_media_type', 'reference_not_found'] as ErrorCode[]).includes(code),
);
const GET_ONE_CODES: readonly ErrorCode[] = ['validation_failed', 'unauthorized', 'not_found', 'internal', 'unavailable'];
const LIST_CODES: readonly ErrorCode[] = [
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
  forbidden: "the namespace (`metadata.namespace`, the path's `{namespace}` or `?namespace=`) is not one of the token's",
  policy_denied: '`violations` lists the rules that denied it',
  conflict: 'the object changed since the given resourceVersion, is being deleted, or (on create) already exists',
  request_in_progress: 'retry after `Retry-After` seconds with the same deliveryId',
  unsupported_media_type: `the body is not \`application/json\` (PATCH: not \`${MERGE_PATCH}\`)`,
  reference_not_found: '`errors` names the field, e.g. `spec.agentRef.name`',
  budget_exceeded: '`violations` names the Budget and its figures',
  concurrency_limit:
    'runs only; `violations` gives the active count and the limit; not stored: a retry with the same deliveryId after `Retry-After` is decided again',
  not_found: 'on a read, also an object in a namespace the token may not read',
  invalid_label_selector: '`errors` names `query.labelSelector` and the message quotes the failing requirement',
  rate_limited:
    'runs only; more runs started in the namespace or cluster within the window than its rate limit allows; `violations` gives the figures; not stored: retry after `Retry-After` with the same deliveryId',
  approval_denied: 'the request was held for approval and an approver denied it; `detail` gives their reason',
  approval_expired: 'nobody decided the approval in time; submit again with a new deliveryId',
  queue_expired:
    "the run waited in its guardrail's queue for `queue.maxWaitSeconds` without a free slot; submit again with a new deliveryId",
  run_cancelled:
    'runs only; the run was deleted while it waited in its queue or for approval and never started (`phase: Cancelled`); submit again with a new deliveryId',
  queue_full:
    "runs only; a limit holds the run back and its guardrail's queue is full; `violations` gives the figures; not stored: retry after `Retry-After` with the same deliveryId",
};

// Answers that tell the client when to come back.
const RETRY_AFTER_CODES: readonly ErrorCode[] = ['request_in_progress', ...RETRYABLE_CODES];

const schemaRef = (id: string) => `#/components/schemas/${id}`;
const ref = (id: string): Json => ({ $ref: schemaRef(id) });

/** `400 \`delivery_id_required\``: a code as prose cites it, status taken from the registry. */
function cite(code: ErrorCode): string {
  return `${ERROR_CODES[code].status} \`${code}\``;
}

function requestSchemaId(kind: KindDefinition): string {
  return `${kind.kind}CreateRequest`;
}

function updateSchemaId(kind: KindDefinition): string {
  return `${kind.kind}UpdateRequest`;
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
  for (const kind of KINDS) {
    // The spec is its own schema, so the create and update requests share it rather than each inlining it.
    requests.add(kind.spec, { id: `${kind.kind}Spec` });
    requests.add(createBodyOf(kind), { id: requestSchemaId(kind) });
    requests.add(updateBodyFor(kind.spec), { id: updateSchemaId(kind) });
  }
  requests.add(MergePatchBody, { id: 'MergePatch' });
  requests.add(PolicyEvaluateRequest, { id: 'PolicyEvaluateRequest' });
  requests.add(ApprovalDecisionBody, { id: 'ApprovalDecisionRequest' });
  const answers = z.registry<{ id: string }>();
  answers.add(ResourceView, { id: 'ResourceView' });
  answers.add(listOf(ResourceView), { id: 'ResourcePage' });
  answers.add(AcceptedView, { id: 'AcceptedView' });
  answers.add(AwaitingApprovalView, { id: 'AwaitingApprovalView' });
  answers.add(QueuedView, { id: 'QueuedView' });
  answers.add(listOf(QueueEntryView), { id: 'QueuePage' });
  answers.add(Approval, { id: 'Approval' });
  answers.add(listOf(Approval), { id: 'ApprovalPage' });
  answers.add(NormalizedRun, { id: 'NormalizedRun' });
  answers.add(Problem, { id: 'Problem' });
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
  answers.add(DecisionPayload, { id: 'PolicyDecision' });
  answers.add(Liveness, { id: 'Liveness' });
  const input = renderRegistry(requests, 'input');
  const output = renderRegistry(answers, 'output');
  const clash = Object.keys(input).filter((id) => id in output);
  if (clash.length > 0) throw new Error(`openapi: schema ids rendered twice: ${clash.join(', ')}`);
  const problemNote = `RFC 9457 problem details. \`type\` is \`${PROBLEM_TYPE_BASE}<code>\`; \`status\` always matches the HTTP status.`;
  const mergePatchNote =
    `An RFC 7386 JSON merge patch, sent as \`${MERGE_PATCH}\`: objects merge, \`null\` removes a key, anything else replaces. ` +
    'The merged spec is validated where it is applied (400 `validation_failed` naming `spec.` paths). ' +
    'The deliveryId goes in the `Idempotency-Key` header, never in the body.';
  return {
    ...input,
    ...output,
    MergePatch: { description: mergePatchNote, ...input.MergePatch },
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
      description: 'Where the resource can be read.',
      required: true,
      schema: { type: 'string', format: 'uri-reference' },
    },
    PreferenceApplied: {
      description:
        '`respond-async` when the request sent `Prefer: respond-async` and was answered without waiting for its outcome (RFC 7240).',
      schema: { type: 'string', enum: ['respond-async'] },
    },
  };
}

function idempotencyKeyParameter(required: boolean, description: string): Json {
  return { name: 'Idempotency-Key', in: 'header', required, description, schema: { type: 'string', pattern: IDEMPOTENCY_KEY_PATTERN } };
}

/** The deliveryId parameters: in the header or the body (POST, PUT), only the header (PATCH), header or query (DELETE). */
function componentParameters(): Json {
  const both = `when both are sent and differ the answer is ${cite('invalid_delivery_id')}`;
  return {
    IdempotencyKey: idempotencyKeyParameter(
      false,
      `The request's deliveryId, as an alternative to the body field \`deliveryId\`. One of the two is required ` +
        `(else ${cite('delivery_id_required')}); ${both}.`,
    ),
    PatchIdempotencyKey: idempotencyKeyParameter(
      true,
      `The request's deliveryId. A merge patch carries it only here (else ${cite('delivery_id_required')}): ` +
        `a \`deliveryId\` in the body would be a patch of a field, and is refused with ${cite('validation_failed')}.`,
    ),
    DeleteIdempotencyKey: idempotencyKeyParameter(
      false,
      `The request's deliveryId, as an alternative to \`?deliveryId=\`. One of the two is required ` +
        `(else ${cite('delivery_id_required')}); ${both}.`,
    ),
    DeliveryIdQuery: {
      name: 'deliveryId',
      in: 'query',
      required: false,
      description: "The request's deliveryId, for clients that cannot set `Idempotency-Key`.",
      schema: { type: 'string', pattern: IDEMPOTENCY_KEY_PATTERN },
    },
    Prefer: {
      name: 'Prefer',
      in: 'header',
      required: false,
      description:
        'RFC 7240 preferences: `respond-async` answers 202 as soon as the request is recorded and on the bus, without waiting for ' +
        'its outcome; `wait=<seconds>` waits at most that long (never longer than `JANGAR_WAIT_MS`). Other preferences are ignored.',
      schema: { type: 'string' },
      example: 'respond-async',
    },
    CorrelationId: {
      name: 'X-Correlation-Id',
      in: 'header',
      required: false,
      description:
        'Ties this request to others (see `GET /v1/correlations/{correlationId}`); 1-255 characters. ' +
        'A body `correlationId` wins over it; without either the deliveryId is used.',
      schema: { type: 'string', minLength: 1, maxLength: 255 },
    },
  };
}

function codeLine(code: ErrorCode): string {
  const note = CODE_NOTES[code];
  return `- \`${code}\`: ${ERROR_CODES[code].title}${note ? ` (${note})` : ''}`;
}

/**
 * One problem response for codes that share a status; headers follow from which codes it carries
 * and which of them (`stored`) are outcomes a retry replays.
 */
function problemResponse(codes: readonly ErrorCode[], stored: readonly ErrorCode[]): Json {
  const headers: Json = {};
  if (codes.some((code) => RETRY_AFTER_CODES.includes(code))) headers['Retry-After'] = { $ref: '#/components/headers/RetryAfter' };
  if (codes.some((code) => stored.includes(code))) headers['Idempotent-Replayed'] = { $ref: '#/components/headers/IdempotentReplayed' };
  return {
    description: `Problem details with one of these codes:\n${codes.map(codeLine).join('\n')}`,
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
    content: { [PROBLEM_CONTENT_TYPE]: { schema: ref('Problem') } },
    'x-error-codes': [...codes],
  };
}

/** Problem responses keyed by HTTP status, grouped by the status the registry gives each code. */
function problemResponses(codes: readonly ErrorCode[], stored: readonly ErrorCode[] = []): Record<string, Json> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(ERROR_CODES[code].status, [...(byStatus.get(ERROR_CODES[code].status) ?? []), code]);
  const statuses = [...byStatus.keys()].sort((a, b) => a - b);
  return Object.fromEntries(statuses.map((status) => [String(status), problemResponse(byStatus.get(status)!, stored)]));
}

function jsonContent(schemaId: string): Json {
  return { 'application/json': { schema: ref(schemaId) } };
}

const pathParam = (name: string, description: string) => ({ name, in: 'path', required: true, description, schema: { type: 'string' } });
const queryParam = (name: string, description: string, schema: Json = { type: 'string' }) => ({
  name,
  in: 'query',
  required: false,
  description,
  schema,
});

function pascalCase(route: string): string {
  return route
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

const article = (kind: KindDefinition) => (/^[AEIOU]/.test(kind.kind) ? 'an' : 'a');

/** ` (alias of \`METHOD /v1/<route>...\`)` on an alias route's summary; empty on the kind's own route. */
function aliasNote(kind: KindDefinition, route: string, method: string, suffix = ''): string {
  return route === kind.route ? '' : ` (alias of \`${method} /v1/${kind.route}${suffix}\`)`;
}

/** An operationId on one object: `getAgentRun` on the kind's route, `getOrchestrationRunAlias` on an alias. */
function objectOperationId(verb: string, kind: KindDefinition, route: string, suffix = ''): string {
  return `${verb}${kind.kind}${suffix}${route === kind.route ? '' : 'Alias'}`;
}

function acceptedNote(kind: KindDefinition): string {
  if (kind.isRun) return 'poll `Location` (`/v1/runs/{id}`) for the run';
  return `\`Location\` names \`/v1/${kind.route}/{namespace}/{name}\`, which answers 404 until the ${kind.kind} exists; or retry the create with the same deliveryId to get the stored answer`;
}

const REPLAYED = { 'Idempotent-Replayed': { $ref: '#/components/headers/IdempotentReplayed' } };
const MUTATION_PARAMETERS = [{ $ref: '#/components/parameters/CorrelationId' }, { $ref: '#/components/parameters/Prefer' }];

function createOperation(kind: KindDefinition, route: string): Json {
  return {
    operationId: `create${pascalCase(route)}`,
    tags: ['resources'],
    summary: `Create ${article(kind)} ${kind.kind}${aliasNote(kind, route, 'POST')}`,
    description:
      `Validates the request, records it under its deliveryId and waits up to \`JANGAR_WAIT_MS\` (or less, see \`Prefer\`) for its outcome: ` +
      `201 with the ${kind.kind} when it was applied in time, else 202 (${acceptedNote(kind)}). A create never answers 200.`,
    parameters: [{ $ref: '#/components/parameters/IdempotencyKey' }, ...MUTATION_PARAMETERS],
    requestBody: { required: true, content: jsonContent(requestSchemaId(kind)) },
    responses: {
      '201': {
        description: `The ${kind.kind} was applied.`,
        headers: REPLAYED,
        content: jsonContent('ResourceView'),
      },
      '202': {
        description:
          'Accepted; the outcome was slower than the wait budget (`AcceptedView`), the request is held for approval (`AwaitingApprovalView`, replayed to retries until an approver decides), or a run waits in its queue for a concurrency or rate limit (`QueuedView`, with a `Blocked` condition, replayed to retries until it is admitted).',
        headers: {
          Location: { $ref: '#/components/headers/Location' },
          'Preference-Applied': { $ref: '#/components/headers/PreferenceApplied' },
        },
        content: { 'application/json': { schema: { oneOf: [ref('AcceptedView'), ref('AwaitingApprovalView'), ref('QueuedView')] } } },
      },
      ...problemResponses(CREATE_CODES, STORED_OUTCOME_CODES),
    },
  };
}

function listOperation(kind: KindDefinition, route: string): Json {
  const phases = phasesOf(kind);
  const phaseParameter = {
    ...queryParam(
      'phase',
      `Comma list of \`status.phase\` values, any of which matches: ${phases.map((p) => `\`${p}\``).join(', ')} (else ${cite('validation_failed')} naming \`query.phase\`).`,
      { type: 'array', items: { type: 'string', enum: [...phases] }, minItems: 1 },
    ),
    style: 'form',
    explode: false,
  };
  return {
    operationId: `list${pascalCase(route)}`,
    tags: ['resources'],
    summary: `${kind.kind} resources in the caller's namespaces, newest first${aliasNote(kind, route, 'GET')}`,
    description:
      'Ordered by creation time, then namespace and name; pages are keyset-based, so objects created meanwhile never shift a later page.' +
      (phases.length === 0 ? ` A ${kind.kind} has no \`status.phase\`, so there is no phase filter.` : ''),
    parameters: [
      queryParam('namespace', `Only this namespace (else ${cite('forbidden')} outside the token's namespaces).`),
      queryParam(
        'labelSelector',
        `Kubernetes label selector: \`k=v\`, \`k==v\`, \`k!=v\`, \`k in (a,b)\`, \`k notin (a)\`, \`k\`, \`!k\`, \`k>1\`, \`k<1\`, joined by commas (else ${cite('invalid_label_selector')}).`,
      ),
      ...(phases.length > 0 ? [phaseParameter] : []),
      queryParam('limit', 'Page size, 1-500 (default 50).', { type: 'integer', minimum: 1, maximum: 500, default: 50 }),
      queryParam('continue', 'The `continue` token of the previous page.'),
    ],
    responses: {
      '200': { description: `A page of ${kind.kind} resources.`, content: jsonContent('ResourcePage') },
      ...problemResponses(LIST_CODES),
    },
  };
}

const OBJECT_PARAMETERS = [pathParam('namespace', 'The namespace.'), pathParam('name', 'The name.')];

function getByIdOperation(kind: KindDefinition, route: string): Json {
  return {
    operationId: objectOperationId('get', kind, route, 'ById'),
    tags: ['resources'],
    summary: `Read ${article(kind)} ${kind.kind} by its Jangar id${aliasNote(kind, route, 'GET', '/{id}')}`,
    parameters: [pathParam('id', `The \`id\` of the ${kind.kind} (its ResourceView \`id\`, the \`jangar.proompteng.ai/id\` label).`)],
    responses: {
      '200': { description: `The ${kind.kind}.`, content: jsonContent('ResourceView') },
      ...problemResponses(GET_ONE_CODES),
    },
  };
}

function getOperation(kind: KindDefinition, route: string): Json {
  return {
    operationId: objectOperationId('get', kind, route),
    tags: ['resources'],
    summary: `Read ${article(kind)} ${kind.kind}${aliasNote(kind, route, 'GET', '/{namespace}/{name}')}`,
    parameters: OBJECT_PARAMETERS,
    responses: {
      '200': {
        description: `The ${kind.kind}; \`metadata.resourceVersion\` is the precondition of a later change.`,
        content: jsonContent('ResourceView'),
      },
      ...problemResponses(GET_ONE_CODES),
    },
  };
}

/** What PUT and PATCH answer besides their problems: the changed object, or 202 when the outcome is slow. */
function changeResponses(kind: KindDefinition): Json {
  return {
    '200': { description: `The ${kind.kind} as changed.`, headers: REPLAYED, content: jsonContent('ResourceView') },
    '202': {
      description:
        'Accepted; the outcome was slower than the wait budget. `id` identifies this request, not the resource; retry with the same deliveryId for the stored answer.',
      headers: {
        Location: { $ref: '#/components/headers/Location' },
        'Preference-Applied': { $ref: '#/components/headers/PreferenceApplied' },
      },
      content: jsonContent('AcceptedView'),
    },
    ...problemResponses(CHANGE_CODES, STORED_CHANGE_CODES),
  };
}

function replaceOperation(kind: KindDefinition, route: string): Json {
  return {
    operationId: objectOperationId('replace', kind, route),
    tags: ['resources'],
    summary: `Replace the spec, labels and annotations of ${article(kind)} ${kind.kind}${aliasNote(kind, route, 'PUT', '/{namespace}/{name}')}`,
    description:
      `The body is the whole desired state: labels and annotations not in it are removed (Jangar's own stay). ` +
      `\`metadata.resourceVersion\` is required and must be the current one (else ${cite('conflict')}); ` +
      `\`metadata.namespace\` and \`metadata.name\` may be left out, and when sent must be the path's (else ${cite('validation_failed')}). ` +
      `An unknown reference is ${cite('reference_not_found')} naming the field.`,
    parameters: [...OBJECT_PARAMETERS, { $ref: '#/components/parameters/IdempotencyKey' }, ...MUTATION_PARAMETERS],
    requestBody: { required: true, content: jsonContent(updateSchemaId(kind)) },
    responses: changeResponses(kind),
  };
}

function patchOperation(kind: KindDefinition, route: string): Json {
  return {
    operationId: objectOperationId('patch', kind, route),
    tags: ['resources'],
    summary: `Merge-patch the spec, labels and annotations of ${article(kind)} ${kind.kind}${aliasNote(kind, route, 'PATCH', '/{namespace}/{name}')}`,
    description:
      `Takes only \`Content-Type: ${MERGE_PATCH}\` (else ${cite('unsupported_media_type')}) and the deliveryId only in \`Idempotency-Key\`. ` +
      `With \`metadata.resourceVersion\` the patch applies only to that version (else ${cite('conflict')}); without it, to the current one. ` +
      `A merged spec that is not valid is ${cite('validation_failed')} with \`spec.\` paths; an unknown reference is ${cite('reference_not_found')}.`,
    parameters: [...OBJECT_PARAMETERS, { $ref: '#/components/parameters/PatchIdempotencyKey' }, ...MUTATION_PARAMETERS],
    requestBody: { required: true, content: { [MERGE_PATCH]: { schema: ref('MergePatch') } } },
    responses: changeResponses(kind),
  };
}

function deleteOperation(kind: KindDefinition, route: string): Json {
  const cancels = kind.isRun
    ? ` When the ${kind.kind} is still going it is cancelled first: it ends with \`status.phase\` \`Cancelled\` and its workload is removed. ` +
      `One still waiting in its queue or for approval is cancelled there (its approval becomes \`Cancelled\` and can no longer be decided): ` +
      `200 with the run as it stood (\`status.phase\` \`Cancelled\`, no \`uid\`), ` +
      `and its create's final answer becomes ${'`410 run_cancelled`'}; it never starts.`
    : '';
  return {
    operationId: objectOperationId('delete', kind, route),
    tags: ['resources'],
    summary: `Delete ${article(kind)} ${kind.kind}${aliasNote(kind, route, 'DELETE', '/{namespace}/{name}')}`,
    description: `200 with the last state once it is gone; 202 with the object, \`metadata.deletionTimestamp\` set, while finalizers hold it.${cancels}`,
    parameters: [
      ...OBJECT_PARAMETERS,
      { $ref: '#/components/parameters/DeleteIdempotencyKey' },
      { $ref: '#/components/parameters/DeliveryIdQuery' },
      queryParam('resourceVersion', `Delete only this version (else ${cite('conflict')}).`, { type: 'string', minLength: 1 }),
      ...MUTATION_PARAMETERS,
    ],
    responses: {
      '200': { description: `The ${kind.kind} is gone; its last state.`, headers: REPLAYED, content: jsonContent('ResourceView') },
      '202': {
        description:
          'Either finalizers still hold the object (a ResourceView with `metadata.deletionTimestamp`), or the outcome was slower ' +
          'than the wait budget (an AcceptedView whose `id` identifies this request; retry with the same deliveryId for the stored answer).',
        headers: {
          ...REPLAYED,
          Location: {
            description: 'With an AcceptedView only: where the resource can be read.',
            schema: { type: 'string', format: 'uri-reference' },
          },
          'Preference-Applied': { $ref: '#/components/headers/PreferenceApplied' },
        },
        content: { 'application/json': { schema: { oneOf: [ref('ResourceView'), ref('AcceptedView')] } } },
      },
      ...problemResponses(DELETE_CODES, STORED_CHANGE_CODES),
    },
  };
}

/** Every kind's resource routes, on its own route and each alias: create and list, read by id, and read, replace, patch, delete. */
function resourcePaths(): Record<string, Json> {
  const entries = KINDS.flatMap((kind) =>
    [kind.route, ...kind.routeAliases].flatMap((route) => [
      [`/v1/${route}`, { get: listOperation(kind, route), post: createOperation(kind, route) }],
      [`/v1/${route}/{id}`, { get: getByIdOperation(kind, route) }],
      [
        `/v1/${route}/{namespace}/{name}`,
        {
          get: getOperation(kind, route),
          put: replaceOperation(kind, route),
          patch: patchOperation(kind, route),
          delete: deleteOperation(kind, route),
        },
      ],
    ]),
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
        '200': {
          description:
            'The normalized run. A run accepted but not created yet reads at once: it is `Pending`, with an `Accepted` condition (reason `Submitted`) while policy and provisioning work on it, `Blocked` while a limit queues it, or `AwaitingApproval` while an approval holds it, and has no `uid` or `resourceVersion` until it exists. A run refused for good is never created; its id then reads with the phase the refusal gives it (`Failed`, or `Cancelled` when a delete took it out of its queue or cancelled the approval holding it) and the conditions of the refusal.',
          content: jsonContent('NormalizedRun'),
        },
        ...problemResponses(GET_ONE_CODES),
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
        summary: "AgentRuns and OrchestrationRuns in the caller's namespaces, newest first (the time they were listed, then id)",
        description:
          'The runs that exist, and those that waited before they existed: queued behind a limit or held for approval (`Pending`, without a `uid`), ' +
          'and, once such a wait ended without the run, `Failed` or `Cancelled`. A run a rule refused at once never waited and is not listed; its id still reads through `GET /v1/runs/{id}`. ' +
          'A run is listed at its `createdAt`, except one that waited: it keeps the place its wait was listed at once it is created, so a page that follows never skips it.',
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
          ...problemResponses(LIST_CODES),
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
          '(from the audit history: their phase and conditions over the run as it is now). ' +
          'A run accepted but not created yet (on its way, queued, held for approval) is sent as its `Pending` view without ' +
          'an `id:`; the stream follows it until it is created, then by its status, or ends with `Failed` or `Cancelled` ' +
          'when it is refused, expires or is deleted before it existed.',
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

/** One GET operation answering a component schema, with the read problem codes. */
function readOperation(
  operationId: string,
  tag: string,
  summary: string,
  schemaId: string,
  parameters: Json[],
  description?: string,
): Json {
  return {
    get: {
      operationId,
      tags: [tag],
      summary,
      ...(description === undefined ? {} : { description }),
      parameters,
      responses: { '200': { description: summary, content: jsonContent(schemaId) }, ...problemResponses(READ_CODES) },
    },
  };
}

/** The query parameters of a list that has no filters of its own (`PageFilter`). */
function pageParams(): Json[] {
  return [
    queryParam('limit', 'Page size, 1-500 (default 100).', { type: 'integer', minimum: 1, maximum: 500 }),
    queryParam('continue', 'The `continue` token of the previous page.'),
  ];
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
          `Every spec revision of a ${kind.kind}, oldest first, a page at a time`,
          'Revisions',
          [pathParam('namespace', 'The namespace.'), pathParam('name', 'The name.'), ...pageParams()],
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
      'Walk the hash chain a page at a time and report the first broken link (admin or auditor role, and a token for every namespace)',
      'ChainVerification',
      [
        queryParam('limit', `Most events this page walks, 1-${VERIFY_MAX_LIMIT} (default 50000); a page also ends after about 2 s.`, {
          type: 'integer',
          minimum: 1,
          maximum: VERIFY_MAX_LIMIT,
        }),
        queryParam('continue', 'The `continue` token of the previous page: the walk resumes after the event it ended on.'),
      ],
      "Each page checks each event's link to the one before and its content against its hash, from the first event or " +
        'from `continue`, and counts them in `checked`. While the chain holds and events remain it answers `intact: true` ' +
        'with a `continue` token; follow it until a page carries none (the whole chain is intact) or answers ' +
        '`intact: false` with `firstBroken`. The next page first re-checks the event the last one ended on and its link, so ' +
        'a row changed or deleted between pages is still caught, and a token carrying another hash is reported as broken.',
    ),
    '/v1/runs/{id}/history': readOperation(
      'getRunHistory',
      'runs',
      'Every recorded status transition of a run, oldest first, a page at a time',
      'RunHistory',
      [pathParam('id', 'The run id.'), ...pageParams()],
    ),
    '/v1/correlations/{correlationId}': readOperation(
      'getCorrelation',
      'audit',
      'Every request and run that shares a correlation id, a page at a time',
      'Correlation',
      [
        pathParam('correlationId', 'The `correlationId` of the requests (body field or `X-Correlation-Id`).'),
        queryParam('limit', 'Most requests, and most runs, on one page: 1-1000 (default 100).', {
          type: 'integer',
          minimum: 1,
          maximum: 1000,
        }),
        queryParam(
          'continue',
          'The `continue` token of the previous page. Each request and each run is on one page only; a list that ended is empty on later pages.',
        ),
      ],
    ),
    ...revisions,
  };
}

// The dry run's body: a create body of any kind, the kind named beside it.
const PolicyEvaluateRequest = z.object({
  kind: z.enum(KINDS.map((k) => k.kind) as [string, ...string[]]),
  metadata: createBodyFor(z.unknown()).shape.metadata,
  spec: z.unknown().describe("the spec as the kind's create request takes it"),
});

/** `POST /v1/policy/evaluate`. */
function policyPaths(): Record<string, Json> {
  return {
    '/v1/policy/evaluate': {
      post: {
        operationId: 'evaluatePolicy',
        tags: ['policy'],
        summary: 'The policy decision a create would get, with nothing published, stored or applied',
        description:
          "Validates the body as the kind's create request, then asks the policy service to decide it against the policy as it is now. " +
          'The answer lists every violation (rule id, field path, reason, the policy that owns it and its mode) and the policy version.',
        requestBody: { required: true, content: jsonContent('PolicyEvaluateRequest') },
        responses: {
          '200': { description: 'The decision.', content: jsonContent('PolicyDecision') },
          ...problemResponses([
            'validation_failed',
            'unauthorized',
            'forbidden',
            'payload_too_large',
            'unsupported_media_type',
            'internal',
            'unavailable',
          ]),
        },
      },
    },
  };
}

const APPROVAL_DECISION_CODES: readonly ErrorCode[] = [
  'validation_failed',
  'delivery_id_required',
  'invalid_delivery_id',
  'unauthorized',
  'self_approval_forbidden',
  'approver_role_required',
  'not_found',
  'approval_already_decided',
  'approval_expired',
  'idempotency_key_reused',
  'payload_too_large',
  'unsupported_media_type',
  'internal',
  'unavailable',
];

function approvalDecisionOperation(verdict: 'approve' | 'deny'): Json {
  const effect = verdict === 'approve' ? 'provisions the held request' : 'rejects the held request with `approval_denied`';
  return {
    post: {
      operationId: `${verdict}Approval`,
      tags: ['policy'],
      summary: `${verdict === 'approve' ? 'Approve' : 'Deny'} a held request`,
      description:
        `Records the decision with the caller as approver and ${effect}. Idempotent on the deliveryId: the same approver retrying ` +
        'the same decision with it gets the same answer (`Idempotent-Replayed`); that deliveryId with another verdict or reason, or ' +
        'on another approval, is 422 `idempotency_key_reused`; any other decision of a decided approval is 409, as is any decision of one ' +
        'cancelled by a delete of its run (which then never starts). The requester may not ' +
        'decide their own request, and the caller needs the role the gating guardrail names (default `approver`).',
      parameters: [{ $ref: '#/components/parameters/IdempotencyKey' }, pathParam('id', 'The approval id.')],
      requestBody: { required: false, content: jsonContent('ApprovalDecisionRequest') },
      responses: {
        '200': { description: 'The approval, decided.', headers: REPLAYED, content: jsonContent('Approval') },
        ...problemResponses(APPROVAL_DECISION_CODES),
      },
    },
  };
}

/** The approval queue and its decisions, and the queue of runs a limit holds back. */
function approvalPaths(): Record<string, Json> {
  return {
    '/v1/approvals': readOperation(
      'listApprovals',
      'policy',
      "Requests held for approval in the caller's namespaces, newest first",
      'ApprovalPage',
      [
        queryParam('namespace', "Only this namespace (403 outside the token's namespaces)."),
        queryParam('state', 'Only approvals in this state.', { type: 'string', enum: [...ApprovalState.options] }),
        queryParam('limit', 'Page size, 1-500 (default 50).', { type: 'integer', minimum: 1, maximum: 500 }),
        queryParam('continue', 'The `continue` token of the previous page.'),
      ],
    ),
    '/v1/approvals/{id}': readOperation('getApproval', 'policy', 'One approval, with the request it holds', 'Approval', [
      pathParam('id', 'The approval id.'),
    ]),
    '/v1/queue': readOperation(
      'listQueue',
      'policy',
      "Runs a concurrency or rate limit holds back in the caller's namespaces: waiting ones in the order they will be tried, with their place in their namespace's queue; others newest first",
      'QueuePage',
      [
        queryParam('namespace', "Only this namespace (403 outside the token's namespaces)."),
        queryParam('state', 'Entries in this state (default Queued).', { type: 'string', enum: [...QueueState.options] }),
        queryParam('limit', 'Page size, 1-500 (default 50).', { type: 'integer', minimum: 1, maximum: 500 }),
        queryParam('continue', 'The `continue` token of the previous page.'),
      ],
    ),
    '/v1/approvals/{id}/approve': approvalDecisionOperation('approve'),
    '/v1/approvals/{id}/deny': approvalDecisionOperation('deny'),
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
      `a read of another namespace's object is ${cite('not_found')}. \`/livez\`, \`/readyz\` and \`/openapi.json\` need no token.`,
    '**Idempotency.** Every mutating request (POST, PUT, PATCH, DELETE) needs a deliveryId of 1-255 characters of `A-Za-z0-9._:-`. ' +
      'POST and PUT take it from the body field `deliveryId` or the `Idempotency-Key` header; PATCH only from the header; ' +
      'DELETE from the header or `?deliveryId=` ' +
      `(none: ${cite('delivery_id_required')}; two that differ: ${cite('invalid_delivery_id')}). ` +
      'Keys are scoped to the caller and kept for `JANGAR_IDEMPOTENCY_RETENTION_HOURS` (7 days by default). ' +
      'A retry of the same request gets the stored status and body byte for byte with `Idempotent-Replayed: true` and causes nothing new; ' +
      `the same key with a different request gets ${cite('idempotency_key_reused')}; a retry while the first is in flight waits for it ` +
      `or gets ${cite('request_in_progress')} with \`Retry-After\`.`,
    '**Waiting.** A mutating request waits up to `JANGAR_WAIT_MS` (2 s by default) for its outcome and answers 202 with a `Location` ' +
      'when the outcome is slower. `Prefer: respond-async` (RFC 7240) asks for the 202 as soon as the request is recorded; ' +
      '`Prefer: wait=<seconds>` shortens the wait. The `Location` of a run reads at once, as `Pending` until the run exists.',
    `**Errors.** Every failure is \`${PROBLEM_CONTENT_TYPE}\` (RFC 9457) with a stable \`code\` (the \`ErrorCode\` schema lists them all).`,
    `**Limits.** A body over \`JANGAR_BODY_LIMIT_BYTES\` (1 MiB by default) is ${cite('payload_too_large')}, and so is a request ` +
      "whose message on the bus would leave less than 64 KiB of the NATS server's `max_payload` (1 MiB by default) free; a body nested deeper than " +
      `${MAX_BODY_DEPTH} levels (the body itself being the first), or a NUL character (U+0000) or a lone surrogate (U+D800 to U+DFFF, ` +
      'JSON escapes such as `\\ud800` that no Unicode text holds) anywhere in the path, query or body, ' +
      `is ${cite('validation_failed')} naming where it was.`,
  ].join('\n\n');
}

/** The OpenAPI 3.1 document of the gateway's HTTP API. */
export function buildOpenApi(): object {
  return {
    openapi: '3.1.0',
    info: { title: 'Jangar', version: '0.1.0', description: apiDescription() },
    tags: [
      { name: 'resources', description: 'Create, list, read, replace, patch and delete the agent primitives.' },
      { name: 'runs', description: 'Read runs in their normalized form.' },
      { name: 'audit', description: 'The audit trail, revisions and correlations.' },
      { name: 'policy', description: 'Dry runs of policy decisions, and the approval queue.' },
      { name: 'operations', description: 'Probes and discovery; no token needed.' },
    ],
    security: [{ bearer: [] }],
    paths: {
      ...resourcePaths(),
      ...runListPaths(),
      '/v1/runs/{id}': runPath(),
      ...auditPaths(),
      ...policyPaths(),
      ...approvalPaths(),
      ...unauthenticatedPaths(),
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'A token from `JANGAR_API_TOKENS` (or `JANGAR_DEV_TOKEN` on loopback).' },
      },
      parameters: componentParameters(),
      headers: componentHeaders(),
      schemas: componentSchemas(),
    },
  };
}

/** The document built once, at module load, for the gateway to serve at `/openapi.json`. */
export const openApiDocument = buildOpenApi();
