import http from 'node:http';
import net from 'node:net';

/** GETs an http URL and resolves with the status code; no keep-alive, so no socket outlives the probe. */
export function httpStatus(url: string, timeoutMs = 2_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
      res.once('error', reject);
    });
    req.once('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.once('error', reject);
  });
}

/** Connects to a NATS client port and resolves true once the server's INFO greeting arrives. */
export function natsGreets(host: string, port: number, timeoutMs = 2_000): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let received = '';
    const done = (err?: Error) => {
      socket.destroy();
      if (err) reject(err);
      else resolve(true);
    };
    socket.setTimeout(timeoutMs, () => done(new Error(`no INFO from ${host}:${port} within ${timeoutMs} ms`)));
    socket.once('error', (err) => done(err));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('utf8');
      if (received.startsWith('INFO ')) done();
      else if (received.length >= 5) done(new Error(`unexpected greeting from ${host}:${port}: ${received.slice(0, 40)}`));
    });
  });
}
