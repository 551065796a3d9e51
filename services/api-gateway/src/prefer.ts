/**
 * The `Prefer` request header (RFC 7240) on mutating requests: `respond-async` asks for the 202 as
 * soon as the request is accepted, `wait=<seconds>` bounds how long the gateway holds it for its
 * outcome. Preferences the gateway does not know, and malformed ones, are ignored, as the RFC says.
 */

/** The preferences that shape how long a mutating request waits for its outcome. */
export interface WaitPreference {
  respondAsync: boolean;
  /** `wait=<seconds>`, when sent as a non-negative integer. */
  waitSeconds: number | undefined;
}

/** Parses `Prefer` header values; of a preference sent twice, the first counts (RFC 7240 §2). */
export function parsePrefer(header: string | string[] | undefined): WaitPreference {
  const seen = new Map<string, string | undefined>();
  const values = Array.isArray(header) ? header : header === undefined ? [] : [header];
  for (const value of values) {
    for (const item of value.split(',')) {
      // Parameters after `;` never change these two preferences.
      const [head = ''] = item.split(';');
      const eq = head.indexOf('=');
      const name = (eq < 0 ? head : head.slice(0, eq)).trim().toLowerCase();
      if (name === '' || seen.has(name)) continue;
      seen.set(name, eq < 0 ? undefined : unquote(head.slice(eq + 1).trim()));
    }
  }
  const wait = seen.get('wait');
  return {
    respondAsync: seen.has('respond-async'),
    waitSeconds: wait !== undefined && /^\d{1,9}$/.test(wait) ? Number(wait) : undefined,
  };
}

function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}

/**
 * How long a request waits for its outcome: the configured budget, shortened by `wait`, or none
 * at all for `respond-async` without `wait`. A client can only shorten the wait, never lengthen it.
 */
export function waitBudgetMs(prefer: WaitPreference, configuredMs: number): number {
  if (prefer.waitSeconds !== undefined) return Math.min(prefer.waitSeconds * 1000, configuredMs);
  return prefer.respondAsync ? 0 : configuredMs;
}
