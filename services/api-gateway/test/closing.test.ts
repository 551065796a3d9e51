import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '@jangar/devstack';
import { testApp } from './fake-deps.js';

let app: ReturnType<typeof testApp> | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** A raw connection: what a kept-alive client holds, and everything the server wrote on it until it closed it. */
function connection(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (text += chunk));
  const ended = new Promise<string>((resolve, reject) => {
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
  return { send: (request: string) => socket.write(request), ended, destroy: () => socket.destroy() };
}

describe('a gateway that is shutting down', () => {
  it('answers a request arriving on a kept-alive connection with the unavailable problem, Retry-After, and a closed connection', async () => {
    let entered!: () => void;
    const inHandler = new Promise<void>((r) => (entered = r));
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    app = testApp({
      readiness: async () => {
        entered();
        await released;
        return { ready: true, checks: {} };
      },
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as net.AddressInfo;

    const client = connection(port);
    client.send('GET /readyz HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await inHandler;
    const closed = app.close();
    await waitFor('the server to stop listening', async () => !app!.server.listening, { timeoutMs: 5_000 });
    // The client's next request on the connection it keeps, sent while the replica shuts down.
    client.send('GET /v1/runs/r-1 HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer alice-token\r\n\r\n');
    release();
    const text = await Promise.race([client.ended, closed.then(() => client.ended)]).finally(client.destroy);
    await closed;

    const [first, second] = text.split(/(?=HTTP\/1\.1 )/);
    expect(first).toMatch(/^HTTP\/1\.1 200 /);
    expect(second).toMatch(/^HTTP\/1\.1 503 /);
    expect(second).toMatch(/\r\ncontent-type: application\/problem\+json/i);
    expect(second).toMatch(/\r\nretry-after: 1\r\n/i);
    expect(second).toMatch(/\r\nconnection: close\r\n/i);
    const body = JSON.parse(second!.slice(second!.indexOf('\r\n\r\n') + 4)) as { code: string; status: number; detail: string };
    expect(body).toMatchObject({ code: 'unavailable', status: 503 });
    expect(body.detail).toContain('shutting down');
  });
});
