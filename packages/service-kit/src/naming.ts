import type { KindDefinition } from '@jangar/contracts';
import { sha256 } from './canonical.js';

/**
 * The key a request is known by on the bus and in every store: the client's deliveryId qualified by
 * a digest of the principal, so two principals' equal keys never collide.
 */
export function requestKeyFor(principal: string, deliveryId: string): string {
  return `${sha256(principal).slice(0, 16)}:${deliveryId}`;
}

/** A label-safe digest of a request key (label values are limited to 63 characters). */
export function deliveryLabelValue(requestKey: string): string {
  return sha256(requestKey).slice(0, 40);
}

/**
 * The name a resource gets when the client gave none: derived from the request key, so a
 * redelivered or retried request names the same object and a second create finds the first.
 */
export function deriveResourceName(
  kind: KindDefinition,
  metadata: { name?: string | undefined },
  spec: unknown,
  requestKey: string,
): string {
  if (metadata.name) return metadata.name;
  const s = (spec ?? {}) as { agentRef?: { name?: string }; orchestrationRef?: { name?: string } };
  const base = (s.agentRef?.name ?? s.orchestrationRef?.name ?? kind.singular).slice(0, 50).replace(/[.-]+$/, '');
  return `${base}-${sha256(requestKey).slice(0, 10)}`;
}
