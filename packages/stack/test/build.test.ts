import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildBundles, bundleTarget } from '../src/build.js';
import { BUNDLED_ENTRIES, REPO_ROOT, serviceEntry } from '../src/services.js';

describe('buildBundles', () => {
  it('puts each bundle at <package>/dist/main.mjs, at the depth of its sources', () => {
    expect(BUNDLED_ENTRIES.map((e) => path.relative(REPO_ROOT, bundleTarget(e).outfile))).toEqual([
      'services/policy/dist/main.mjs',
      'services/provisioner/dist/main.mjs',
      'services/status-aggregator/dist/main.mjs',
      'services/audit/dist/main.mjs',
      'services/api-gateway/dist/main.mjs',
      'packages/kube-dev/dist/main.mjs',
    ]);
  });

  it("bundles the workspace's own packages and leaves npm packages to node_modules", async () => {
    const target = bundleTarget(serviceEntry('audit'));
    await buildBundles([target]);
    const code = await readFile(target.outfile, 'utf8');
    const imports = [...code.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1] ?? '');
    expect(imports).toContain('@nats-io/jetstream');
    expect(imports.filter((i) => i.startsWith('@jangar/') || i.startsWith('.'))).toEqual([]);
    // Plain node loads it all: without its variables it stops on its config, not on a module error.
    const started = spawnSync(process.execPath, [target.outfile], { env: { PATH: process.env.PATH }, encoding: 'utf8', timeout: 30_000 });
    expect(started.status).not.toBe(0);
    expect(started.stderr + started.stdout).toMatch(/audit: invalid configuration/);
  });
});
