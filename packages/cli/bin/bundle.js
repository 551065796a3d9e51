// The CLI's bundle: its TypeScript and everything it imports, built by esbuild into one ES module
// that plain node loads. Through tsx, every command paid about a second for the loader and the
// compile; from the bundle it starts in about a third of that. The bundle is rebuilt when any file
// it was built from (node_modules' included) changed since, so a checkout that changes, or a new
// `npm install`, never runs stale code.
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** Bumped when the build's options change, so bundles built the old way are rebuilt. */
const BUILD_VERSION = 1;

/**
 * The URL of an up-to-date bundle of `entry` at `outfile`, built first when it is missing or older
 * than one of its sources; undefined when it cannot be built here (no esbuild, a read-only
 * checkout), and the caller runs the sources instead.
 */
export async function currentBundle({ entry, outfile }) {
  const manifestFile = `${outfile}.inputs.json`;
  if (await isCurrent(outfile, manifestFile)) return pathToFileURL(outfile).href;
  try {
    await buildBundle(entry, outfile, manifestFile);
    return pathToFileURL(outfile).href;
  } catch {
    return undefined;
  }
}

/** True when the bundle and its list of sources exist, and no source changed since its build began. */
async function isCurrent(outfile, manifestFile) {
  try {
    const [, manifest] = await Promise.all([stat(outfile), readFile(manifestFile, 'utf8').then(JSON.parse)]);
    if (manifest.version !== BUILD_VERSION) return false;
    const sources = await Promise.all(manifest.inputs.map((input) => stat(input)));
    return sources.every((s) => s.mtimeMs <= manifest.builtFrom);
  } catch {
    return false;
  }
}

/**
 * Bundles the entry with everything it imports, and lists those files beside it. Written under
 * temporary names and renamed into place, so two commands building at once each see a whole bundle.
 */
async function buildBundle(entry, outfile, manifestFile) {
  const { build } = await import('esbuild');
  // Sources are compared with when the build began: one saved while it ran makes the next command rebuild.
  const builtFrom = Date.now();
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    keepNames: true,
    logLevel: 'silent',
    // Packages from npm that are CommonJS call require; an ES module has none of its own.
    banner: { js: "import { createRequire as __jangarRequire } from 'node:module'; const require = __jangarRequire(import.meta.url);" },
  });
  const cwd = process.cwd();
  const inputs = Object.keys(result.metafile.inputs).map((input) => path.resolve(cwd, input));
  await mkdir(path.dirname(outfile), { recursive: true });
  const tmp = `.${process.pid}.tmp`;
  await writeFile(`${outfile}${tmp}`, result.outputFiles[0].contents);
  await writeFile(`${manifestFile}${tmp}`, JSON.stringify({ version: BUILD_VERSION, builtFrom, inputs }));
  // The bundle first, then its manifest: a command in between sees the older manifest, whose build
  // began before this one's, so at worst it rebuilds once more.
  await rename(`${outfile}${tmp}`, outfile);
  await rename(`${manifestFile}${tmp}`, manifestFile);
}
