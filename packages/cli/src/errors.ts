import type { Problem } from './problem.js';

/**
 * Exit codes a script can trust. Every failure maps to exactly one; `jangar --help` and the README
 * list them.
 */
export const EXIT = {
  /** Everything asked for was done (a watched run succeeded). */
  ok: 0,
  /** The server refused the request (4xx other than 404), a watched run failed or was cancelled, the audit chain is broken. */
  rejected: 1,
  /** The command line or an input file is wrong; nothing was sent. */
  usage: 2,
  /** The server could not be reached, timed out, or failed (5xx). Safe to retry: every write carries a deliveryId. */
  unavailable: 3,
  /** The server answered 404: no such resource, run, or route. */
  notFound: 4,
  /** Interrupted by Ctrl-C (128 + SIGINT). */
  interrupted: 130,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The epilogue of `jangar --help`. */
export const EXIT_CODES_HELP = `Exit codes:
  0    ok (a watched run succeeded)
  1    the server refused the request (4xx except 404), a run failed or was cancelled,
       or the audit chain is broken
  2    usage error: bad flags or arguments, unknown kind, unreadable or invalid input file
  3    the server cannot be reached, timed out, or failed (5xx); retrying is safe
  4    not found (404)
  130  interrupted (Ctrl-C)
Errors go to stderr, data to stdout.`;

/** Something the user must fix on the command line or in an input file. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The server answered with a problem (any non-2xx status). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly problem: Problem,
    readonly method: string,
    readonly path: string,
    readonly headers: Headers = new Headers(),
  ) {
    super(problem.detail ?? problem.title);
  }

  /** True when this is the stored answer of an earlier request with the same deliveryId. */
  get replayed(): boolean {
    return this.headers.get('idempotent-replayed') === 'true';
  }
}

/** The server could not be reached, or did not answer in time. */
export class ConnectionError extends Error {
  override readonly name = 'ConnectionError';
  constructor(
    readonly server: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A command that ran to the end but must report failure (a failed run, a broken chain); already printed. */
export class ReportedFailure extends Error {
  override readonly name = 'ReportedFailure';
  constructor(readonly code: ExitCode) {
    super(`exit ${code}`);
  }
}

/** A wait ended because the user pressed Ctrl-C. */
export class Interrupted extends Error {
  override readonly name = 'Interrupted';
  constructor() {
    super('interrupted');
  }
}

/** The exit code for an HTTP status. */
export function exitCodeForStatus(status: number): ExitCode {
  if (status === 404) return EXIT.notFound;
  if (status >= 500) return EXIT.unavailable;
  if (status >= 400) return EXIT.rejected;
  return EXIT.ok;
}

/** The exit code a failure ends the process with. */
export function exitCodeOf(err: unknown): ExitCode {
  if (err instanceof UsageError) return EXIT.usage;
  if (err instanceof ApiError) return exitCodeForStatus(err.status);
  if (err instanceof ConnectionError) return EXIT.unavailable;
  if (err instanceof ReportedFailure) return err.code;
  if (err instanceof Interrupted) return EXIT.interrupted;
  return EXIT.rejected;
}
