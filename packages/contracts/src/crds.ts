import { z } from 'zod';
import type { KindDefinition } from './kinds.js';
import { KINDS, phasesOf } from './kinds.js';

/** A schema node as apiextensions.k8s.io/v1 `JSONSchemaProps` reads it. */
export type JsonSchema = { [keyword: string]: unknown };

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
}

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string };
  spec: {
    group: string;
    names: { kind: string; listKind: string; plural: string; singular: string; shortNames: string[]; categories: string[] };
    scope: 'Namespaced';
    versions: Array<{
      name: string;
      served: boolean;
      storage: boolean;
      subresources: { status: Record<string, never> };
      additionalPrinterColumns: PrinterColumn[];
      schema: { openAPIV3Schema: JsonSchema };
    }>;
  };
}

interface CelRule {
  rule: string;
  message: string;
}

interface Refinement {
  /** Property names from the resource root down to the node the rule sits on. */
  at: readonly string[];
  validations?: readonly CelRule[];
  keywords?: JsonSchema;
}

// zod refinements are functions, invisible to toJSONSchema. Those the API server can check cheaply
// are restated here (CEL, or a plain keyword), with zod's messages, so a resource applied with
// kubectl meets the rules one created through Jangar does. Rules on unbounded lists are left out:
// their estimated CEL cost can get the whole CRD rejected.
const REFINEMENTS: Readonly<Record<string, readonly Refinement[]>> = {
  Agent: [
    {
      at: ['spec', 'defaults'],
      validations: [
        { rule: '!(has(self.systemPrompt) && has(self.systemPromptRef))', message: 'set systemPrompt or systemPromptRef, not both' },
      ],
    },
  ],
  AgentRun: [
    {
      at: ['spec'],
      validations: [
        {
          rule: 'has(self.implementationSpecRef) || has(self.implementation)',
          message: 'set implementationSpecRef.name or implementation.inline',
        },
        {
          rule: "!has(self.parameters) || !('prompt' in self.parameters)",
          message: 'the key "prompt" is not allowed; use the implementation text',
        },
        { rule: "self.runtime.type != 'workflow' || has(self.workflow)", message: 'runtime type "workflow" needs workflow.steps' },
      ],
    },
    // A keyword rather than CEL `size()`: it also bounds the cost estimate of the `in` rule above.
    { at: ['spec', 'parameters'], keywords: { maxProperties: 100 } },
  ],
};

const PRESERVE = 'x-kubernetes-preserve-unknown-fields';
const INT_OR_STRING = 'x-kubernetes-int-or-string';

// Output order of keywords, so the generated YAML reads the same way for every node.
const KEYWORD_ORDER = [
  'description',
  'title',
  'type',
  'format',
  'nullable',
  'enum',
  'default',
  'example',
  'minimum',
  'exclusiveMinimum',
  'maximum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'items',
  'minProperties',
  'maxProperties',
  'properties',
  'required',
  'additionalProperties',
  'allOf',
  'anyOf',
  'oneOf',
  INT_OR_STRING,
  PRESERVE,
  'x-kubernetes-validations',
];
const KEPT = new Set(KEYWORD_ORDER);

// Keywords that may not appear inside allOf/anyOf/oneOf in a structural schema.
const STRUCTURAL_ONLY = ['type', 'description', 'title', 'default', 'nullable', 'additionalProperties', 'format', PRESERVE, INT_OR_STRING];

// Formats the API server's validator knows with the same meaning zod gives them; the rest
// (zod's ISO `duration`, `ends_with`, `cidrv4`, …) would be ignored or misread, so they go.
const FORMATS = new Set(['date', 'date-time', 'email', 'hostname', 'ipv4', 'ipv6', 'uri', 'uuid', 'int32', 'int64', 'float', 'double']);

function isSchema(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function ordered(node: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  for (const key of KEYWORD_ORDER) if (node[key] !== undefined) out[key] = node[key];
  return out;
}

function resolvePointer(root: JsonSchema, ref: string): JsonSchema {
  if (!ref.startsWith('#')) throw new Error(`cannot inline external $ref "${ref}"`);
  let node: unknown = root;
  for (const raw of ref.slice(1).split('/').filter(Boolean)) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    node = isSchema(node) ? node[key] : undefined;
  }
  if (!isSchema(node)) throw new Error(`$ref "${ref}" does not resolve`);
  return node;
}

// The API server compiles patterns with Go's RE2, which has no lookaround or backreferences; such a
// pattern is dropped (zod still enforces it), and JS-only spellings RE2 can say are rewritten.
function re2Pattern(pattern: string): string | undefined {
  if (/\(\?<?[=!]|\\[1-9]|\\k</.test(pattern)) return undefined;
  return pattern.replace(/\(\?<([A-Za-z_]\w*)>/g, '(?P<$1>').replace(/\\u([0-9A-Fa-f]{4})/g, '\\x{$1}');
}

/** Keeps only what can be checked outside a junctor: value validations, stripped of structure. */
function valueValidation(node: JsonSchema): JsonSchema {
  const out = { ...node };
  for (const key of STRUCTURAL_ONLY) delete out[key];
  return out;
}

/** Intersects two already-structural schemas; clashing value validations go into `allOf`. */
function intersect(a: JsonSchema, b: JsonSchema): JsonSchema {
  const out: JsonSchema = { ...a };
  const residue: JsonSchema = {};
  for (const [key, value] of Object.entries(b)) {
    const mine = out[key];
    if (mine === undefined) out[key] = value;
    else if (same(mine, value)) continue;
    else if (key === 'properties' && isSchema(mine) && isSchema(value)) {
      const props: JsonSchema = { ...mine };
      for (const [name, sub] of Object.entries(value))
        props[name] = isSchema(props[name]) && isSchema(sub) ? intersect(props[name], sub) : sub;
      out.properties = props;
    } else if (key === 'required' && Array.isArray(mine) && Array.isArray(value)) out.required = [...new Set([...mine, ...value])];
    else if (key === 'allOf' && Array.isArray(mine) && Array.isArray(value)) out.allOf = [...mine, ...value];
    else if (STRUCTURAL_ONLY.includes(key) || key === 'items')
      continue; // the first schema's shape wins
    else residue[key] = value;
  }
  if (Object.keys(residue).length > 0) out.allOf = [...((out.allOf as JsonSchema[] | undefined) ?? []), residue];
  return ordered(out);
}

function isNullBranch(node: JsonSchema): boolean {
  return node.type === 'null' || (Array.isArray(node.enum) && node.enum.length === 1 && node.enum[0] === null);
}

/** Folds the branches of an anyOf/oneOf into one structural schema, loosening where k8s cannot say it. */
function alternatives(branches: JsonSchema[], junctor: 'anyOf' | 'oneOf'): JsonSchema {
  const nullable = branches.some((b) => isNullBranch(b) || b.nullable === true);
  const rest = branches.filter((b) => !isNullBranch(b));
  const withNull = (node: JsonSchema): JsonSchema => (nullable ? { ...node, nullable: true } : node);
  if (rest.length === 0) return { nullable: true, [PRESERVE]: true };
  if (rest.length === 1) return withNull(rest[0] as JsonSchema);

  const types = new Set(rest.map((b) => b.type));
  if (types.size === 2 && types.has('integer') && types.has('string')) return withNull({ [INT_OR_STRING]: true });
  if (types.size === 1 && types.has(undefined)) {
    // Untyped branches only constrain values of a type given beside the junctor (`z.string()` with
    // two patterns, say); k8s allows exactly that inside a junctor.
    const checks = rest.map(valueValidation);
    return checks.some((c) => Object.keys(c).length === 0) ? {} : { [junctor]: checks };
  }
  if (types.size !== 1) return withNull({ [PRESERVE]: true });
  const type = rest[0]?.type;

  if (type === 'object') {
    // A union of objects (a discriminated union, say) becomes one object that admits every
    // variant: each property any variant has, required only where every variant requires it.
    const properties: JsonSchema = {};
    const shapes = new Map<string, JsonSchema[]>();
    for (const b of rest) {
      for (const [name, sub] of Object.entries((b.properties as JsonSchema | undefined) ?? {})) {
        shapes.set(name, [...(shapes.get(name) ?? []), sub as JsonSchema]);
      }
    }
    for (const [name, subs] of shapes) {
      const unique = subs.filter((s, i) => subs.findIndex((t) => same(s, t)) === i);
      properties[name] = unique.length === 1 ? (unique[0] as JsonSchema) : withFallback(alternatives(unique, 'anyOf'));
    }
    const required = [...shapes.keys()].filter((name) => rest.every((b) => Array.isArray(b.required) && b.required.includes(name)));
    const open = rest.some((b) => b[PRESERVE] === true || b.additionalProperties !== undefined);
    const node: JsonSchema = { type: 'object' };
    if (shapes.size > 0) node.properties = properties;
    if (required.length > 0) node.required = required;
    if (open || shapes.size === 0) node[PRESERVE] = true;
    return withNull(ordered(node));
  }
  if (type === 'array') {
    const items = rest.map((b) => (b.items as JsonSchema | undefined) ?? { [PRESERVE]: true });
    return withNull({ type: 'array', items: withFallback(alternatives(items, 'anyOf')) });
  }
  // Scalars of one type: literals merge into one enum; other constraints stay as value validations.
  const checks = rest.map(valueValidation);
  if (checks.every((c) => Object.keys(c).length === 1 && Array.isArray(c.enum))) {
    const values = checks.flatMap((c) => c.enum as unknown[]).filter((v, i, all) => all.findIndex((w) => same(v, w)) === i);
    return withNull({ type, enum: values });
  }
  if (checks.some((c) => Object.keys(c).length === 0)) return withNull({ type });
  return withNull({ type, [junctor]: checks });
}

/** A node that still has no type after conversion accepts anything, which k8s spells this way. */
function withFallback(node: JsonSchema): JsonSchema {
  return node.type === undefined && node[INT_OR_STRING] !== true && node[PRESERVE] !== true ? ordered({ ...node, [PRESERVE]: true }) : node;
}

/** A field, item or map value: converted, and typed or explicitly open. */
function convert(input: unknown, root: JsonSchema, expanding: readonly string[]): JsonSchema | undefined {
  const node = shape(input, root, expanding);
  if (node?.type === 'null') return { nullable: true, [PRESERVE]: true }; // k8s has no null type
  return node === undefined ? undefined : withFallback(node);
}

/**
 * Converts one zod-emitted JSON Schema node, and everything under it, to structural form; undefined
 * when no value can match. Junctor branches come through here too, so no fallback type is added.
 */
function shape(input: unknown, root: JsonSchema, expanding: readonly string[]): JsonSchema | undefined {
  if (input === true || input === undefined) return { [PRESERVE]: true };
  if (input === false || !isSchema(input)) return undefined;
  let node: JsonSchema = { ...input };

  if (typeof node.$ref === 'string') {
    const { $ref: ref, ...siblings } = node as JsonSchema & { $ref: string };
    const target = resolvePointer(root, ref);
    // A recursive schema cannot be inlined forever; below its first level it is left open.
    if (expanding.includes(ref)) return ordered({ ...(target.type === 'object' ? { type: 'object' } : {}), [PRESERVE]: true });
    return shape({ ...target, ...siblings }, root, [...expanding, ref]);
  }
  // `z.never()`: no value is valid; the caller drops the property, which pruning then removes.
  if (isSchema(node.not) && Object.keys(node.not).length === 0) return undefined;

  if ('const' in node) {
    node.enum = [node.const];
    delete node.const;
  }
  if (Array.isArray(node.type)) {
    const types = node.type as string[];
    if (types.includes('null')) node.nullable = true;
    const real = types.filter((t) => t !== 'null');
    if (real.length === 1) node.type = real[0];
    else {
      delete node.type;
      node.anyOf = real.map((t) => ({ type: t }));
    }
  }
  for (const [exclusive, bound] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    // Draft 2019+ writes the bound into exclusiveMinimum; OpenAPI 3.0 wants minimum plus a flag.
    const value = node[exclusive];
    if (typeof value === 'number') {
      const current = node[bound];
      const tighter = typeof current !== 'number' || (bound === 'minimum' ? value >= current : value <= current);
      if (tighter) {
        node[bound] = value;
        node[exclusive] = true;
      } else delete node[exclusive];
    }
  }
  // `.int()` bounds at ±2^53 only restate JavaScript's number precision, not a domain limit.
  if (node.minimum === -Number.MAX_SAFE_INTEGER && node.exclusiveMinimum !== true) delete node.minimum;
  if (node.maximum === Number.MAX_SAFE_INTEGER && node.exclusiveMaximum !== true) delete node.maximum;

  const allOf = Array.isArray(node.allOf) ? node.allOf : [];
  const anyOf = Array.isArray(node.anyOf) ? node.anyOf : undefined;
  const oneOf = Array.isArray(node.oneOf) ? node.oneOf : undefined;
  delete node.allOf;
  delete node.anyOf;
  delete node.oneOf;

  if (node.type === undefined && isSchema(node.properties)) node.type = 'object';
  if (node.type === undefined && node.items !== undefined) node.type = 'array';
  if (node.type === undefined && node.additionalProperties !== undefined) node.type = 'object';

  if (isSchema(node.properties)) {
    const properties: JsonSchema = {};
    for (const [name, sub] of Object.entries(node.properties)) {
      const converted = convert(sub, root, expanding);
      if (converted !== undefined) properties[name] = converted;
    }
    if (Array.isArray(node.required)) node.required = node.required.filter((name) => name in properties);
    node.properties = Object.keys(properties).length > 0 ? properties : undefined;
  }
  if ('additionalProperties' in node) {
    const extra = node.additionalProperties;
    delete node.additionalProperties;
    // k8s forbids additionalProperties beside properties: a strict object relies on pruning
    // instead, and a loose or catch-all object keeps its unknown fields unchecked.
    if (node.properties !== undefined) {
      if (extra !== false) node[PRESERVE] = true;
    } else if (extra !== false) {
      const converted = convert(extra, root, expanding);
      if (converted === undefined) node.maxProperties = 0;
      else if (converted[PRESERVE] === true && converted.type === undefined) node[PRESERVE] = true;
      else node.additionalProperties = converted;
    }
  }
  if (node.type === 'array') {
    const items = Array.isArray(node.items) ? undefined : convert(node.items, root, expanding);
    node.items = items ?? { [PRESERVE]: true };
  }
  if (typeof node.format === 'string' && !FORMATS.has(node.format)) delete node.format;
  if (typeof node.pattern === 'string') node.pattern = re2Pattern(node.pattern);

  for (const key of Object.keys(node)) if (!KEPT.has(key)) delete node[key];
  node = ordered(node);

  for (const branch of allOf) {
    const converted = shape(branch, root, expanding);
    if (converted !== undefined) node = intersect(node, converted);
  }
  for (const [junctor, branches] of [
    ['anyOf', anyOf],
    ['oneOf', oneOf],
  ] as const) {
    if (!branches) continue;
    const converted = branches.map((b) => shape(b, root, expanding)).filter((b): b is JsonSchema => b !== undefined);
    node = intersect(node, alternatives(converted, junctor));
  }
  if (Array.isArray(node.allOf)) {
    const checks = (node.allOf as JsonSchema[]).map(valueValidation).filter((c) => Object.keys(c).length > 0);
    node.allOf = checks.length > 0 ? checks : undefined;
  }
  // A nullable enum must list null, or the API server rejects the null it promises to accept.
  if (node.nullable === true && Array.isArray(node.enum) && !node.enum.includes(null)) node.enum = [...node.enum, null];
  return ordered(node);
}

/** Turns a zod-emitted JSON Schema (any target) into a Kubernetes structural schema. */
export function structuralSchema(jsonSchema: object): JsonSchema {
  const root = jsonSchema as JsonSchema;
  return convert(root, root, []) ?? { [PRESERVE]: true };
}

/** The structural schema of a zod schema, as its input (what a client sends) is validated. */
export function structuralSchemaOf(schema: z.ZodType): JsonSchema {
  return structuralSchema(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'openapi-3.0' }));
}

function nodeAt(root: JsonSchema, path: readonly string[], kind: string): JsonSchema {
  let node = root;
  for (const name of path) {
    const next = isSchema(node.properties) ? node.properties[name] : undefined;
    // A renamed field must not silently drop its CRD rule, so a stale path fails generation.
    if (!isSchema(next)) throw new Error(`${kind}: no schema at ${path.join('.')} for its CRD refinement`);
    node = next;
  }
  return node;
}

/** The kind's own columns, then Phase when its status has one, then Age. */
function printerColumns(kind: KindDefinition): PrinterColumn[] {
  const columns: PrinterColumn[] = kind.columns.map((c) => ({ ...c }));
  if (phasesOf(kind).length > 0) columns.push({ name: 'Phase', type: 'string', jsonPath: '.status.phase' });
  columns.push({ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' });
  return columns;
}

/** The apiextensions.k8s.io/v1 CustomResourceDefinition of a kind, its schema generated from zod. */
export function crdFor(kind: KindDefinition): CustomResourceDefinition {
  const openAPIV3Schema: JsonSchema = {
    type: 'object',
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object' },
      spec: structuralSchemaOf(kind.spec),
      status: structuralSchemaOf(kind.status),
    },
    required: ['spec'],
  };
  for (const refinement of REFINEMENTS[kind.kind] ?? []) {
    const node = nodeAt(openAPIV3Schema, refinement.at, kind.kind);
    const existing = (node['x-kubernetes-validations'] as CelRule[] | undefined) ?? [];
    const rules = [...existing, ...(refinement.validations ?? []).map((v) => ({ ...v }))];
    const refined = ordered({ ...node, ...refinement.keywords, 'x-kubernetes-validations': rules.length > 0 ? rules : undefined });
    // Rebuilt in place, as the parent holds this object, so the keywords land in canonical order.
    for (const key of Object.keys(node)) delete node[key];
    Object.assign(node, refined);
  }
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${kind.plural}.${kind.group}` },
    spec: {
      group: kind.group,
      names: {
        kind: kind.kind,
        listKind: `${kind.kind}List`,
        plural: kind.plural,
        singular: kind.singular,
        shortNames: [...kind.shortNames],
        categories: ['jangar'],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: kind.version,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: printerColumns(kind),
          schema: { openAPIV3Schema },
        },
      ],
    },
  };
}

/** The CRD of every kind Jangar serves, in `KINDS` order. */
export function allCrds(): CustomResourceDefinition[] {
  return KINDS.map((kind) => crdFor(kind));
}
