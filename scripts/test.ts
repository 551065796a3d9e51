/**
 * `npm test`: everything CI checks, in order, failing fast — typecheck, lint, then every vitest
 * test (unit, integration against real servers, end to end). Binaries the tests need are found or
 * installed once up front, so parallel test files never race to install them.
 */
import { spawnSync } from 'node:child_process';
import { findOrInstallNatsServer, findOrInstallTool } from '@jangar/devstack';
import { DOCKER_COMPOSE } from './tools.js';

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
step('typecheck', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']);
step('lint', 'npx', ['eslint', '.']);
const extra = process.argv.slice(2);
// Unit and integration tests run two files at a time; the end-to-end files each start the whole
// control plane (nine processes), so on two cores they run one after another.
step('unit and integration tests', 'npx', ['vitest', 'run', '--exclude', 'test/e2e/**', ...extra]);
step('end-to-end tests', 'npx', ['vitest', 'run', 'test/e2e', '--fileParallelism=false', ...extra]);
