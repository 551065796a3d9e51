import { safeText } from './output/text.js';

/**
 * RFC 9457 problem details as the gateway sends them (`application/problem+json`), read loosely:
 * a client must still say something useful when a proxy or an older server answers instead.
 */
export interface Problem {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  code?: string;
  instance?: string;
  errors?: Array<{ path: string; message: string }>;
  violations?: Array<{ ruleId: string; path: string; reason: string; policy?: string; mode?: string }>;
  traceId?: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The problem in a response body, or one made up from the status and text when the body is no problem. */
export function problemOf(status: number, statusText: string, body: string): Problem {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  if (isRecord(parsed) && (str(parsed.title) || str(parsed.detail) || str(parsed.code))) {
    const errors = Array.isArray(parsed.errors)
      ? parsed.errors.filter(isRecord).map((e) => ({ path: String(e.path ?? '(root)'), message: String(e.message ?? '') }))
      : undefined;
    const violations = Array.isArray(parsed.violations)
      ? parsed.violations.filter(isRecord).map((v) => ({
          ruleId: String(v.ruleId ?? ''),
          path: String(v.path ?? ''),
          reason: String(v.reason ?? ''),
          ...(str(v.policy) ? { policy: String(v.policy) } : {}),
          ...(str(v.mode) ? { mode: String(v.mode) } : {}),
        }))
      : undefined;
    return {
      title: str(parsed.title) ?? statusText,
      status: typeof parsed.status === 'number' ? parsed.status : status,
      ...(str(parsed.type) ? { type: String(parsed.type) } : {}),
      ...(str(parsed.detail) ? { detail: String(parsed.detail) } : {}),
      ...(str(parsed.code) ? { code: String(parsed.code) } : {}),
      ...(str(parsed.instance) ? { instance: String(parsed.instance) } : {}),
      ...(errors && errors.length > 0 ? { errors } : {}),
      ...(violations && violations.length > 0 ? { violations } : {}),
      ...(str(parsed.traceId) ? { traceId: String(parsed.traceId) } : {}),
    };
  }
  const text = body.trim().slice(0, 200);
  return { title: statusText || `HTTP ${status}`, status, ...(text ? { detail: text } : {}) };
}

/**
 * A problem as lines for stderr: `error: <detail> (<code>)`, then one indented line per failing
 * field (`spec.agentRef.name: Agent "x" not found …`) and per policy violation. `context` names
 * what was being done (`agentrun.agents.proompteng.ai/r1`). Control characters become spaces.
 */
export function formatProblem(problem: Problem, context?: string): string[] {
  const detail = problem.detail ?? problem.title;
  const code = problem.code ?? `HTTP ${problem.status}`;
  const lines = [`error: ${context ? `${context}: ` : ''}${detail} (${code})`];
  for (const e of problem.errors ?? []) lines.push(`  ${e.path}: ${e.message}`);
  for (const v of problem.violations ?? []) {
    const where = [v.policy ? `policy ${v.policy}` : undefined, v.mode].filter(Boolean).join(', ');
    lines.push(`  ${v.path}: ${v.reason} [${v.ruleId}${where ? `; ${where}` : ''}]`);
  }
  // An all-zero trace id means tracing is off on the server: nothing to look up.
  if (problem.traceId && !/^0+$/.test(problem.traceId)) lines.push(`  trace id: ${problem.traceId}`);
  // Every part but the words around it is the server's: no escape sequence of it reaches the terminal.
  return lines.map(safeText);
}
