import { DeliveryId } from '@jangar/contracts';
import { DomainError, canonicalJson, sha256 } from '@jangar/service-kit';

/**
 * The deliveryId of a mutating request: the body's `deliveryId` or the `Idempotency-Key` header.
 * Both present and different is ambiguous (400); neither is 400 `delivery_id_required`.
 */
export function resolveDeliveryId(bodyValue: unknown, header: string | string[] | undefined): string {
  if (Array.isArray(header))
    throw new DomainError('invalid_delivery_id', 'send one Idempotency-Key header', {
      errors: [{ path: 'header.Idempotency-Key', message: 'sent more than once' }],
    });
  if (bodyValue !== undefined && typeof bodyValue !== 'string') {
    throw new DomainError('invalid_delivery_id', 'deliveryId must be a string', {
      errors: [{ path: 'deliveryId', message: 'must be a string' }],
    });
  }
  if (bodyValue !== undefined && header !== undefined && bodyValue !== header) {
    throw new DomainError('invalid_delivery_id', 'the body deliveryId and the Idempotency-Key header differ', {
      errors: [{ path: 'deliveryId', message: 'differs from the Idempotency-Key header' }],
    });
  }
  const value = bodyValue ?? header;
  if (value === undefined || value === '') {
    throw new DomainError('delivery_id_required', 'every mutating request needs a deliveryId (body field or Idempotency-Key header)', {
      errors: [{ path: 'deliveryId', message: 'required' }],
    });
  }
  const parsed = DeliveryId.safeParse(value);
  if (!parsed.success) {
    throw new DomainError('invalid_delivery_id', 'the deliveryId is not valid', {
      errors: [{ path: 'deliveryId', message: parsed.error.issues[0]?.message ?? 'invalid' }],
    });
  }
  return parsed.data;
}

/** What makes two requests "the same": who, what, where and the canonical body (less the key). */
export function requestFingerprint(principal: string, method: string, route: string, body: unknown): string {
  const rest = body !== null && typeof body === 'object' ? { ...(body as Record<string, unknown>), deliveryId: undefined } : body;
  return sha256(canonicalJson({ principal, method, route, body: rest }));
}
