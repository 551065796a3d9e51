import { canonicalJson, sha256 } from '@jangar/service-kit';

/** The hash before the first event. */
export const GENESIS_HASH = '0'.repeat(64);

/** The content of an audit event that its hash covers (everything but seq and the hashes). */
export interface ChainedContent {
  id: string;
  dedupId: string;
  occurredAt: string;
  actor: string;
  action: string;
  resourceKind: string;
  namespace: string;
  name: string | null;
  uid: string | null;
  resourceId: string | null;
  deliveryId: string;
  correlationId: string;
  traceId: string | null;
  decision: string | null;
  outcome: string;
  summary: unknown;
}

/** SHA-256 of the previous row's hash and this row's canonical content. */
export function chainHash(prevHash: string, content: ChainedContent): string {
  return sha256(`${prevHash}\n${canonicalJson(content)}`);
}
