import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/errors.js';
import { runCli, tempDir, testServer } from './harness.js';

/** The lists that read only -n before: each with its path and the flag that widens it to every namespace. */
const LISTS = [
  { args: ['approvals'], path: '/v1/approvals', everywhere: '--all-namespaces' },
  { args: ['queue'], path: '/v1/queue', everywhere: '-A' },
  { args: ['audit'], path: '/v1/audit', everywhere: '-A' },
] as const;

describe('approvals, queue and audit scope their list like every other command', () => {
  let server: Awaited<ReturnType<typeof testServer>>;
  beforeAll(async () => {
    server = await testServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"items":[]}'));
  });
  afterAll(() => server.close());

  /** The namespace query of the one request `jangar <args>` sends (null: none, every namespace). */
  const namespaceSent = async (args: readonly string[], env: Record<string, string> = {}) => {
    const before = server.received.length;
    const result = await runCli([...args, '--server', server.url, '--token', 't'], env);
    expect(result.code, result.err.join('\n')).toBe(EXIT.ok);
    const sent = server.received.slice(before);
    expect(sent).toHaveLength(1);
    return new URL(sent[0]!.url, server.url).searchParams.get('namespace');
  };

  for (const list of LISTS) {
    it(`jangar ${list.args.join(' ')} lists $JANGAR_NAMESPACE without -n`, async () => {
      expect(await namespaceSent(list.args, { JANGAR_NAMESPACE: 'team-a' })).toBe('team-a');
    });

    it(`jangar ${list.args.join(' ')} lists the config file's namespace without -n or $JANGAR_NAMESPACE`, async () => {
      const dir = await tempDir('ns');
      const config = path.join(dir, 'config.json');
      await writeFile(config, JSON.stringify({ namespace: 'team-b' }), { mode: 0o600 });
      expect(await namespaceSent(list.args, { JANGAR_CONFIG: config })).toBe('team-b');
    });

    it(`jangar ${list.args.join(' ')} takes -n over $JANGAR_NAMESPACE, and ${list.everywhere} over both`, async () => {
      expect(await namespaceSent([...list.args, '-n', 'team-c'], { JANGAR_NAMESPACE: 'team-a' })).toBe('team-c');
      expect(await namespaceSent([...list.args, list.everywhere], { JANGAR_NAMESPACE: 'team-a' })).toBeNull();
      expect(await namespaceSent(list.args)).toBeNull();
    });
  }
});
