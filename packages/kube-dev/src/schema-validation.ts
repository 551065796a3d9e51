import Ajv from 'ajv';
import type { ErrorObject, Options, ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { StatusCause } from './api-error.js';
import { isJsonObject, jsonEqual } from './json.js';
import type { ResourceDefinition } from './resources.js';

/** A node of a CRD's `openAPIV3Schema` (apiextensions.k8s.io/v1 `JSONSchemaProps`). */
export type JsonSchema = { [keyword: string]: unknown };

const PRESERVE = 'x-kubernetes-preserve-unknown-fields';
const INT_OR_STRING = 'x-kubernetes-int-or-string';
const EMBEDDED = 'x-kubernetes-embedded-resource';

// Fields an object root (or an x-kubernetes-embedded-resource) keeps whatever its schema says.
const ROOT_META_FIELDS = new Set(['apiVersion', 'kind', 'metadata']);

function isSchema(value: unknown): value is JsonSchema {
  return isJsonObject(value);
}

// ---------------------------------------------------------------------------------------------
// Regular expressions. The API server compiles `pattern` with Go's RE2; ajv uses JavaScript's
// engine, so the RE2-only spellings are rewritten. A pattern that still does not compile is left
// unchecked (it matches everything) rather than failing every write.

// Characters that may follow `\` in a JavaScript regexp with the `u` flag.
const JS_SYNTAX = new Set(['^', '$', '\\', '.', '*', '+', '?', '(', ')', '[', ']', '{', '}', '|', '/']);
const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

/** Rewrites an RE2 pattern as JavaScript source plus flags; undefined when it uses RE2-only features. */
export function re2ToJavaScript(pattern: string): { source: string; flags: string } | undefined {
  let rest = pattern;
  let flags = '';
  const leading = /^\(\?([imsU]+)\)/.exec(rest);
  if (leading) {
    const letters = leading[1] as string;
    if (letters.includes('U')) return undefined; // ungreedy-by-default has no JavaScript spelling
    flags = letters;
    rest = rest.slice(leading[0].length);
  }
  let out = '';
  let inClass = false;
  for (let i = 0; i < rest.length; i++) {
    const ch = rest[i] as string;
    if (ch === '\\') {
      const next = rest[i + 1];
      if (next === undefined) return undefined;
      i++;
      if (next === 'x' && rest[i + 1] === '{') {
        const end = rest.indexOf('}', i);
        if (end === -1) return undefined;
        out += `\\u{${rest.slice(i + 2, end)}}`;
        i = end;
      } else if ((next === 'p' || next === 'P') && /[A-Za-z]/.test(rest[i + 1] ?? '')) {
        out += `\\${next}{${rest[i + 1] as string}}`;
        i++;
      } else if (next === 'z') out += '(?![\\s\\S])';
      else if (next === 'A') out += '(?<![\\s\\S])';
      else if (next === 'Q') return undefined;
      else if (/[A-Za-z0-9]/.test(next) || JS_SYNTAX.has(next) || (inClass && next === '-')) out += `\\${next}`;
      // RE2 lets any punctuation be escaped; JavaScript's `u` mode only its syntax characters.
      else out += next;
      continue;
    }
    if (inClass) {
      const posix = /^\[:(\^?)([a-z]+):\]/.exec(rest.slice(i));
      if (posix) {
        const ranges = POSIX_CLASSES[posix[2] as string];
        if (ranges === undefined || posix[1] === '^') return undefined;
        out += ranges;
        i += posix[0].length - 1;
        continue;
      }
      if (ch === ']') inClass = false;
      out += ch;
      continue;
    }
    if (ch === '[') {
      inClass = true;
      out += ch;
      // A `]` right after `[` or `[^` is a literal in RE2.
      if (rest[i + 1] === '^') out += rest[++i] as string;
      if (rest[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (ch === '(' && rest.startsWith('(?P<', i)) {
      out += '(?<';
      i += 3;
      continue;
    }
    out += ch;
  }
  return { source: out, flags };
}

function compilePattern(pattern: string): RegExp {
  const js = re2ToJavaScript(pattern);
  if (js) {
    for (const flags of [`${js.flags}u`, js.flags]) {
      try {
        return new RegExp(js.source, flags);
      } catch {
        // try the next spelling
      }
    }
  }
  return /(?:)/;
}

type RegExpEngine = NonNullable<NonNullable<Options['code']>['regExp']>;

const re2Engine: RegExpEngine = Object.assign((pattern: string) => compilePattern(pattern), { code: 'kubeDevRe2' });

// ---------------------------------------------------------------------------------------------
// Formats. The API server knows these formats with (near enough) the meaning ajv-formats gives
// them; any other format is ignored, as kube-apiserver ignores formats it does not support.

const FORMATS: Record<string, Parameters<typeof addFormats.get>[0]> = {
  date: 'date',
  // kube-openapi's date-time also accepts a local time without an offset.
  'date-time': 'iso-date-time',
  email: 'email',
  hostname: 'hostname',
  ipv4: 'ipv4',
  ipv6: 'ipv6',
  // Go's url.Parse accepts relative references too.
  uri: 'uri-reference',
  uuid: 'uuid',
  byte: 'byte',
  password: 'password',
  int32: 'int32',
  int64: 'int64',
  float: 'float',
  double: 'double',
};

let sharedAjv: Ajv | undefined;

function ajvInstance(): Ajv {
  if (sharedAjv) return sharedAjv;
  const ajv = new Ajv({ strict: false, allErrors: true, logger: false, code: { regExp: re2Engine } });
  for (const [name, as] of Object.entries(FORMATS)) ajv.addFormat(name, addFormats.get(as));
  sharedAjv = ajv;
  return ajv;
}

/**
 * Translates a Kubernetes structural schema into plain JSON Schema for ajv: `nullable` becomes a
 * `null` type, `x-kubernetes-int-or-string` an integer-or-string type, OpenAPI 3.0's boolean
 * `exclusiveMinimum`/`exclusiveMaximum` the numeric form, and unsupported formats are dropped.
 * `x-kubernetes-validations` (CEL rules) are removed: kube-dev does not implement CEL, so those
 * rules are left unevaluated and only a real API server enforces them.
 */
export function toAjvSchema(node: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    switch (key) {
      case 'properties':
        if (isSchema(value))
          out.properties = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, isSchema(v) ? toAjvSchema(v) : v]));
        break;
      case 'items':
      case 'additionalProperties':
      case 'not':
        out[key] = isSchema(value) ? toAjvSchema(value) : value;
        break;
      case 'allOf':
      case 'anyOf':
      case 'oneOf':
        out[key] = Array.isArray(value) ? value.map((v) => (isSchema(v) ? toAjvSchema(v) : v)) : value;
        break;
      case 'format':
        if (typeof value === 'string' && Object.hasOwn(FORMATS, value)) out.format = value;
        break;
      case 'nullable':
      case 'default':
      case 'x-kubernetes-validations':
        break;
      default:
        out[key] = value;
    }
  }
  if (node[INT_OR_STRING] === true && out.type === undefined) out.type = ['integer', 'string'];
  if (node.nullable === true && out.type !== undefined) out.type = [...(Array.isArray(out.type) ? out.type : [out.type]), 'null'];
  for (const [exclusive, bound] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    if (typeof out[exclusive] !== 'boolean') continue;
    if (out[exclusive] === true && typeof out[bound] === 'number') {
      out[exclusive] = out[bound];
      delete out[bound];
    } else delete out[exclusive];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Paths: kube writes `spec.steps[0].name`, ajv `/spec/steps/0/name`.

function pointerTokens(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The kube field path of a JSON pointer into `data`: keys joined by `.`, array indices as `[i]`. */
function fieldPath(data: unknown, tokens: readonly string[]): string {
  let path = '';
  let cursor = data;
  for (const token of tokens) {
    if (Array.isArray(cursor)) {
      path += `[${token}]`;
      cursor = cursor[Number(token)];
    } else {
      path += path === '' ? token : `.${token}`;
      cursor = isJsonObject(cursor) ? cursor[token] : undefined;
    }
  }
  return path;
}

function valueAt(data: unknown, tokens: readonly string[]): { found: boolean; value: unknown } {
  let cursor = data;
  for (const token of tokens) {
    if (Array.isArray(cursor) && /^\d+$/.test(token) && Number(token) < cursor.length) cursor = cursor[Number(token)];
    else if (isJsonObject(cursor) && Object.hasOwn(cursor, token)) cursor = cursor[token];
    else return { found: false, value: undefined };
  }
  return { found: true, value: cursor };
}

// ---------------------------------------------------------------------------------------------
// Messages, worded as k8s.io/apimachinery's field.Error and kube-openapi's validation errors.

/** A bad value as field.Error prints it: strings quoted, numbers and booleans bare, the rest as JSON. */
function showValue(value: unknown): string {
  if (value === null || value === undefined) return '"null"';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** The JSON type kube-openapi names for a decoded value. */
function jsonTypeOf(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function quotedList(values: readonly unknown[]): string {
  return values.map((v) => JSON.stringify(typeof v === 'string' ? v : JSON.stringify(v))).join(', ');
}

function sizeOf(value: unknown): number {
  if (Array.isArray(value)) return value.length;
  if (isJsonObject(value)) return Object.keys(value).length;
  return typeof value === 'string' ? [...value].length : 0;
}

function invalidValue(field: string, value: unknown, detail: string): StatusCause {
  return { reason: 'FieldValueInvalid', field, message: `Invalid value: ${showValue(value)}: ${detail}` };
}

function causeOf(error: ErrorObject, field: string, value: unknown): StatusCause {
  const params = error.params as Record<string, unknown>;
  const path = field === '' ? '.' : field;
  switch (error.keyword) {
    case 'required':
      return { reason: 'FieldValueRequired', field, message: 'Required value' };
    case 'enum': {
      const allowed = (params.allowedValues as unknown[] | undefined) ?? [];
      return {
        reason: 'FieldValueNotSupported',
        field,
        message: `Unsupported value: ${showValue(value)}: supported values: ${quotedList(allowed)}`,
      };
    }
    case 'type': {
      // `nullable` is a flag to kube-openapi, not a type it names.
      const expected = (Array.isArray(params.type) ? (params.type as unknown[]) : [params.type]).filter((t) => t !== 'null').join(',');
      const actual = jsonTypeOf(value);
      return {
        reason: 'FieldValueTypeInvalid',
        field,
        message: `Invalid value: "${actual}": ${path} in body must be of type ${expected}: "${actual}"`,
      };
    }
    case 'format':
      return {
        reason: 'FieldValueTypeInvalid',
        field,
        message: `Invalid value: ${showValue(value)}: ${path} in body must be of type ${String(params.format)}: ${JSON.stringify(String(value))}`,
      };
    case 'pattern':
      return invalidValue(field, value, `${path} in body should match '${String(params.pattern)}'`);
    case 'minLength':
      return invalidValue(field, value, `${path} in body should be at least ${String(params.limit)} chars long`);
    case 'maxLength': {
      const limit = Number(params.limit);
      return { reason: 'FieldValueTooLong', field, message: `Too long: may not be more than ${limit} ${limit === 1 ? 'byte' : 'bytes'}` };
    }
    case 'minimum':
    case 'exclusiveMinimum':
      return invalidValue(
        field,
        value,
        `${path} in body should be greater than ${params.comparison === '>=' ? 'or equal to ' : ''}${String(params.limit)}`,
      );
    case 'maximum':
    case 'exclusiveMaximum':
      return invalidValue(
        field,
        value,
        `${path} in body should be less than ${params.comparison === '<=' ? 'or equal to ' : ''}${String(params.limit)}`,
      );
    case 'multipleOf':
      return invalidValue(field, value, `${path} in body should be a multiple of ${String(params.multipleOf)}`);
    case 'minItems':
      return invalidValue(field, sizeOf(value), `${path} in body should have at least ${String(params.limit)} items`);
    case 'maxItems':
    case 'maxProperties': {
      const limit = Number(params.limit);
      return {
        reason: 'FieldValueTooMany',
        field,
        message: `Too many: ${sizeOf(value)}: must have at most ${limit} ${limit === 1 ? 'item' : 'items'}`,
      };
    }
    case 'minProperties':
      return invalidValue(field, sizeOf(value), `${path} in body should have at least ${String(params.limit)} properties`);
    case 'uniqueItems':
      return invalidValue(field, '', `${path} in body shouldn't contain duplicates`);
    case 'anyOf':
      return invalidValue(field, value, `${path} in body must validate at least one schema (anyOf)`);
    case 'oneOf':
      return invalidValue(field, value, `${path} in body must validate one and only one schema (oneOf)`);
    case 'not':
      return invalidValue(field, value, `${path} in body must not validate the schema (not)`);
    case 'additionalProperties':
      return {
        reason: 'FieldValueForbidden',
        field: `${field}.${String(params.additionalProperty)}`,
        message: 'Forbidden: field not allowed',
      };
    default:
      return invalidValue(field, value, `${path} in body ${error.message ?? 'is invalid'}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Pruning and defaulting, after k8s.io/apiextensions-apiserver's schema/pruning and
// schema/defaulting packages.

/** The schema of property `key` of an object node: a declared property, else additionalProperties. */
function fieldSchema(node: JsonSchema | undefined, key: string): JsonSchema | undefined {
  if (!node) return undefined;
  const properties = isSchema(node.properties) ? node.properties : undefined;
  const declared = properties?.[key];
  if (isSchema(declared)) return declared;
  return isSchema(node.additionalProperties) ? node.additionalProperties : undefined;
}

function joinKey(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function itemsOf(node: JsonSchema | undefined): JsonSchema | undefined {
  return node && isSchema(node.items) ? node.items : undefined;
}

function child(stored: unknown, key: string | number): unknown {
  if (typeof key === 'number') return Array.isArray(stored) ? stored[key] : undefined;
  return isJsonObject(stored) ? stored[key] : undefined;
}

/** Where pruning records the paths it drops. */
interface PruneContext {
  pruned: string[];
}

/**
 * Removes, in place, fields the schema does not declare, recording their paths. An object node
 * without a schema (`undefined`) loses every field, as in the API server; at the root and in an
 * `x-kubernetes-embedded-resource`, `apiVersion`, `kind` and `metadata` are kept. `stored` is the same node of the stored object:
 * an undeclared field it already holds with the same value is kept (see {@link SchemaValidator.normalize}).
 */
function prune(value: unknown, node: JsonSchema | undefined, path: string, ctx: PruneContext, stored: unknown, root = false): void {
  if (node?.[PRESERVE] === true) return keepUnknown(value, node, path, ctx, stored, root);
  if (Array.isArray(value)) {
    value.forEach((item, i) => prune(item, itemsOf(node), `${path}[${i}]`, ctx, child(stored, i)));
    return;
  }
  if (!isJsonObject(value)) return;
  const properties = node && isSchema(node.properties) ? node.properties : undefined;
  const extra = node?.additionalProperties;
  const embedded = root || node?.[EMBEDDED] === true;
  for (const key of Object.keys(value)) {
    if (embedded && ROOT_META_FIELDS.has(key)) continue;
    const declared = properties?.[key];
    const at = joinKey(path, key);
    const before = child(stored, key);
    if (isSchema(declared)) prune(value[key], declared, at, ctx, before);
    else if (isSchema(extra)) prune(value[key], extra, at, ctx, before);
    // `additionalProperties: true` declares the keys but no schema for their values.
    else if (node !== undefined && extra === true) prune(value[key], undefined, at, ctx, before);
    else if (before !== undefined && jsonEqual(before, value[key])) continue;
    else {
      ctx.pruned.push(at);
      delete value[key];
    }
  }
}

/** `x-kubernetes-preserve-unknown-fields`: unknown fields stay, declared ones are still pruned inside. */
function keepUnknown(value: unknown, node: JsonSchema | undefined, path: string, ctx: PruneContext, stored: unknown, root = false): void {
  if (!node) return;
  if (Array.isArray(value)) {
    value.forEach((item, i) => keepUnknown(item, itemsOf(node), `${path}[${i}]`, ctx, child(stored, i)));
    return;
  }
  if (!isJsonObject(value)) return;
  const properties = isSchema(node.properties) ? node.properties : undefined;
  const embedded = root || node[EMBEDDED] === true;
  for (const key of Object.keys(value)) {
    if (embedded && ROOT_META_FIELDS.has(key)) continue;
    const declared = properties?.[key];
    const sub = isSchema(declared) ? declared : isSchema(node.additionalProperties) ? node.additionalProperties : undefined;
    if (sub) prune(value[key], sub, joinKey(path, key), ctx, child(stored, key));
  }
}

function nonNullableNull(value: unknown, node: JsonSchema | undefined): boolean {
  return value === null && node !== undefined && node.nullable !== true;
}

/** Drops nulls the schema does not allow and has no default for, as kube-apiserver does before defaulting. */
function pruneNulls(value: unknown, node: JsonSchema | undefined, root = false): void {
  if (Array.isArray(value)) {
    for (const item of value) pruneNulls(item, itemsOf(node));
    return;
  }
  if (!isJsonObject(value)) return;
  for (const key of Object.keys(value)) {
    if (root && ROOT_META_FIELDS.has(key)) continue;
    const sub = fieldSchema(node, key);
    if (nonNullableNull(value[key], sub) && sub?.default === undefined) delete value[key];
    else pruneNulls(value[key], sub);
  }
}

/** Fills in `default`s for absent fields and for non-nullable nulls, in place. */
function applyDefaults(value: unknown, node: JsonSchema | undefined, root = false): void {
  if (!node) return;
  if (Array.isArray(value)) {
    const items = itemsOf(node);
    value.forEach((item, i) => {
      if (items?.default !== undefined && nonNullableNull(item, items)) value[i] = structuredClone(items.default);
      applyDefaults(value[i], items);
    });
    return;
  }
  if (!isJsonObject(value)) return;
  if (isSchema(node.properties)) {
    for (const [key, sub] of Object.entries(node.properties)) {
      if (root && ROOT_META_FIELDS.has(key)) continue;
      if (!isSchema(sub) || sub.default === undefined) continue;
      if (!Object.hasOwn(value, key) || nonNullableNull(value[key], sub)) value[key] = structuredClone(sub.default);
    }
  }
  for (const key of Object.keys(value)) {
    if (root && ROOT_META_FIELDS.has(key)) continue;
    const sub = fieldSchema(node, key);
    if (sub?.default !== undefined && nonNullableNull(value[key], sub)) value[key] = structuredClone(sub.default);
    applyDefaults(value[key], sub);
  }
}

// ---------------------------------------------------------------------------------------------

/** An object after the schema's pruning and defaulting. */
export interface Normalized<T> {
  object: T;
  /** Dotted paths of the fields pruned as unknown, e.g. `spec.foo`. */
  pruned: string[];
}

/**
 * One CRD version's `openAPIV3Schema`, compiled: prunes and defaults objects, and reports schema
 * violations as the field causes of a 422, worded as kube-apiserver words them.
 *
 * Not implemented: `x-kubernetes-validations` (CEL) rules are not evaluated; list-type
 * (`x-kubernetes-list-type: set|map`) uniqueness is not checked.
 */
export class SchemaValidator {
  private readonly check: ValidateFunction;

  constructor(readonly schema: JsonSchema) {
    this.check = ajvInstance().compile(toAjvSchema(schema));
  }

  /**
   * A copy of `object` with unknown fields pruned, disallowed nulls dropped and defaults applied,
   * in the API server's order. `apiVersion`, `kind` and `metadata` at the root are left alone.
   *
   * With `stored` (an update), an undeclared field the stored object already holds with the same
   * value is kept. Against a real API server that changes nothing, since nothing undeclared is
   * ever stored; here the simulator may store status fields the schema does not declare (see
   * ObjectStore.update), and a client's patch must not strip them as a side effect.
   */
  normalize<T extends Record<string, unknown>>(object: T, stored?: unknown): Normalized<T> {
    const copy = structuredClone(object);
    const ctx: PruneContext = { pruned: [] };
    prune(copy, this.schema, '', ctx, stored, true);
    pruneNulls(copy, this.schema, true);
    applyDefaults(copy, this.schema, true);
    return { object: copy, pruned: ctx.pruned };
  }

  /**
   * Field errors of `object` against the schema. With `old` (an update), errors on values left
   * unchanged are ratcheted away, as kube-apiserver's CRD validation ratcheting does, so an
   * object stored before a schema tightened can still be relabelled or have its status written.
   * Lists are atomic for ratcheting: an error inside one counts as unchanged only if the whole
   * list is.
   */
  validate(object: unknown, old?: unknown): StatusCause[] {
    if (this.check(object)) return [];
    const causes: StatusCause[] = [];
    for (const error of this.check.errors ?? []) {
      // kube reports the failed anyOf/oneOf itself, not the failures of each branch.
      if (/\/(anyOf|oneOf)\/\d+\//.test(error.schemaPath)) continue;
      const tokens = pointerTokens(error.instancePath);
      if (old !== undefined && this.unchanged(object, old, tokens)) continue;
      const missing = error.keyword === 'required' ? String((error.params as { missingProperty: string }).missingProperty) : undefined;
      const base = fieldPath(object, tokens);
      const field = missing === undefined ? base : joinKey(base, missing);
      const cause = causeOf(error, field, valueAt(object, tokens).value);
      if (!causes.some((c) => c.field === cause.field && c.message === cause.message)) causes.push(cause);
    }
    return causes;
  }

  private unchanged(object: unknown, old: unknown, tokens: readonly string[]): boolean {
    // The deepest node ratcheting can correlate: the path itself, or the first list on it.
    const correlated: string[] = [];
    let cursor = object;
    for (const token of tokens) {
      if (Array.isArray(cursor)) break;
      correlated.push(token);
      cursor = isJsonObject(cursor) ? cursor[token] : undefined;
    }
    const now = valueAt(object, correlated);
    const before = valueAt(old, correlated);
    return now.found && before.found && jsonEqual(now.value, before.value);
  }
}

const compiled = new Map<string, SchemaValidator>();

/** The validator of a schema, compiled once per process for each distinct schema. */
export function validatorForSchema(schema: JsonSchema): SchemaValidator {
  const key = JSON.stringify(schema);
  let validator = compiled.get(key);
  if (!validator) {
    validator = new SchemaValidator(schema);
    compiled.set(key, validator);
  }
  return validator;
}

const byResource = new WeakMap<ResourceDefinition, SchemaValidator | null>();

/** The validator of a served resource; undefined for one registered without a schema. */
export function validatorOf(res: ResourceDefinition): SchemaValidator | undefined {
  let validator = byResource.get(res);
  if (validator === undefined) {
    validator = res.schema ? validatorForSchema(res.schema) : null;
    byResource.set(res, validator);
  }
  return validator ?? undefined;
}
