/**
 * Builds the web UI (packages/ui → packages/ui/dist, served by the gateway at /ui) when the build
 * is missing or older than its sources, so a fresh clone's `npm start` and `npm test` have one and
 * an unchanged tree is not rebuilt on every start.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '@jangar/stack';

export const UI_DIR = path.join(REPO_ROOT, 'packages', 'ui');
const BUILT = path.join(UI_DIR, 'dist', 'index.html');
// The UI bundles @jangar/contracts from source, and the lockfile pins what vite and React resolve to.
const SOURCES = [
  ...['src', 'index.html', 'vite.config.ts', 'package.json'].map((p) => path.join(UI_DIR, p)),
  path.join(REPO_ROOT, 'packages', 'contracts', 'src'),
  path.join(REPO_ROOT, 'package-lock.json'),
];

/** The newest modification time under `file` (recursively); 0 when it does not exist. */
function newest(file: string): number {
  let stat;
  try {
    stat = statSync(file);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(file).map((entry) => newest(path.join(file, entry))));
}

/** True when dist/index.html is missing or a source changed after it was built. */
export function uiBuildIsStale(): boolean {
  const built = newest(BUILT);
  return built === 0 || Math.max(...SOURCES.map(newest)) > built;
}

/** Runs `vite build` for the UI; throws with vite's output when it fails. */
export function buildUi(opts: { inheritOutput?: boolean } = {}): void {
  const result = spawnSync('npx', ['vite', 'build'], { cwd: UI_DIR, stdio: opts.inheritOutput ? 'inherit' : 'pipe', encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(
      `vite build of packages/ui failed (exit ${result.status ?? result.signal})\n${result.stdout ?? ''}${result.stderr ?? ''}`,
    );
  }
}

/** Builds the UI unless its build is current; says which it did through `log`. */
export function ensureUiBuilt(log: (line: string) => void = () => undefined): void {
  if (!uiBuildIsStale()) return log('web UI: build is current');
  log('web UI: building packages/ui (vite build)…');
  buildUi();
  log('web UI: built');
}
