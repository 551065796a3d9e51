import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { withinDeadline } from './deadline.js';

/** A named readiness check; it resolves to true when the dependency is usable. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<boolean> | boolean;
}

/**
 * How long one readiness check may take: under the probes' 3 s timeout (deploy/base). A check
 * waiting on a dependency that hangs (a stopped Postgres keeps its connections open) would
 * otherwise hold every probe open until it timed out, instead of answering "not ready" and why.
 */
export const READINESS_CHECK_DEADLINE_MS = 2_000;

/** Runs the checks and reports each one; a check that throws, or has not answered within the deadline, counts as not ready. */
export async function runChecks(
  checks: readonly ReadinessCheck[],
  deadlineMs = READINESS_CHECK_DEADLINE_MS,
): Promise<{ ready: boolean; checks: Record<string, boolean> }> {
  const results = await Promise.all(
    checks.map(async (c) => {
      try {
        const ok = await withinDeadline(
          async () => c.check(),
          deadlineMs,
          () => new Error(`${c.name} did not answer`),
        );
        return [c.name, ok] as const;
      } catch {
        return [c.name, false] as const;
      }
    }),
  );
  return { ready: results.every(([, ok]) => ok), checks: Object.fromEntries(results) };
}

/** Serves `/livez` (the process answers) and `/readyz` (every check passes) for probes, and `extra` paths (e.g. `/metrics`). */
export async function startHealthServer(opts: {
  host: string;
  port: number;
  checks: () => readonly ReadinessCheck[];
  extra?: (path: string) => Promise<{ status: number; body: string; type: string } | undefined>;
}): Promise<{ port: number; server: Server; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      if (path === '/livez') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
        return;
      }
      if (path === '/readyz') {
        const report = await runChecks(opts.checks());
        res.writeHead(report.ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(report));
        return;
      }
      // A failing extra path (a metrics collector, say) must answer 500, not reject unhandled and end the process.
      const extra = await opts.extra?.(path).catch((err: unknown) => ({
        status: 500,
        body: JSON.stringify({ status: 'error', message: String((err as Error)?.message ?? err) }),
        type: 'application/json',
      }));
      if (extra) {
        res.writeHead(extra.status, { 'content-type': extra.type }).end(extra.body);
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"status":"not found"}');
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
