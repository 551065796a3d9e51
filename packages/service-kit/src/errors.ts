import type { DomainErrorPayload, ErrorCode, FieldError, Violation } from '@jangar/contracts';

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
