import { KINDS, crdFor } from '@jangar/contracts';
import { describe, expect, it } from 'vitest';
import { re2ToJavaScript, SchemaValidator, toAjvSchema, validatorForSchema } from '../src/schema-validation.js';
import type { JsonSchema } from '../src/schema-validation.js';

const NAME = { type: 'string', minLength: 1, maxLength: 5, pattern: '^[a-z]+$' };

/** A small structural schema shaped like a CRD's: a root with apiVersion, kind, metadata, spec, status. */
const SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { type: 'object' },
    spec: {
      type: 'object',
      properties: {
        mode: { type: 'string', enum: ['fast', 'slow'] },
        count: { type: 'integer', minimum: 0, maximum: 10 },
        ratio: { type: 'number', minimum: 0, exclusiveMinimum: true },
        when: { type: 'string', format: 'date-time' },
        port: { 'x-kubernetes-int-or-string': true },
        note: { type: 'string', nullable: true },
        steps: {
          type: 'array',
          minItems: 1,
          maxItems: 2,
          items: { type: 'object', properties: { name: NAME, retries: { type: 'integer', default: 3 } }, required: ['name'] },
        },
        params: { type: 'object', additionalProperties: { type: 'object', properties: { value: { type: 'string' } } } },
        config: {
          type: 'object',
          'x-kubernetes-preserve-unknown-fields': true,
          properties: { strict: { type: 'object', properties: { a: { type: 'string' } } } },
        },
        policy: { type: 'string', default: 'Always' },
      },
      required: ['mode'],
      'x-kubernetes-validations': [{ rule: 'self.count < 5', message: 'never evaluated by kube-dev' }],
    },
    status: { type: 'object', properties: { phase: { type: 'string' } } },
  },
  required: ['spec'],
};

function object(spec: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: 'example.com/v1', kind: 'Thing', metadata: { name: 'x', odd: true }, spec, ...extra };
}

const validator = new SchemaValidator(SCHEMA);

describe('schema pruning and defaulting', () => {
  it('prunes undeclared fields silently and reports their dotted paths', () => {
    const { object: pruned, pruned: paths } = validator.normalize(
      object({ mode: 'fast', extra: 1, steps: [{ name: 'a', bogus: true }], params: { p: { value: 'v', junk: 1 } } }, { top: 1 }),
    );
    expect(paths).toEqual(['spec.extra', 'spec.steps[0].bogus', 'spec.params.p.junk', 'top']);
    expect(pruned).toEqual(object({ mode: 'fast', steps: [{ name: 'a', retries: 3 }], params: { p: { value: 'v' } }, policy: 'Always' }));
  });

  it('leaves apiVersion, kind and metadata at the root to ObjectMeta handling', () => {
    const { object: pruned } = validator.normalize(object({ mode: 'fast' }));
    expect(pruned.metadata).toEqual({ name: 'x', odd: true });
  });

  it('keeps apiVersion, kind and metadata of an x-kubernetes-embedded-resource', () => {
    const embedding = new SchemaValidator({
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          properties: {
            template: {
              type: 'object',
              'x-kubernetes-embedded-resource': true,
              properties: { spec: { type: 'object', properties: { a: { type: 'string' } } } },
            },
          },
        },
      },
    });
    const template = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { a: 'x', b: 'y' }, other: 1 };
    const { object: pruned, pruned: paths } = embedding.normalize({ spec: { template } });
    expect(pruned).toEqual({ spec: { template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { a: 'x' } } } });
    expect(paths).toEqual(['spec.template.spec.b', 'spec.template.other']);
  });

  it('keeps unknown fields under x-kubernetes-preserve-unknown-fields but prunes inside declared ones', () => {
    const { object: pruned, pruned: paths } = validator.normalize(
      object({ mode: 'fast', config: { anything: { deep: 1 }, strict: { a: 'x', b: 'y' } } }),
    );
    expect((pruned.spec as Record<string, unknown>).config).toEqual({ anything: { deep: 1 }, strict: { a: 'x' } });
    expect(paths).toEqual(['spec.config.strict.b']);
  });

  it('drops nulls the schema does not allow, keeps nullable ones and defaults absent fields', () => {
    const { object: pruned, pruned: paths } = validator.normalize(object({ mode: 'fast', count: null, note: null, policy: null }));
    expect(pruned.spec).toEqual({ mode: 'fast', note: null, policy: 'Always' });
    // Dropping a null is not pruning an unknown field.
    expect(paths).toEqual([]);
  });

  it('keeps an undeclared field the stored object already holds with the same value', () => {
    const stored = object({ mode: 'fast' }, { status: { phase: 'Running', provider: { phase: 'Running' } } });
    const changed = object({ mode: 'fast', extra: 1 }, { status: { phase: 'Running', provider: { phase: 'Running' }, other: 2 } });
    const { object: pruned, pruned: paths } = validator.normalize(changed, stored);
    expect(pruned.status).toEqual({ phase: 'Running', provider: { phase: 'Running' } });
    expect(paths).toEqual(['spec.extra', 'status.other']);
  });
});

describe('schema validation', () => {
  it('accepts a valid object', () => {
    expect(
      validator.validate(
        object({ mode: 'slow', count: 3, ratio: 0.5, when: '2026-01-02T03:04:05Z', port: 'http', steps: [{ name: 'ab' }] }),
      ),
    ).toEqual([]);
  });

  it('names a missing required field with its kube path', () => {
    expect(validator.validate(object({ steps: [{ retries: 1 }] }))).toEqual([
      { reason: 'FieldValueRequired', field: 'spec.mode', message: 'Required value' },
      { reason: 'FieldValueRequired', field: 'spec.steps[0].name', message: 'Required value' },
    ]);
    expect(validator.validate({ apiVersion: 'v', kind: 'k', metadata: {} })).toEqual([
      { reason: 'FieldValueRequired', field: 'spec', message: 'Required value' },
    ]);
  });

  it('words enum, type, format, pattern and bound violations as kube-apiserver does', () => {
    const causes = validator.validate(
      object({
        mode: 'medium',
        count: 'three',
        ratio: 0,
        when: 'yesterday',
        port: 1.5,
        steps: [{ name: 'TOOLONG' }, { name: '' }, { name: 'c' }],
      }),
    );
    expect(causes).toEqual(
      expect.arrayContaining([
        { reason: 'FieldValueNotSupported', field: 'spec.mode', message: 'Unsupported value: "medium": supported values: "fast", "slow"' },
        {
          reason: 'FieldValueTypeInvalid',
          field: 'spec.count',
          message: 'Invalid value: "string": spec.count in body must be of type integer: "string"',
        },
        { reason: 'FieldValueInvalid', field: 'spec.ratio', message: 'Invalid value: 0: spec.ratio in body should be greater than 0' },
        {
          reason: 'FieldValueTypeInvalid',
          field: 'spec.when',
          message: 'Invalid value: "yesterday": spec.when in body must be of type date-time: "yesterday"',
        },
        {
          reason: 'FieldValueTypeInvalid',
          field: 'spec.port',
          message: 'Invalid value: "number": spec.port in body must be of type integer,string: "number"',
        },
        { reason: 'FieldValueTooLong', field: 'spec.steps[0].name', message: 'Too long: may not be more than 5 bytes' },
        {
          reason: 'FieldValueInvalid',
          field: 'spec.steps[0].name',
          message: 'Invalid value: "TOOLONG": spec.steps[0].name in body should match \'^[a-z]+$\'',
        },
        {
          reason: 'FieldValueInvalid',
          field: 'spec.steps[1].name',
          message: 'Invalid value: "": spec.steps[1].name in body should be at least 1 chars long',
        },
        { reason: 'FieldValueTooMany', field: 'spec.steps', message: 'Too many: 3: must have at most 2 items' },
      ]),
    );
    expect(validator.validate(object({ mode: 'fast', count: 11, steps: [] }))).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'spec.count',
        message: 'Invalid value: 11: spec.count in body should be less than or equal to 10',
      },
      { reason: 'FieldValueInvalid', field: 'spec.steps', message: 'Invalid value: 0: spec.steps in body should have at least 1 items' },
    ]);
  });

  it('allows null only where the schema is nullable', () => {
    expect(validator.validate(object({ mode: 'fast', note: null }))).toEqual([]);
    expect(validator.validate(object({ mode: 'fast', note: 7 }))).toEqual([
      {
        reason: 'FieldValueTypeInvalid',
        field: 'spec.note',
        message: 'Invalid value: "integer": spec.note in body must be of type string: "integer"',
      },
    ]);
    expect(validator.validate(object({ mode: 'fast', steps: [null] }))).toEqual([
      {
        reason: 'FieldValueTypeInvalid',
        field: 'spec.steps[0]',
        message: 'Invalid value: "null": spec.steps[0] in body must be of type object: "null"',
      },
    ]);
  });

  it('leaves x-kubernetes-validations (CEL) rules unevaluated', () => {
    expect(validator.validate(object({ mode: 'fast', count: 9 }))).toEqual([]);
    expect(toAjvSchema(SCHEMA).properties).not.toHaveProperty(['spec', 'x-kubernetes-validations']);
  });

  it('ratchets errors on values an update leaves unchanged, treating lists as atomic', () => {
    const old = object({ mode: 'medium', steps: [{ name: 'BAD' }, { name: 'ok' }] });
    expect(validator.validate(old, old)).toEqual([]);
    // A new invalid value is still reported; the unchanged enum value is not.
    expect(validator.validate(object({ mode: 'medium', count: -1, steps: [{ name: 'BAD' }, { name: 'ok' }] }), old)).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'spec.count',
        message: 'Invalid value: -1: spec.count in body should be greater than or equal to 0',
      },
    ]);
    // Changing another item of the list un-ratchets the list's old errors.
    expect(validator.validate(object({ mode: 'medium', steps: [{ name: 'BAD' }, { name: 'okk' }] }), old).map((c) => c.field)).toEqual([
      'spec.steps[0].name',
    ]);
  });

  it('compiles the CRD schema of every kind in KINDS and accepts its minimal shape checks', () => {
    for (const kind of KINDS) {
      const schema = crdFor(kind).spec.versions[0]?.schema.openAPIV3Schema as JsonSchema;
      const compiled = validatorForSchema(schema);
      expect(validatorForSchema(structuredClone(schema)), kind.kind).toBe(compiled);
      expect(
        compiled.validate({ apiVersion: `${kind.group}/${kind.version}`, kind: kind.kind, metadata: { name: 'x' } }),
        kind.kind,
      ).toEqual([{ reason: 'FieldValueRequired', field: 'spec', message: 'Required value' }]);
    }
  });
});

describe('RE2 patterns', () => {
  it('rewrites RE2-only spellings for JavaScript', () => {
    expect(re2ToJavaScript('^(?P<user>[a-z]+)@\\x{00e9}$')).toEqual({ source: '^(?<user>[a-z]+)@\\u{00e9}$', flags: '' });
    expect(re2ToJavaScript('(?i)^[[:alpha:]_]+\\z')).toEqual({ source: '^[A-Za-z_]+(?![\\s\\S])', flags: 'i' });
    expect(re2ToJavaScript('^a\\-b\\.c[\\-x]$')).toEqual({ source: '^a-b\\.c[\\-x]$', flags: '' });
    expect(re2ToJavaScript('(?U)a+')).toBeUndefined();
  });

  it('checks patterns with RE2 semantics: unanchored unless anchored, case flags honoured', () => {
    const v = new SchemaValidator({
      type: 'object',
      properties: {
        a: { type: 'string', pattern: 'b+' },
        b: { type: 'string', pattern: '(?i)^x\\z' },
        c: { type: 'string', pattern: '\\Qa.b\\E' },
      },
    });
    expect(v.validate({ a: 'abbc', b: 'X', c: 'anything' })).toEqual([]);
    expect(v.validate({ a: 'ccc', b: 'X\n' }).map((c) => c.field)).toEqual(['a', 'b']);
  });
});
