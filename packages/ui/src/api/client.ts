/**
 * The UI's only way to the server: the public REST API under /v1 with the operator's bearer
 * token, exactly as any other client. Failures become ApiError carrying the problem+json body.
 */
import type { Problem } from '@jangar/contracts';

/** A refused or failed request: the HTTP status and the problem document, when there was one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Partial<Problem> | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get code(): string | undefined {
    return this.problem?.code;
  }
}

/** A query string from defined, non-empty values. */
export function queryString(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** GETs `path` (under the page's origin) as JSON. Network failures are ApiError with status 0. */
export async function apiGet<T>(path: string, token: string, signal?: AbortSignal): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, { headers: { accept: 'application/json', authorization: `Bearer ${token}` }, signal: signal ?? null });
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new ApiError(0, undefined, `could not reach the gateway: ${(err as Error).message}`);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const problem = body && typeof body === 'object' ? (body as Partial<Problem>) : undefined;
    throw new ApiError(res.status, problem, problem?.detail ?? problem?.title ?? `${res.status} ${res.statusText}`);
  }
  return body as T;
}

/** Every item of a list endpoint, following its `continue` tokens to the last page. */
export async function apiGetAll<T>(path: string, token: string, signal?: AbortSignal): Promise<T[]> {
  const items: T[] = [];
  let next: string | undefined;
  do {
    const page = await apiGet<{ items: T[]; continue?: string }>(
      `${path}${path.includes('?') ? '&' : '?'}${queryString({ limit: 500, continue: next }).slice(1)}`,
      token,
      signal,
    );
    items.push(...page.items);
    next = page.continue;
  } while (next);
  return items;
}
