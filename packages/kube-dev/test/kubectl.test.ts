import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Agent, AgentRun, crdFor } from '@jangar/contracts';
import { writeKubeconfig } from '../src/index.js';
import type { KubeObject } from '../src/index.js';
import { AR, agentRun, serverHarness } from './support.js';
import type { TestServer } from './support.js';

const run = promisify(execFile);
const harness = serverHarness();
const KUBECTL = '/usr/bin/kubectl';

async function kubectlFor(server: TestServer): Promise<(...args: string[]) => Promise<string>> {
  const dir = await harness.tempDir();
  const kubeconfig = join(dir, 'kubeconfig');
  await writeKubeconfig(kubeconfig, server.url);
  return async (...args) => {
    // A private cache dir keeps discovery from one test's server out of another's.
    const { stdout } = await run(KUBECTL, ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), ...args], { timeout: 20_000 });
    return stdout;
  };
}

describe('kubectl against kube-dev', () => {
  it('is installed on this machine (the tests below need it)', () => {
    expect(existsSync(KUBECTL)).toBe(true);
  });

  it('gets, lists, filters and prints tables', async () => {
    const server = await harness.start();
    const kubectl = await kubectlFor(server);
    await server.api.createNamespacedCustomObject({ ...AR, namespace: 'ns', body: agentRun('first', { labels: { a: 'b' } }) });
    await server.api.createNamespacedCustomObject({ ...AR, namespace: 'ns', body: agentRun('second') });
    await server.api.createNamespacedCustomObject({ ...AR, namespace: 'jangar', body: agentRun('in-default-ns') });

    const list = JSON.parse(await kubectl('get', 'agentruns', '-n', 'ns', '-o', 'json')) as { kind: string; items: KubeObject[] };
    expect(list.kind).toBe('List');
    expect(list.items.map((i) => i.metadata.name)).toEqual(['first', 'second']);

    // The kubeconfig's context namespace is `jangar`.
    const table = await kubectl('get', 'agentruns.agents.proompteng.ai');
    expect(table.split('\n')[0]).toMatch(/^NAME\s+AGENT\s+RUNTIME\s+PHASE\s+AGE\s*$/);
    // No phase yet (simulation is off), so that cell is blank.
    expect(table).toMatch(/^in-default-ns\s+agent\s+job\s+\d+s\s*$/m);
    expect(table).toContain('in-default-ns');
    expect(table).not.toContain('first');

    expect((await kubectl('get', 'ar', '-n', 'ns', '-l', 'a=b', '-o', 'name')).trim()).toBe('agentrun.agents.proompteng.ai/first');
    expect((await kubectl('get', 'ar', '-A', '--no-headers')).split('\n').filter(Boolean)).toHaveLength(3);
    expect(await kubectl('get', 'ar', 'second', '-n', 'ns', '-o', 'jsonpath={.metadata.uid}')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('prints the columns of the committed CRDs and expands the jangar category', async () => {
    const server = await harness.start();
    const kubectl = await kubectlFor(server);
    await server.api.createNamespacedCustomObject({ ...AR, namespace: 'jangar', body: agentRun('run') });
    await server.api.createNamespacedCustomObject({
      group: Agent.group,
      version: Agent.version,
      plural: Agent.plural,
      namespace: 'jangar',
      body: {
        apiVersion: `${Agent.group}/${Agent.version}`,
        kind: 'Agent',
        metadata: { name: 'helper' },
        spec: { providerRef: { name: 'p' } },
      },
    });
    for (const kind of [Agent, AgentRun]) {
      const columns = crdFor(kind).spec.versions[0]?.additionalPrinterColumns ?? [];
      const header = (await kubectl('get', `${kind.plural}.${kind.group}`)).split('\n')[0] ?? '';
      expect(header.trim().split(/\s+/), kind.kind).toEqual(['NAME', ...columns.map((c) => c.name.toUpperCase())]);
    }
    const all = await kubectl('get', 'jangar', '-o', 'name');
    expect(all.trim().split('\n').sort()).toEqual(['agent.agents.proompteng.ai/helper', 'agentrun.agents.proompteng.ai/run']);
  });

  it('creates, applies, labels, patches and deletes from the command line', async () => {
    const server = await harness.start();
    const kubectl = await kubectlFor(server);
    const dir = await harness.tempDir();
    const manifest = join(dir, 'run.json');
    await writeFile(manifest, JSON.stringify(agentRun('cli')));

    expect(await kubectl('create', '-f', manifest)).toContain('agentrun.agents.proompteng.ai/cli created');
    expect(await kubectl('apply', '-f', manifest)).toContain('configured');
    expect(await kubectl('label', 'ar', 'cli', 'team=core')).toContain('labeled');
    expect(await kubectl('patch', 'ar', 'cli', '--type=merge', '-p', '{"spec":{"idempotencyKey":"k"}}')).toContain('patched');
    const obj = JSON.parse(await kubectl('get', 'ar', 'cli', '-o', 'json')) as KubeObject;
    expect(obj.metadata.labels).toEqual({ team: 'core' });
    expect(obj.metadata.generation).toBe(2);
    expect(await kubectl('delete', 'ar', 'cli')).toContain('deleted');
    expect(await kubectl('get', 'ar', '--ignore-not-found', '-o', 'name')).toBe('');
  });

  it('reports discovery and server version', async () => {
    const server = await harness.start();
    const kubectl = await kubectlFor(server);
    const resources = await kubectl('api-resources', '--no-headers');
    for (const name of ['agentruns', 'agents', 'memories', 'orchestrations', 'orchestrationruns', 'jobs', 'workflows']) {
      expect(resources).toMatch(new RegExp(`^${name}\\s`, 'm'));
    }
    const version = JSON.parse(await kubectl('version', '-o', 'json')) as { serverVersion: { gitVersion: string } };
    expect(version.serverVersion.gitVersion).toBe('v1.32.0');
  });
});
