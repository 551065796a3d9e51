import { qualifiedResource } from './resources.js';
import type { ResourceDefinition } from './resources.js';

/** The `reason` values of metav1.Status that this server produces. */
export type StatusReason =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Invalid'
  | 'BadRequest'
  | 'Expired'
  | 'MethodNotAllowed'
  | 'UnsupportedMediaType'
  | 'InternalError';

/** A cause inside `details.causes`, as Kubernetes reports field errors. */
export interface StatusCause {
  reason: string;
  message: string;
  field: string;
}

/** `details` of a Status; `kind` is the plural resource name, as kube-apiserver writes it. */
export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: StatusCause[];
}

/** The metav1.Status body of a failed request. */
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  /** ListMeta: a 410 for a stale continue token carries one that resumes the list anyway. */
  metadata: { continue?: string };
  status: 'Failure';
  message: string;
  reason: StatusReason;
  details?: StatusDetails;
  code: number;
}

/** An error that maps one-to-one onto a Kubernetes Status response. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    readonly details?: StatusDetails,
    readonly listMeta: Status['metadata'] = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The Status object to send as the response body. */
  toStatus(): Status {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: { ...this.listMeta },
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

function detailsOf(res: ResourceDefinition, name: string): StatusDetails {
  return { name, group: res.group, kind: res.plural };
}

/** 404 for a missing object. */
export function notFound(res: ResourceDefinition, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${qualifiedResource(res)} "${name}" not found`, detailsOf(res, name));
}

/** 409 for a create whose name is taken. */
export function alreadyExists(res: ResourceDefinition, name: string): ApiError {
  return new ApiError(409, 'AlreadyExists', `${qualifiedResource(res)} "${name}" already exists`, detailsOf(res, name));
}

/** 409 for a write against a stale resourceVersion or failed precondition. */
export function conflict(res: ResourceDefinition, name: string, why?: string): ApiError {
  const reason = why ?? 'the object has been modified; please apply your changes to the latest version and try again';
  return new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(res)} "${name}": ${reason}`,
    detailsOf(res, name),
  );
}

/** 422 for an object that fails validation; `causes` name the offending fields. */
export function invalid(res: ResourceDefinition, name: string, causes: StatusCause[]): ApiError {
  // As field.ErrorList's aggregate prints: one error bare, several in brackets, duplicates once.
  const messages = [...new Set(causes.map((c) => `${c.field}: ${c.message}`))];
  const summary = messages.length === 1 ? (messages[0] as string) : `[${messages.join(', ')}]`;
  const group = res.group === '' ? '' : `.${res.group}`;
  return new ApiError(422, 'Invalid', `${res.kind}${group} "${name}" is invalid: ${summary}`, {
    name,
    group: res.group,
    kind: res.kind,
    causes,
  });
}

/** 400 for a malformed request. */
export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

/** 410 for a resourceVersion or continue token that is no longer served. */
export function expired(message: string, listMeta: Status['metadata'] = {}): ApiError {
  return new ApiError(410, 'Expired', message, undefined, listMeta);
}

/** 405 for a verb the path does not support. */
export function methodNotAllowed(method: string): ApiError {
  return new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (${method})`);
}

/** 415 for a body in a content type the server cannot decode. */
export function unsupportedMediaType(contentType: string): ApiError {
  return new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json, application/merge-patch+json, application/json-patch+json (got ${contentType || 'none'})`,
  );
}

/** Maps any thrown value onto an ApiError, so every failure leaves as a Status. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`);
}
