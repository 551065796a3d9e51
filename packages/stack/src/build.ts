/**
 * The build step: each process's TypeScript entry point bundled by esbuild into one ES module next
 * to its sources (`<package>/dist/main.mjs`), which plain node runs. Running the sources through
 * tsx instead costs every process a loader thread and about 70 MB; the Dockerfile, `npm start`, the
 * tests, benchmarks and chaos runs all run these bundles, so they measure what ships.
 *
 * Only the workspace's own packages are bundled. Everything from npm stays an import resolved from
 * node_modules at run time, as it would be without a bundler.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { build, type Plugin } from 'esbuild';
import { REPO_ROOT } from './services.js';

/** A bundle to build: the entry point and where the module goes. */
export interface BundleTarget {
  entry: string;
  outfile: string;
}

/** The bundle of a TypeScript entry point `<dir>/src/<name>.ts`: `<dir>/dist/<name>.mjs`. */
export function bundleTarget(entry: string): BundleTarget {
  const dir = path.dirname(path.dirname(entry));
  return { entry, outfile: path.join(dir, 'dist', `${path.basename(entry, '.ts')}.mjs`) };
}

// Bare imports of anything but the workspace's own packages are left to node.
const npmPackagesExternal: Plugin = {
  name: 'npm-packages-external',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@jangar/') ? undefined : { path: args.path, external: true }));
  },
};

/**
 * Bundles the targets. Each module is written next to a temporary name and renamed into place, so
 * a process started at the same time (a parallel test file) reads either the old or the new one.
 */
export async function buildBundles(targets: readonly BundleTarget[]): Promise<void> {
  const result = await build({
    entryPoints: Object.fromEntries(targets.map((t) => [path.relative(REPO_ROOT, t.outfile).replace(/\.mjs$/, ''), t.entry])),
    outdir: REPO_ROOT,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    write: false,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    // Stack traces and the loggers' `name`s read better with the source's names.
    keepNames: true,
    logLevel: 'silent',
    plugins: [npmPackagesExternal],
  });
  await Promise.all(
    result.outputFiles.map(async (file) => {
      await mkdir(path.dirname(file.path), { recursive: true });
      const tmp = `${file.path}.${process.pid}.tmp`;
      await writeFile(tmp, file.contents);
      await rename(tmp, file.path);
    }),
  );
}
