/**
 * Writes the CustomResourceDefinitions of every Jangar kind to deploy/crds/, generated from the zod
 * contracts. `--check` writes nothing and exits 1, listing the files that differ, when the
 * committed manifests are stale.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { stringify } from 'yaml';
import { allCrds } from '@jangar/contracts';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CRD_DIR = 'deploy/crds';
const HEADER = '# Generated from packages/contracts by scripts/generate-crds.ts — do not edit.\n';

function toYaml(value: unknown): string {
  // No folding (long patterns and CEL rules stay on one line) and no anchors (each node spelled out).
  return HEADER + stringify(value, { lineWidth: 0, aliasDuplicateObjects: false });
}

/** Every generated file's content, keyed by its path relative to the repository root. */
export function renderCrdFiles(): Map<string, string> {
  const files = new Map<string, string>();
  const names: string[] = [];
  for (const crd of allCrds()) {
    const name = `${crd.spec.group}_${crd.spec.names.plural}.yaml`;
    names.push(name);
    files.set(`${CRD_DIR}/${name}`, toYaml(crd));
  }
  const kustomization = { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: names };
  files.set(`${CRD_DIR}/kustomization.yaml`, toYaml(kustomization));
  return files;
}

/** Files once generated here that no kind produces any more (the header tells them from hand-written ones). */
function staleFiles(root: string, fresh: Map<string, string>): string[] {
  const dir = path.join(root, CRD_DIR);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') && !fresh.has(`${CRD_DIR}/${f}`))
    .filter((f) => readFileSync(path.join(dir, f), 'utf8').startsWith(HEADER))
    .map((f) => `${CRD_DIR}/${f}`);
}

/** Paths under deploy/crds that are missing, differ from a fresh render, or are stale. */
export function driftedCrdFiles(root: string = REPO_ROOT): string[] {
  const fresh = renderCrdFiles();
  const differing = [...fresh].filter(([file, content]) => {
    const full = path.join(root, file);
    return !existsSync(full) || readFileSync(full, 'utf8') !== content;
  });
  return [...differing.map(([file]) => file), ...staleFiles(root, fresh)];
}

function main(): void {
  if (process.argv.includes('--check')) {
    const drifted = driftedCrdFiles();
    if (drifted.length > 0) {
      console.error(`CRDs out of date with packages/contracts; regenerate with npx tsx scripts/generate-crds.ts:\n  ${drifted.join('\n  ')}`);
      process.exit(1);
    }
    console.log(`${CRD_DIR}: up to date`);
    return;
  }
  const fresh = renderCrdFiles();
  for (const file of staleFiles(REPO_ROOT, fresh)) {
    rmSync(path.join(REPO_ROOT, file));
    console.log(`removed ${file}`);
  }
  mkdirSync(path.join(REPO_ROOT, CRD_DIR), { recursive: true });
  for (const [file, content] of fresh) writeFileSync(path.join(REPO_ROOT, file), content);
  console.log(`wrote ${fresh.size} files to ${CRD_DIR}`);
}

// Imported by the drift test, which must not write; run directly, it does its job.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) main();
