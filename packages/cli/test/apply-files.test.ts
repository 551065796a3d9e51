import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../src/errors.js';
import { runCli, tempDir, testServer } from './harness.js';

const AGENT = 'apiVersion: agents.proompteng.ai/v1alpha1\nkind: Agent\nmetadata: { name: coder, namespace: team-a }\nspec: {}\n';

describe('jangar apply -f <dir>', () => {
  const servers: Array<{ close: () => Promise<void> }> = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  });

  it('exits 2 and sends nothing when an entry of the directory cannot be read (a directory named sub.yaml)', async () => {
    const server = await testServer((_req, res) => res.writeHead(500).end());
    servers.push(server);
    const dir = await tempDir('apply');
    await writeFile(path.join(dir, 'a.yaml'), AGENT);
    await mkdir(path.join(dir, 'sub.yaml'));

    const result = await runCli(['apply', '-f', dir, '--server', server.url, '--token', 't']);

    expect(result.code).toBe(EXIT.usage);
    expect(result.err).toEqual([`error: cannot read ${path.join(dir, 'sub.yaml')}: a directory, not a file`]);
    expect(server.received).toEqual([]);
  });
});
