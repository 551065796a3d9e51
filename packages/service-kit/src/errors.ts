import { ZodError } from 'zod';
import { RETRYABLE_CODES, type DomainErrorPayload, type ErrorCode, type FieldError, type Violation } from '@jangar/contracts';

/**
 * A transport-agnostic failure with a stable code. It crosses the bus as a DomainErrorPayload and
 * the gateway maps the code to an HTTP status in one place.
 */
export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly errors: FieldError[] | undefined;
  readonly violations: Violation[] | undefined;

  constructor(code: ErrorCode, detail: string, extra: { errors?: FieldError[]; violations?: Violation[]; cause?: unknown } = {}) {
    super(detail, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = 'DomainError';
    this.code = code;
    this.errors = extra.errors;
    this.violations = extra.violations;
  }

  /** The error as it travels in bus messages and RPC replies. */
  toPayload(): DomainErrorPayload {
    return {
      code: this.code,
      detail: this.message,
      ...(this.errors ? { errors: this.errors } : {}),
      ...(this.violations ? { violations: this.violations } : {}),
    };
  }

  /** Rebuilds the error from its payload. */
  static fromPayload(payload: DomainErrorPayload): DomainError {
    return new DomainError(payload.code as ErrorCode, payload.detail, { errors: payload.errors, violations: payload.violations });
  }
}

/** Raised when a dependency (NATS, Postgres, Kubernetes) fails in a way a retry may fix. */
export class TransientError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransientError';
  }
}

/** Codes of refusals that say "not now": a later try may succeed. */
const NOT_NOW: readonly ErrorCode[] = [...RETRYABLE_CODES, 'unavailable', 'timeout'];

/**
 * True for a failure that a retry cannot fix: a programming error (a `TypeError` reading what is
 * not there, a schema a message breaks) or a refusal that escaped its handler. Not for a dependency
 * that failed: a TransientError, a database or network error, and a `TypeError` with a `cause`
 * (fetch's "fetch failed" is one). A failure that is not known to be deterministic is not.
 */
export function isDeterministicFailure(err: unknown): boolean {
  if (err instanceof TransientError) return false;
  if (err instanceof DomainError) return !NOT_NOW.includes(err.code);
  if (err instanceof ZodError) return true;
  const programming = err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError || err instanceof SyntaxError;
  return programming && err.cause === undefined;
}
