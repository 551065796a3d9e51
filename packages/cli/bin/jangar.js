#!/usr/bin/env node
// The `jangar` command. It runs the CLI's bundle, rebuilt first when a source changed (bundle.js);
// where no bundle can be built (no esbuild, a read-only checkout) it runs the TypeScript through
// tsx's loader instead. Modules resolve from this file, so it works from any directory (and through
// `npm link`); no tsconfig is read, so a project's tsconfig in the working directory cannot interfere.
import { fileURLToPath } from 'node:url';
import { currentBundle } from './bundle.js';

const source = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const bundle = await currentBundle({ entry: source, outfile: fileURLToPath(new URL('../dist/jangar.mjs', import.meta.url)) });
let main;
if (bundle) ({ main } = await import(bundle));
else {
  const { register } = await import('tsx/esm/api');
  register({ tsconfig: false });
  ({ main } = await import('../src/main.ts'));
}
process.exitCode = await main(process.argv);
