import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const run = promisify(execFile);

describe('OTLP trace export', () => {
  const servers: Array<ReturnType<typeof createServer>> = [];
  afterEach(() => servers.splice(0).forEach((s) => s.close()));

  it('posts finished spans to the configured OTLP/HTTP endpoint', async () => {
    const received: Array<{ url: string; type: string | undefined; body: string }> = [];
    const collector = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('latin1')));
      req.on('end', () => {
        received.push({ url: req.url ?? '', type: req.headers['content-type'], body });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    servers.push(collector);
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const { port } = collector.address() as AddressInfo;

    await run(process.execPath, ['--import', 'tsx', path.join(here, 'fixtures', 'otlp-span.ts')], {
      cwd: path.resolve(here, '../../..'),
      env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` },
    });

    expect(received).toHaveLength(1);
    expect(received[0]!.url).toBe('/v1/traces');
    // The protobuf payload carries the span and service names as plain strings.
    expect(received[0]!.body).toContain('fixture work');
    expect(received[0]!.body).toContain('otlp-fixture');
  });
});
