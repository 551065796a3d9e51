/**
 * `npm test`: everything CI checks, in order, failing fast — typecheck (Node and browser code),
 * lint, then every vitest test (unit, integration against real servers, then the web UI build and
 * end to end). Binaries the tests need (chromium for the UI's browser tests among them) are found
 * or installed once up front, so parallel test files never race to install them.
 */
import { spawnSync } from 'node:child_process';
import { findOrInstallNatsServer, findOrInstallTool } from '@jangar/devstack';
import { CHROMIUM, DOCKER_COMPOSE } from './tools.js';

function step(name: string, command: string, args: string[]): void {
  const t0 = Date.now();
  console.log(`\n▶ ${name}: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit', env: process.env });
  const seconds = ((Date.now() - t0) / 1000).toFixed(1);
  if (result.status !== 0) {
    console.error(`✗ ${name} failed (exit ${result.status ?? result.signal}) after ${seconds}s`);
    process.exit(result.status ?? 1);
  }
  console.log(`✓ ${name} (${seconds}s)`);
}

const log = (line: string) => console.log(line);
console.log(`nats-server: ${await findOrInstallNatsServer({ log })}`);
console.log(`docker-compose: ${await findOrInstallTool(DOCKER_COMPOSE, { log })}`);
console.log(`chromium: ${await findOrInstallTool(CHROMIUM, { log })}`);
step('typecheck', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']);
step('typecheck the web UI', 'npx', ['tsc', '-p', 'packages/ui/tsconfig.json', '--noEmit']);
step('lint', 'npx', ['eslint', '.']);
const extra = process.argv.slice(2);
// Unit and integration tests run two files at a time; the end-to-end files each start the whole
// control plane (nine processes), so on two cores they run one after another.
step('unit and integration tests', 'npx', ['vitest', 'run', '--exclude', 'test/e2e/**', ...extra]);
// The gateway serves packages/ui/dist at /ui; the browser tests need a build of the current sources.
step('web UI build', 'npx', ['vite', 'build', 'packages/ui']);
step('end-to-end tests', 'npx', ['vitest', 'run', 'test/e2e', '--fileParallelism=false', ...extra]);
