import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT, SERVICE_NAMES } from '@jangar/stack';
import { findOrInstallTool } from '@jangar/devstack';
import { DOCKER_COMPOSE } from '../../scripts/tools.js';

const run = promisify(execFile);

describe('docker-compose.yml', () => {
  it('is accepted by docker-compose config', async () => {
    const bin = await findOrInstallTool(DOCKER_COMPOSE);
    const { stdout } = await run(bin, ['-f', path.join(REPO_ROOT, 'docker-compose.yml'), 'config'], { cwd: REPO_ROOT });
    const config = parse(stdout) as {
      services: Record<string, { depends_on?: Record<string, { condition: string }>; healthcheck?: unknown }>;
    };
    // nats with JetStream, postgres, the development API server and the five services.
    expect(Object.keys(config.services).sort()).toEqual([...SERVICE_NAMES, 'kube-dev', 'nats', 'postgres'].sort());
    for (const name of SERVICE_NAMES) {
      expect(config.services[name]!.depends_on, name).toMatchObject({
        nats: { condition: 'service_healthy' },
        postgres: { condition: 'service_healthy' },
      });
    }
  });
});
