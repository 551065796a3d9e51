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

/** The client-owned part of submitted metadata, with empty collections removed as the apiserver does. */
export function userMeta(meta: InputMeta): Partial<ObjectMeta> {
  const out: Record<string, unknown> = { ...meta };
  for (const field of SERVER_FIELDS) delete out[field];
  for (const field of ['labels', 'annotations'] as const) {
    const map = meta[field];
    if (!map || Object.keys(map).length === 0) delete out[field];
  }
  if (!meta.finalizers || meta.finalizers.length === 0) delete out.finalizers;
  else out.finalizers = [...new Set(meta.finalizers)];
  if (!meta.generateName) delete out.generateName;
  return out as Partial<ObjectMeta>;
}
