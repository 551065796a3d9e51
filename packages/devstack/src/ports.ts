import { readFileSync } from 'node:fs';
import net from 'node:net';

/** Ports this process has handed out: each only once, however long its taker takes to bind it. */
const handedOut = new Set<number>();

/** The lowest port listeners are picked from: below it sit the well-known and registered ports services use. */
const LOWEST = 10_000;

/**
 * The kernel's range for the local ports of outgoing connections. A listener's port picked inside
 * it can be taken, before the listener binds it, by any connection any process opens: a stack's
 * services open dozens to NATS and Postgres while the others start.
 */
function ephemeralRange(): [number, number] {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (lo && hi) return [lo, hi];
  } catch {
    // Not Linux: the IANA range, which macOS and Windows use.
  }
  return [49152, 65535];
}

/** Binds `port` on `host` (0: any) and lets it go; resolves with the port bound, rejects if it is taken. */
function bindOnce(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error(`could not read the port bound on ${host}`));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

/**
 * A TCP port on `host` (default 127.0.0.1) that nothing listens on now, for a server to bind soon.
 * Picked below the kernel's range for outgoing connections, so none of those can take it first,
 * and never twice in one process; another process picking listeners' ports can still take it.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const [lo] = ephemeralRange();
  for (let tries = 0; lo - LOWEST >= 1_000 && tries < 50; tries++) {
    const port = LOWEST + Math.floor(Math.random() * (lo - LOWEST));
    if (handedOut.has(port)) continue;
    const bound = await bindOnce(host, port).catch(() => undefined);
    if (bound === undefined) continue;
    handedOut.add(port);
    return port;
  }
  // No room below the range (or all taken): any port the kernel gives, still never twice.
  for (;;) {
    const port = await bindOnce(host, 0);
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}
