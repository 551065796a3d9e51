import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { AgentRun, KINDS, allCrds, crdFor, structuralSchema, structuralSchemaOf, type JsonSchema } from '../src/index.js';
import { CRD_DIR, REPO_ROOT, driftedCrdFiles, renderCrdFiles } from '../../../scripts/generate-crds.js';

const PRESERVE = 'x-kubernetes-preserve-unknown-fields';
const TYPES = new Set(['object', 'array', 'string', 'integer', 'number', 'boolean']);
// The fields of apiextensions/v1 JSONSchemaProps a structural schema may use (no $ref, definitions,
// patternProperties, dependencies, additionalItems, id, $schema: the API server refuses those).
const KEYWORDS = new Set([
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
  'uniqueItems',
  'items',
  'minProperties',
  'maxProperties',
  'properties',
  'required',
  'additionalProperties',
  'allOf',
  'anyOf',
  'oneOf',
  'not',
  'externalDocs',
  'x-kubernetes-int-or-string',
  PRESERVE,
  'x-kubernetes-validations',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-embedded-resource',
]);
const ROOT_KEYWORDS = new Set(['description', 'title', 'type', 'required', 'properties', PRESERVE, 'x-kubernetes-validations']);
const JUNCTOR_FORBIDDEN = ['type', 'description', 'default', 'additionalProperties', 'nullable'];

/** Every way `node` breaks Kubernetes' structural-schema rules, as `path: problem` lines. */
function structuralProblems(node: JsonSchema, at = '', inJunctor = false, outer?: JsonSchema): string[] {
  const problems: string[] = [];
  const add = (problem: string) => problems.push(`${at || '<root>'}: ${problem}`);
  for (const key of Object.keys(node)) if (!KEYWORDS.has(key)) add(`keyword ${key} is not allowed`);
  if (node.type !== undefined && !TYPES.has(node.type as string)) add(`type ${JSON.stringify(node.type)} is not allowed`);
  if (node.additionalProperties === false) add('additionalProperties: false');
  if (node.properties !== undefined && node.additionalProperties !== undefined) add('properties beside additionalProperties');
  if (node.uniqueItems === true) add('uniqueItems: true');
  if (node[PRESERVE] !== undefined && node[PRESERVE] !== true) add(`${PRESERVE} must be true`);
  for (const [exclusive, bound] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    if (node[exclusive] !== undefined && (typeof node[exclusive] !== 'boolean' || typeof node[bound] !== 'number')) {
      add(`${exclusive} must be a boolean beside ${bound}`);
    }
  }
  if (typeof node.pattern === 'string') {
    if (/\(\?<?[=!]|\\[1-9]|\\k</.test(node.pattern)) add(`pattern ${node.pattern} is not RE2`);
    expect(() => new RegExp(node.pattern as string), at).not.toThrow();
  }
  if (Array.isArray(node.enum) && node.nullable === true && !node.enum.includes(null)) add('nullable enum without null');
  for (const rule of (node['x-kubernetes-validations'] as Array<{ rule?: string; message?: string }> | undefined) ?? []) {
    if (!rule.rule || !rule.message || /[\r\n]/.test(rule.message)) add(`bad CEL rule ${JSON.stringify(rule)}`);
  }
  if (inJunctor) {
    for (const key of JUNCTOR_FORBIDDEN) if (node[key] !== undefined) add(`${key} inside a junctor`);
    for (const name of Object.keys((node.properties as JsonSchema | undefined) ?? {})) {
      if (!(outer?.properties as JsonSchema | undefined)?.[name]) add(`property ${name} only inside a junctor`);
    }
    if (node.items !== undefined && outer?.items === undefined) add('items only inside a junctor');
  } else if (node.type === undefined && node[PRESERVE] !== true && node['x-kubernetes-int-or-string'] !== true) {
    add('no type (and not preserve-unknown-fields or int-or-string)');
  }
  if (node.properties !== undefined) {
    if (!inJunctor && node.type !== 'object') add('properties without type: object');
    for (const [name, sub] of Object.entries(node.properties as JsonSchema)) {
      problems.push(...structuralProblems(sub as JsonSchema, `${at}.${name}`, inJunctor, outer));
    }
  }
  if (node.items !== undefined) {
    if (!inJunctor && node.type !== 'array') add('items without type: array');
    if (Array.isArray(node.items)) add('items is a list');
    else problems.push(...structuralProblems(node.items as JsonSchema, `${at}[]`, inJunctor, outer));
  }
  if (typeof node.additionalProperties === 'object') {
    if (node.type !== 'object') add('additionalProperties without type: object');
    problems.push(...structuralProblems(node.additionalProperties as JsonSchema, `${at}{}`));
  }
  for (const junctor of ['allOf', 'anyOf', 'oneOf'] as const) {
    const branches = node[junctor];
    if (branches === undefined) continue;
    if (!Array.isArray(branches) || branches.length === 0) add(`${junctor} must be a non-empty list`);
    else branches.forEach((b, i) => problems.push(...structuralProblems(b as JsonSchema, `${at}.${junctor}[${i}]`, true, node)));
  }
  if (node.not !== undefined) problems.push(...structuralProblems(node.not as JsonSchema, `${at}.not`, true, node));
  return problems;
}

function rootSchemaOf(crd: ReturnType<typeof crdFor>): JsonSchema {
  return crd.spec.versions[0]!.schema.openAPIV3Schema;
}

describe('deploy/crds', () => {
  it('matches what the zod contracts generate', () => {
    expect(driftedCrdFiles(), 'CRDs are stale: regenerate with npx tsx scripts/generate-crds.ts').toEqual([]);
  });

  it('parses back to exactly the generated objects, one file per kind plus a kustomization', () => {
    const files = renderCrdFiles();
    expect([...files.keys()].sort()).toEqual(
      [...KINDS.map((k) => `${CRD_DIR}/${k.group}_${k.plural}.yaml`), `${CRD_DIR}/kustomization.yaml`].sort(),
    );
    for (const kind of KINDS) {
      const text = files.get(`${CRD_DIR}/${kind.group}_${kind.plural}.yaml`)!;
      expect(text.startsWith('# Generated from packages/contracts by scripts/generate-crds.ts — do not edit.\n')).toBe(true);
      expect(parse(text)).toEqual(JSON.parse(JSON.stringify(crdFor(kind))));
    }
    expect(parse(files.get(`${CRD_DIR}/kustomization.yaml`)!).resources).toEqual(KINDS.map((k) => `${k.group}_${k.plural}.yaml`));
  });

  const kubectl = '/usr/bin/kubectl';
  it.skipIf(!existsSync(kubectl))('builds with kubectl kustomize into one CRD per kind', () => {
    const out = execFileSync(kubectl, ['kustomize', CRD_DIR], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 20_000 });
    const docs = parseAllDocuments(out).map((d) => d.toJS() as { kind: string; metadata: { name: string } });
    expect(docs.map((d) => d.kind)).toEqual(Array(KINDS.length).fill('CustomResourceDefinition'));
    expect(docs.map((d) => d.metadata.name).sort()).toEqual(
      allCrds()
        .map((c) => c.metadata.name)
        .sort(),
    );
    const byName = new Map(allCrds().map((c) => [c.metadata.name, JSON.parse(JSON.stringify(c)) as unknown]));
    for (const doc of docs) expect(doc).toEqual(byName.get(doc.metadata.name));
  });
});

describe('crdFor', () => {
  it('builds a structural schema for every kind', () => {
    for (const crd of allCrds()) {
      const root = rootSchemaOf(crd);
      expect(structuralProblems(root), crd.metadata.name).toEqual([]);
      expect(
        Object.keys(root).filter((k) => !ROOT_KEYWORDS.has(k)),
        crd.metadata.name,
      ).toEqual([]);
      const properties = root.properties as Record<string, JsonSchema>;
      expect(properties.metadata).toEqual({ type: 'object' });
      expect(properties.apiVersion).toEqual({ type: 'string' });
      expect(properties.kind).toEqual({ type: 'string' });
      expect(properties.spec?.type).toBe('object');
      expect(properties.status?.type).toBe('object');
      expect(root.required).toEqual(['spec']);
      // No JSON Schema leftovers anywhere, whatever the node.
      expect(JSON.stringify(root)).not.toMatch(/"\$ref"|"\$schema"|"\$defs"|"definitions"|"const"|"propertyNames"/);
    }
  });

  it('names each kind, with short names, the jangar category and one served storage version', () => {
    for (const kind of KINDS) {
      const crd = crdFor(kind);
      expect(crd.metadata.name).toBe(`${kind.plural}.${kind.group}`);
      expect(crd.spec.group).toBe(kind.group);
      expect(crd.spec.scope).toBe('Namespaced');
      expect(crd.spec.names).toEqual({
        kind: kind.kind,
        listKind: `${kind.kind}List`,
        plural: kind.plural,
        singular: kind.singular,
        shortNames: [...kind.shortNames],
        categories: ['jangar'],
      });
      expect(crd.spec.names.shortNames.length).toBeGreaterThan(0);
      expect(crd.spec.versions).toHaveLength(1);
      expect(crd.spec.versions[0]).toMatchObject({ name: kind.version, served: true, storage: true, subresources: { status: {} } });
    }
  });

  it("prints the kind's own columns, then Phase when its status has one, then Age", () => {
    const columns = (name: string) => crdFor(KINDS.find((k) => k.kind === name)!).spec.versions[0]!.additionalPrinterColumns;
    const age = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };
    const phase = { name: 'Phase', type: 'string', jsonPath: '.status.phase' };
    expect(columns('AgentRun')).toEqual([
      { name: 'Agent', type: 'string', jsonPath: '.spec.agentRef.name' },
      { name: 'Runtime', type: 'string', jsonPath: '.spec.runtime.type' },
      phase,
      age,
    ]);
    expect(columns('OrchestrationRun')).toEqual([phase, age]);
    expect(columns('Memory')).toEqual([{ name: 'Type', type: 'string', jsonPath: '.spec.type' }, age]);
    for (const name of ['Agent', 'Orchestration']) expect(columns(name)).toEqual([age]);
    expect(columns('ToolRun')).toEqual([{ name: 'Tool', type: 'string', jsonPath: '.spec.toolRef.name' }, phase, age]);
    expect(columns('SecretBinding')).toEqual([phase, age]);
  });

  it('prints no Phase column when the status schema has no phase, even for a run kind', () => {
    const columns = crdFor({ ...AgentRun, status: z.object({ updatedAt: z.string().optional() }) }).spec.versions[0]!
      .additionalPrinterColumns;
    expect(columns.map((c) => c.name)).toEqual(['Agent', 'Runtime', 'Age']);
  });

  it('restates the AgentRun refinements as CEL rules and maxProperties', () => {
    const spec = (rootSchemaOf(crdFor(AgentRun)).properties as Record<string, JsonSchema>).spec!;
    expect(spec['x-kubernetes-validations']).toEqual([
      {
        rule: 'has(self.implementationSpecRef) || has(self.implementation)',
        message: 'set implementationSpecRef.name or implementation.inline',
      },
      {
        rule: "!has(self.parameters) || !('prompt' in self.parameters)",
        message: 'the key "prompt" is not allowed; use the implementation text',
      },
      { rule: "self.runtime.type != 'workflow' || has(self.workflow)", message: 'runtime type "workflow" needs workflow.steps' },
    ]);
    expect((spec.properties as Record<string, JsonSchema>).parameters).toEqual({
      type: 'object',
      maxProperties: 100,
      additionalProperties: { type: 'string' },
    });
  });

  it('fails generation when a refinement points at a field the schema no longer has', () => {
    expect(() => crdFor({ ...AgentRun, spec: z.object({ agentRef: z.string() }) })).toThrow(/spec\.parameters/);
  });
});

describe('structuralSchemaOf', () => {
  const draft = (schema: z.ZodType) => structuralSchema(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }));

  it('drops additionalProperties: false and $schema, keeping the other constraints', () => {
    const schema = z.strictObject({ name: z.string().min(1).max(5).regex(/^a/), tags: z.array(z.string()).min(1).max(3) });
    const expected = {
      type: 'object',
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 5, pattern: '^a' },
        tags: { type: 'array', minItems: 1, maxItems: 3, items: { type: 'string' } },
      },
      required: ['name', 'tags'],
    };
    expect(structuralSchemaOf(schema)).toEqual(expected);
    expect(draft(schema)).toEqual(expected);
  });

  it('maps records: typed values to additionalProperties, unknown values to preserve-unknown-fields', () => {
    expect(structuralSchemaOf(z.record(z.string(), z.string()))).toEqual({ type: 'object', additionalProperties: { type: 'string' } });
    expect(structuralSchemaOf(z.record(z.string(), z.unknown()))).toEqual({ type: 'object', [PRESERVE]: true });
    expect(structuralSchemaOf(z.unknown())).toEqual({ [PRESERVE]: true });
    expect(structuralSchemaOf(z.object({ at: z.date() }))).toEqual({
      type: 'object',
      properties: { at: { [PRESERVE]: true } },
      required: ['at'],
    });
  });

  it('keeps unknown fields of loose and catch-all objects instead of additionalProperties', () => {
    const expected = { type: 'object', properties: { a: { type: 'string' } }, required: ['a'], [PRESERVE]: true };
    expect(structuralSchemaOf(z.looseObject({ a: z.string() }))).toEqual(expected);
    expect(structuralSchemaOf(z.object({ a: z.string() }).catchall(z.number()))).toEqual(expected);
  });

  it('turns const into enum and numeric exclusive bounds into the OpenAPI 3.0 boolean form', () => {
    for (const convert of [structuralSchemaOf, draft]) {
      expect(convert(z.literal('x'))).toEqual({ type: 'string', enum: ['x'] });
      expect(convert(z.number().gt(0).lt(10))).toEqual({
        type: 'number',
        minimum: 0,
        exclusiveMinimum: true,
        maximum: 10,
        exclusiveMaximum: true,
      });
    }
    expect(structuralSchema({ type: 'integer', minimum: 5, exclusiveMinimum: 2 })).toEqual({ type: 'integer', minimum: 5 });
  });

  it('drops the ±2^53 bounds of .int() but keeps real ones', () => {
    expect(structuralSchemaOf(z.number().int())).toEqual({ type: 'integer' });
    expect(structuralSchemaOf(z.number().int().min(1))).toEqual({ type: 'integer', minimum: 1 });
  });

  it('folds null branches of anyOf into nullable, listing null in a nullable enum', () => {
    for (const convert of [structuralSchemaOf, draft]) {
      expect(convert(z.string().nullable())).toEqual({ type: 'string', nullable: true });
      expect(convert(z.enum(['a', 'b']).nullable())).toEqual({ type: 'string', nullable: true, enum: ['a', 'b', null] });
      expect(convert(z.object({ a: z.string() }).nullable())).toEqual({
        type: 'object',
        nullable: true,
        properties: { a: { type: 'string' } },
        required: ['a'],
      });
    }
  });

  it('merges unions: literals into one enum, objects into one object, int|string into int-or-string', () => {
    expect(structuralSchemaOf(z.union([z.literal('a'), z.literal('b')]))).toEqual({ type: 'string', enum: ['a', 'b'] });
    const du = z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('a'), x: z.string() }),
      z.object({ kind: z.literal('b'), y: z.number() }),
    ]);
    expect(draft(du)).toEqual({
      type: 'object',
      properties: { kind: { type: 'string', enum: ['a', 'b'] }, x: { type: 'string' }, y: { type: 'number' } },
      required: ['kind'],
    });
    expect(structuralSchemaOf(z.union([z.number().int(), z.string()]))).toEqual({ 'x-kubernetes-int-or-string': true });
    expect(structuralSchemaOf(z.union([z.string(), z.boolean()]))).toEqual({ [PRESERVE]: true });
    expect(structuralSchemaOf(z.union([z.string().min(3), z.string().regex(/^x/)]))).toEqual({
      type: 'string',
      anyOf: [{ minLength: 3 }, { pattern: '^x' }],
    });
  });

  it('inlines $defs and $ref, leaving a recursive schema open below its first level', () => {
    const Shared = z.object({ a: z.string() }).meta({ id: 'CrdTestShared' });
    for (const convert of [structuralSchemaOf, draft]) {
      expect(convert(z.object({ s1: Shared, s2: Shared }))).toEqual({
        type: 'object',
        properties: {
          s1: { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] },
          s2: { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] },
        },
        required: ['s1', 's2'],
      });
    }
    interface Tree {
      name: string;
      children?: Tree[];
    }
    const Tree: z.ZodType<Tree> = z.lazy(() => z.object({ name: z.string(), children: z.array(Tree).optional() }));
    const tree = structuralSchemaOf(Tree);
    expect(JSON.stringify(tree)).not.toContain('$ref');
    expect(tree).toMatchObject({
      properties: { children: { items: { properties: { children: { items: { type: 'object', [PRESERVE]: true } } } } } },
    });
  });

  it('drops what the API server cannot check the way zod does', () => {
    expect(structuralSchemaOf(z.iso.duration())).toEqual({ type: 'string' }); // ISO 8601, not Go durations
    expect(structuralSchemaOf(z.string().regex(/^(?!-)[a-z]+$/))).toEqual({ type: 'string' }); // lookahead: not RE2
    expect(structuralSchemaOf(z.url())).toEqual({ type: 'string', format: 'uri' });
    expect(structuralSchemaOf(z.object({ gone: z.never().optional(), kept: z.string() }))).toEqual({
      type: 'object',
      properties: { kept: { type: 'string' } },
      required: ['kept'],
    });
    expect(structuralSchemaOf(z.tuple([z.string(), z.number()]))).toEqual({
      type: 'array',
      minItems: 2,
      maxItems: 2,
      items: { [PRESERVE]: true },
    });
  });

  it('yields structural schemas for every construct above', () => {
    const Tree: z.ZodType<unknown> = z.lazy(() => z.object({ children: z.array(Tree) }));
    const schemas: z.ZodType[] = [
      z.strictObject({ a: z.string().nullable(), b: z.enum(['x']).nullable(), c: z.record(z.string(), z.unknown()) }),
      z.discriminatedUnion('k', [
        z.object({ k: z.literal('a'), n: z.object({ x: z.string() }) }),
        z.object({ k: z.literal('b'), n: z.object({ y: z.string() }) }),
      ]),
      z.union([z.number().int(), z.string()]),
      z.union([z.string(), z.array(z.string())]),
      z.string().startsWith('ab').endsWith('cd'),
      z.object({ t: z.tuple([z.string()]), s: z.set(z.string()), l: z.looseObject({}), n: z.null(), tree: Tree }),
    ];
    for (const schema of schemas) {
      expect(structuralProblems(structuralSchemaOf(schema))).toEqual([]);
      expect(structuralProblems(draft(schema))).toEqual([]);
    }
  });
});

describe('scripts/generate-crds.ts --check', () => {
  it('reports nothing for the committed files', () => {
    const header = readFileSync(path.join(REPO_ROOT, CRD_DIR, 'kustomization.yaml'), 'utf8').split('\n')[0];
    expect(header).toBe('# Generated from packages/contracts by scripts/generate-crds.ts — do not edit.');
    expect(driftedCrdFiles(REPO_ROOT)).toEqual([]);
  });
});
