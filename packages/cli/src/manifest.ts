import { apiVersionOf, OWNED_ANNOTATION_KEYS, OWNED_LABEL_KEYS, type KindDefinition, type ResourceView } from '@jangar/contracts';
import { parseAllDocuments } from 'yaml';
import { canonicalJson, sha256 } from './canonical.js';
import { UsageError } from './errors.js';
import { kindOfManifest } from './kinds.js';

/** One document of an apply file: a resource as the user wants it. */
export interface Manifest {
  /** Where it came from, for messages: `agents.yaml#2`. */
  source: string;
  kind: KindDefinition;
  namespace: string | undefined;
  name: string | undefined;
  labels: Record<string, string>;
  /** Undefined when the document says nothing about annotations (then apply leaves them alone). */
  annotations: Record<string, string> | undefined;
  spec: unknown;
}

/** Labels or annotations without Jangar's own, which the server sets and keeps whatever a client sends. */
export function userEntries(map: Record<string, string> | undefined, kind: 'labels' | 'annotations'): Record<string, string> {
  const owned = kind === 'labels' ? OWNED_LABEL_KEYS : OWNED_ANNOTATION_KEYS;
  return Object.fromEntries(Object.entries(map ?? {}).filter(([k]) => !owned.has(k)));
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function stringMap(value: unknown, where: string): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) throw new UsageError(`${where} must be a map of strings`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new UsageError(`${where}.${k} must be a string (quote it: "${String(v)}")`);
    out[k] = v;
  }
  return out;
}

/** One parsed document as a manifest; a document with `items` (a list, as `get -o yaml` prints it) is each of them. */
function manifestsOf(doc: unknown, source: string): Manifest[] {
  if (doc === null || doc === undefined) return [];
  if (!isRecord(doc)) throw new UsageError(`${source}: a document must be a mapping with apiVersion, kind, metadata and spec`);
  if (doc.kind === undefined && Array.isArray(doc.items)) return doc.items.flatMap((item, i) => manifestsOf(item, `${source}.items[${i}]`));
  if (typeof doc.kind !== 'string') throw new UsageError(`${source}: kind is required`);
  const kind = kindOfManifest(doc.kind);
  if (!kind) throw new UsageError(`${source}: unknown kind "${doc.kind}"`);
  if (doc.apiVersion !== apiVersionOf(kind))
    throw new UsageError(
      `${source}: apiVersion of a ${kind.kind} must be "${apiVersionOf(kind)}", not ${JSON.stringify(doc.apiVersion ?? null)}`,
    );
  const metadata = doc.metadata ?? {};
  if (!isRecord(metadata)) throw new UsageError(`${source}: metadata must be a mapping`);
  const text = (key: 'name' | 'namespace') => {
    const v = metadata[key];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string') throw new UsageError(`${source}: metadata.${key} must be a string`);
    return v;
  };
  const annotations = stringMap(metadata.annotations, `${source}: metadata.annotations`);
  return [
    {
      source,
      kind,
      namespace: text('namespace'),
      name: text('name'),
      labels: userEntries(stringMap(metadata.labels, `${source}: metadata.labels`), 'labels'),
      annotations: annotations === undefined ? undefined : userEntries(annotations, 'annotations'),
      spec: doc.spec,
    },
  ];
}

/** The manifests of a YAML (or JSON) text of one or more documents; a YAML error is a usage error naming the line. */
export function parseManifests(text: string, file: string): Manifest[] {
  const docs = parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [];
  return list.flatMap((doc, i) => {
    const source = list.length > 1 ? `${file}#${i + 1}` : file;
    const error = doc.errors[0];
    if (error) throw new UsageError(`${source}: ${error.message.split('\n')[0]}`);
    return manifestsOf(doc.toJS(), source);
  });
}

/** The identity and content a deliveryId digests. */
interface Content {
  kind: KindDefinition;
  namespace: string;
  name: string | undefined;
  spec: unknown;
  labels: Record<string, string>;
  annotations?: Record<string, string> | undefined;
}

function contentOf(m: Content): Record<string, unknown> {
  return {
    kind: m.kind.kind,
    namespace: m.namespace,
    name: m.name ?? null,
    spec: m.spec ?? null,
    labels: m.labels,
    // Only a document that sets annotations has them in its key, so one that does not keeps the plain formula.
    ...(m.annotations !== undefined ? { annotations: m.annotations } : {}),
  };
}

/**
 * The deliveryId of creating a manifest: `apply-` and the sha256 of the canonical JSON of its kind,
 * namespace, name, spec and labels. The same document always gets the same key, so a create that
 * is retried (or applied twice before the first answer) creates one object.
 */
export function createDeliveryId(m: Content): string {
  return `apply-${sha256(canonicalJson(contentOf(m)))}`;
}

/**
 * The `n`th key of a sequence that starts at `base` (`base`, `base.1`, `base.2` …). A stored answer
 * that no longer describes the present — a refusal (the Agent a run names exists now), or a create
 * whose object was deleted since — is not an answer for this apply: the next key in the sequence is
 * sent instead. Every apply of the same content walks the same sequence, so it stays retry-safe.
 */
export function keyAt(base: string, n: number): string {
  return n === 0 ? base : `${base}.${n}`;
}

/**
 * The deliveryId of replacing the object at `resourceVersion` with a manifest: the content plus the
 * version it replaces. A retried update sends the same key; going back to an earlier content later
 * is a new update (from a new version), not a replay of the old one, nor a key reused for a
 * different request (which the server refuses).
 */
export function updateDeliveryId(m: Content, resourceVersion: string): string {
  return `apply-${sha256(canonicalJson({ ...contentOf(m), replaces: resourceVersion }))}`;
}

/** The spec as the server will store it: parsed by the kind's contract (defaults filled), or as written when it does not parse (the server says why). */
export function normalizedSpec(kind: KindDefinition, spec: unknown): unknown {
  const parsed = kind.spec.safeParse(spec);
  return parsed.success ? parsed.data : spec;
}

/** True when the object already is what the manifest asks for: same spec, same labels, and the same annotations if the manifest sets any. */
export function isUnchanged(m: Manifest, current: ResourceView): boolean {
  if (canonicalJson(normalizedSpec(m.kind, m.spec)) !== canonicalJson(current.spec ?? {})) return false;
  if (canonicalJson(m.labels) !== canonicalJson(userEntries(current.metadata.labels, 'labels'))) return false;
  return (
    m.annotations === undefined || canonicalJson(m.annotations) === canonicalJson(userEntries(current.metadata.annotations, 'annotations'))
  );
}
