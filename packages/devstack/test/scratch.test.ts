import { access } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { queryOnce, scratchNats, scratchPostgres } from '../src/index.js';

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

describe("a test file's own servers", () => {
  it('runs a Postgres in a temp dir of its own, which stop removes with the data', async () => {
    const pg = await scratchPostgres('scratch-test');
    const dir = path.dirname(pg.dataDir);
    expect(path.basename(dir)).toMatch(/^jangar-scratch-test-/);
    expect(await queryOnce(pg.url, 'select 1 as one')).toEqual([{ one: 1 }]);
    await pg.stop();
    expect(await exists(dir)).toBe(false);
  });

  it('runs a nats-server in a temp dir of its own, which stop removes with its store', async () => {
    const nats = await scratchNats('scratch-test');
    const dir = path.dirname(nats.storeDir);
    expect(await exists(nats.storeDir)).toBe(true);
    await nats.stop();
    expect(await exists(dir)).toBe(false);
  });
});
