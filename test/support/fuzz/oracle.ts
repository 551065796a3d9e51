/**
 * What every answer of the gateway must be, whatever it was sent: a success, or a client error
 * written as RFC 9457 problem+json whose `code` is in the registry with the status it answered.
 * Never a 5xx, never a bare error body.
 */
import { ERROR_CODES, PROBLEM_TYPE_BASE, Problem, type ErrorCode } from '@jangar/contracts';

export interface RawAnswer {
  status: number;
  contentType: string;
  body: string;
}

/** Sends one request and reads the whole answer. */
export async function send(url: string, init: RequestInit): Promise<RawAnswer> {
  const res = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(30_000) });
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', body: await res.text() };
}

/** Why this answer breaks the contract, or undefined when it keeps it. */
export function contractBreach(a: RawAnswer): string | undefined {
  if (a.status >= 200 && a.status < 300) {
    if (a.body === '') return undefined;
    if (!a.contentType.startsWith('application/json')) return `a ${a.status} as ${a.contentType}`;
    try {
      JSON.parse(a.body);
      return undefined;
    } catch {
      return `a ${a.status} whose body is not JSON`;
    }
  }
  if (a.status < 400 || a.status >= 500) return `status ${a.status}`;
  if (!a.contentType.startsWith('application/problem+json')) return `a ${a.status} as ${a.contentType || 'no content type'}`;
  let json: unknown;
  try {
    json = JSON.parse(a.body);
  } catch {
    return `a ${a.status} whose body is not JSON`;
  }
  const problem = Problem.safeParse(json);
  if (!problem.success) return `a ${a.status} that is not a problem document: ${problem.error.message}`;
  const code = problem.data.code as ErrorCode;
  if (!(code in ERROR_CODES)) return `a ${a.status} with code "${code}", which is not in the registry`;
  if (ERROR_CODES[code].status !== a.status) return `code "${code}" answered as ${a.status}, registered as ${ERROR_CODES[code].status}`;
  if (problem.data.type !== `${PROBLEM_TYPE_BASE}${code}`) return `code "${code}" with type ${problem.data.type}`;
  return undefined;
}

/** Throws (for fast-check to shrink) when the answer breaks the contract. */
export function assertContract(what: string, a: RawAnswer): void {
  const breach = contractBreach(a);
  if (breach) throw new Error(`${what} → ${breach}: ${a.body.slice(0, 300)}`);
}

/** The code of a problem answer. */
export function codeOf(a: RawAnswer): string | undefined {
  try {
    return (JSON.parse(a.body) as { code?: string }).code;
  } catch {
    return undefined;
  }
}
