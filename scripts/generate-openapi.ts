/**
 * Writes docs/openapi.json, the gateway's OpenAPI document generated from the zod contracts.
 * `--check` writes nothing and exits 1 when the committed file differs from a fresh render.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildOpenApi } from '../services/api-gateway/src/openapi.js';

/** The repository root, whatever the working directory. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Where the document is committed, relative to the repository root. */
export const OPENAPI_FILE = 'docs/openapi.json';
/** How to fix a stale document; the drift test and `--check` both say it. */
export const REGENERATE_HINT = 'regenerate with `npx tsx scripts/generate-openapi.ts`';

/** The document exactly as committed: JSON indented by 2 spaces, with a trailing newline. */
export function renderOpenApi(): string {
  return `${JSON.stringify(buildOpenApi(), null, 2)}\n`;
}

/** True when the committed document is missing or differs from a fresh render. */
export function openApiDrifted(root: string = REPO_ROOT): boolean {
  const file = path.join(root, OPENAPI_FILE);
  return !existsSync(file) || readFileSync(file, 'utf8') !== renderOpenApi();
}

function main(): void {
  if (process.argv.includes('--check')) {
    if (openApiDrifted()) {
      console.error(`${OPENAPI_FILE} is out of date with the contracts; ${REGENERATE_HINT}`);
      process.exit(1);
    }
    console.log(`${OPENAPI_FILE}: up to date`);
    return;
  }
  writeFileSync(path.join(REPO_ROOT, OPENAPI_FILE), renderOpenApi());
  console.log(`wrote ${OPENAPI_FILE}`);
}

// Imported by the drift test, which must not write; run directly, it does its job.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) main();
