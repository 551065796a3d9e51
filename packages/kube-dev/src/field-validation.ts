import type { ServerResponse } from 'node:http';
import { badRequest } from './api-error.js';
import { unknownMetaFields } from './object-meta.js';
import type { ResourceDefinition } from './resources.js';
import { validatorOf } from './schema-validation.js';
import type { InputObject, KubeObject } from './types.js';

/** The `fieldValidation` directive of a write: what to do about fields the server would drop. */
export type FieldValidation = 'Ignore' | 'Warn' | 'Strict';

const DIRECTIVES: readonly FieldValidation[] = ['Ignore', 'Warn', 'Strict'];

/** Reads `fieldValidation`; absent means `Warn`, kube-apiserver's default since 1.27. */
export function fieldValidationOf(query: URLSearchParams): FieldValidation {
  const raw = query.get('fieldValidation') ?? '';
  if (raw === '') return 'Warn';
  if ((DIRECTIVES as readonly string[]).includes(raw)) return raw as FieldValidation;
  throw badRequest(`fieldValidation: Unsupported value: ${JSON.stringify(raw)}: supported values: "", "Ignore", "Strict", "Warn"`);
}

/**
 * The fields of a request body the server drops as unknown, sorted: undeclared ObjectMeta fields
 * and whatever the resource's schema prunes. Fields the stored object already holds do not count.
 */
export function unknownFields(res: ResourceDefinition, input: InputObject, stored?: KubeObject): string[] {
  const meta = unknownMetaFields(input.metadata).map((key) => `metadata.${key}`);
  const pruned = validatorOf(res)?.normalize(input, stored).pruned ?? [];
  return [...meta, ...pruned].sort();
}

function warningHeader(text: string): string {
  return `299 - ${JSON.stringify(text)}`;
}

/**
 * Applies the request's `fieldValidation` to the unknown fields of its body: `Strict` fails the
 * write with a 400 BadRequest, `Warn` adds a `Warning: 299` header per field, `Ignore` does neither.
 * The fields are pruned either way when the write is stored.
 */
export function enforceFieldValidation(
  res: ResourceDefinition,
  input: InputObject,
  query: URLSearchParams,
  response: ServerResponse,
  stored?: KubeObject,
): void {
  const directive = fieldValidationOf(query);
  if (directive === 'Ignore') return;
  const unknown = unknownFields(res, input, stored);
  if (unknown.length === 0) return;
  if (directive === 'Strict') {
    const fields = unknown.map((field) => `unknown field ${JSON.stringify(field)}`).join(', ');
    throw badRequest(
      `${res.kind} in version ${JSON.stringify(res.version)} cannot be handled as a ${res.kind}: strict decoding error: ${fields}`,
    );
  }
  response.setHeader(
    'Warning',
    unknown.map((field) => warningHeader(`unknown field ${JSON.stringify(field)}`)),
  );
}
