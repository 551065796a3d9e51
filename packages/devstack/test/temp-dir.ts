import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** Creates a fresh temp dir and returns it with a cleanup function for afterEach/afterAll. */
export async function makeTempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `jangar-devstack-${prefix}-`));
  return { dir, cleanup: () => fs.rm(dir, { recursive: true, force: true }) };
}
