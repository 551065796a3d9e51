import { randomInt } from 'node:crypto';
import type { InputMeta, ObjectMeta } from './types.js';

// Kubernetes leaves out vowels and look-alike digits so generated names never spell words.
const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** A Kubernetes timestamp: RFC 3339, UTC, whole seconds. */
export function kubeTimestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `generateName` plus five random characters, truncated like the apiserver so the name stays valid. */
export function generatedName(prefix: string): string {
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += NAME_ALPHABET[randomInt(NAME_ALPHABET.length)];
  return prefix.slice(0, 253 - 5) + suffix;
}

/** Fields that only the server writes; whatever a client sends for them is dropped. */
const SERVER_FIELDS = [
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'selfLink',
  'managedFields',
] as const;

/** The fields clients may set; anything else in submitted metadata is pruned as unknown. */
const CLIENT_FIELDS = ['name', 'generateName', 'namespace', 'labels', 'annotations', 'ownerReferences', 'finalizers'] as const;

const KNOWN_FIELDS = new Set<string>([...SERVER_FIELDS, ...CLIENT_FIELDS]);

/** Keys of submitted metadata that ObjectMeta does not have; kube-apiserver drops them. */
export function unknownMetaFields(meta: InputMeta): string[] {
  return Object.keys(meta).filter((key) => !KNOWN_FIELDS.has(key));
}

/** The client-owned part of submitted metadata, with empty collections removed as the apiserver does. */
export function userMeta(meta: InputMeta): Partial<ObjectMeta> {
  const out: Record<string, unknown> = {};
  for (const field of CLIENT_FIELDS) if (meta[field] !== undefined) out[field] = meta[field];
  for (const field of ['labels', 'annotations'] as const) {
    const map = meta[field];
    if (!map || Object.keys(map).length === 0) delete out[field];
  }
  if (!meta.finalizers || meta.finalizers.length === 0) delete out.finalizers;
  else out.finalizers = [...new Set(meta.finalizers)];
  if (!meta.generateName) delete out.generateName;
  return out as Partial<ObjectMeta>;
}
