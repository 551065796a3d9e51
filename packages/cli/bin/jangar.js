#!/usr/bin/env node
// The `jangar` command. Jangar runs its TypeScript as it is (no build step): register tsx's loader,
// then start the CLI. Modules resolve from this file, so it works from any directory (and through
// `npm link`); no tsconfig is read, so a project's tsconfig in the working directory cannot interfere.
import { register } from 'tsx/esm/api';

register({ tsconfig: false });
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv);
