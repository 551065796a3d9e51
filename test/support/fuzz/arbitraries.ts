/**
 * fast-check generators for what a hostile or careless client sends: any JSON, text that is not
 * JSON, deep nesting, names and labels with unicode and control characters or that Kubernetes
 * would refuse, raw path segments and query strings with broken percent-encoding.
 */
import fc from 'fast-check';

/**
 * Strings a person would not expect: unicode of every plane, control characters, separators,
 * percent signs, and lone surrogates (JSON's `\ud800` escapes, which no Unicode text holds).
 */
export const nastyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\n',
    '\r\n',
    '\t',
    '\u202e',
    '\ufeff',
    '\ud800',
    'a\udfffb',
    '\udc00\ud800',
    '../..',
    '%',
    '%00',
    '..',
    '.',
    '-',
    'A',
    'a'.repeat(64),
    'a'.repeat(254),
  ),
  fc.stringMatching(/^[a-z0-9]([-a-z0-9.]{0,20}[a-z0-9])?$/),
);

/** `s` with every lone surrogate replaced, for a URL: `encodeURIComponent` throws on one. */
const wellFormed = (s: string): string => s.replace(/\p{Surrogate}/gu, '\ufffd');

/** A name Kubernetes accepts (DNS-1123 label), so some generated bodies are valid and get published. */
export const k8sName = fc.stringMatching(/^[a-z]([-a-z0-9]{0,12}[a-z0-9])?$/);

/** JSON text of arrays or objects nested `depth` levels deep, far past what any schema expects (built as text: JSON.stringify overflows first). */
export const deepNestingText = fc
  .tuple(fc.integer({ min: 50, max: 20_000 }), fc.boolean())
  .map(([depth, arrays]) =>
    arrays ? `${'['.repeat(depth)}"leaf"${']'.repeat(depth)}` : `${'{"spec":'.repeat(depth)}"leaf"${'}'.repeat(depth)}`,
  );

/** A value nested 10–200 levels, for free-form fields: on either side of the gateway's limit of 100 (MAX_BODY_DEPTH). */
const deepValue = fc.integer({ min: 10, max: 200 }).map((depth) => {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = { deep: value };
  return value;
});

/** Label maps with keys and values of any shape. */
const labels = fc.dictionary(fc.oneof(nastyString, k8sName), fc.oneof(nastyString, k8sName, fc.jsonValue({ maxDepth: 1 })), { maxKeys: 4 });

/** A resource-shaped body: the right skeleton, with fuzzed names, labels, deliveryId and spec. */
export const resourceShaped = fc.record(
  {
    deliveryId: fc.oneof(fc.uuid(), nastyString, fc.jsonValue({ maxDepth: 1 })),
    metadata: fc.record(
      {
        namespace: fc.oneof(k8sName, nastyString),
        name: fc.oneof(k8sName, nastyString),
        labels,
        annotations: labels,
        resourceVersion: fc.oneof(nastyString, fc.integer()),
      },
      { requiredKeys: ['namespace'] },
    ),
    spec: fc.oneof(
      fc.constant({ providerRef: { name: 'codex' } }),
      // Valid as far as the schema looks (config is free-form): published and stored within the depth limit, else a 400.
      deepValue.map((config) => ({ providerRef: { name: 'codex' }, config })),
      fc.constant({ agentRef: { name: 'coder' }, runtime: { type: 'job' }, implementation: { inline: { text: 'fuzz' } } }),
      // Free text that the schema takes as it is, so only the gateway's guard stands between it and Postgres.
      nastyString.map((text) => ({ agentRef: { name: 'coder' }, runtime: { type: 'job' }, implementation: { inline: { text } } })),
      fc.jsonValue({ maxDepth: 3 }),
    ),
    correlationId: nastyString,
  },
  { requiredKeys: ['metadata', 'spec'] },
);

/** Any body as text: JSON values, resource-shaped objects, deep nesting, and text that is not JSON at all. */
export const bodyText = fc.oneof(
  { arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)), weight: 3 },
  { arbitrary: resourceShaped.map((v) => JSON.stringify(v)), weight: 4 },
  { arbitrary: deepNestingText, weight: 1 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 200 }), weight: 1 },
  {
    arbitrary: fc.constantFrom(
      '',
      '{',
      '{"a":',
      'null',
      '[]',
      '"x"',
      '{"__proto__":{"polluted":1}}',
      '{"constructor":{"prototype":{"x":1}}}',
      '{"a":1,"a":2}',
      '\ufeff{}',
      'NaN',
      '1e999',
    ),
    weight: 1,
  },
  { arbitrary: resourceShaped.map((v) => JSON.stringify(v).slice(0, -1)), weight: 1 },
);

/** One path segment, percent-encoded or raw with broken escapes. */
export const pathSegment = fc.oneof(
  nastyString.map((s) => encodeURIComponent(wellFormed(s)) || 'x'),
  k8sName,
  fc.uuid(),
  // The length and alphabet of an id without its form: Postgres refuses these as a uuid.
  fc.stringMatching(/^[0-9a-f-]{36}$/),
  fc.constantFrom('%', '%zz', '%E0%A4%A', '%C0%AF', '%00', '%2F', '%2e%2e', 'a%20b', '%FF%FE'),
);

/**
 * A `continue` token of the form this API hands out (base64url JSON of a timestamp with microseconds
 * and an id), whose timestamp may name no instant: a 13th month, a 30th of February, hour 99.
 */
const cursorToken = fc
  .record({
    year: fc.integer({ min: 0, max: 9999 }),
    month: fc.integer({ min: 0, max: 19 }),
    day: fc.integer({ min: 0, max: 39 }),
    hour: fc.integer({ min: 0, max: 99 }),
    id: fc.oneof(fc.uuid(), fc.stringMatching(/^[0-9a-f-]{36}$/)),
  })
  .map(({ year, month, day, hour, id }) => {
    const two = (n: number) => String(n).padStart(2, '0');
    const at = `${String(year).padStart(4, '0')}-${two(month)}-${two(day)}T${two(hour)}:00:00.000000Z`;
    return Buffer.from(JSON.stringify({ at, id })).toString('base64url');
  });

/** A query string: declared and unknown keys, repeated keys, values of any kind, broken escapes, continue tokens. */
export const queryString = (declared: string[]) =>
  fc
    .array(
      fc.tuple(
        fc.oneof(fc.constantFrom(...declared, 'limit', 'continue', 'phase', 'labelSelector', 'namespace'), nastyString),
        fc.oneof(
          nastyString,
          cursorToken,
          fc.integer().map(String),
          fc.constantFrom('0', '-1', '1e9', '501', 'Running,Nope', 'a=b,c!=', '!', 'x in (', '%zz', ''),
        ),
      ),
      { maxLength: 5 },
    )
    .map((pairs) =>
      pairs.map(([k, v]) => `${encodeURIComponent(wellFormed(k))}=${v.startsWith('%') ? v : encodeURIComponent(wellFormed(v))}`).join('&'),
    );

/** Content types a write route must refuse (415), valid-looking or not. */
export const wrongContentType = fc.oneof(
  fc.constantFrom(
    'text/plain',
    'text/html',
    'application/xml',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/octet-stream',
    'application/jsonx',
    'json',
    'application/yaml',
    '*/*',
  ),
  fc.stringMatching(/^[a-z]{1,10}\/[a-z0-9.+-]{1,20}$/).filter((t) => !/^application\/(merge-patch\+)?json$/.test(t)),
);
