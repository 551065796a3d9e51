import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../src/index.js';
import { isGone, orphanChild } from '../../../test/support/launcher-death.js';
import { AR, agentRun, serverHarness, waitFor } from './support.js';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const harness = serverHarness();
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

describe('main.ts', () => {
  it('starts from env, writes a kubeconfig, logs ready, simulates runs and exits 0 on SIGTERM', async () => {
    const dir = await harness.tempDir();
    const stateFile = join(dir, 'state.jsonl');
    const kubeconfigPath = join(dir, 'kube', 'config');
    const child = spawn(process.execPath, ['--import', 'tsx', join(packageDir, 'src', 'main.ts')], {
      cwd: packageDir,
      env: {
        ...process.env,
        KUBE_DEV_PORT: '0',
        KUBE_DEV_STATE_FILE: stateFile,
        KUBE_DEV_KUBECONFIG: kubeconfigPath,
        JANGAR_SIM_STEP_MS: '20',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const logs: { msg?: string; url?: string }[] = [];
    createInterface({ input: child.stdout! }).on('line', (line) => logs.push(JSON.parse(line) as { msg?: string }));

    const ready = await waitFor(() => logs.find((l) => l.msg === 'kube-dev ready'), 'the ready log line', 20_000);
    expect(ready.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await (await fetch(`${ready.url}/healthz`)).text()).toBe('ok');

    const kc = new KubeConfig();
    kc.loadFromString(await readFile(kubeconfigPath, 'utf8'));
    expect(kc.getCurrentCluster()?.server).toBe(ready.url);
    const api = kc.makeApiClient(CustomObjectsApi);
    await api.createNamespacedCustomObject({ ...AR, namespace: 'jangar', body: agentRun('from-main') });
    await waitFor(async () => {
      const obj = (await api.getNamespacedCustomObject({ ...AR, namespace: 'jangar', name: 'from-main' })) as KubeObject;
      return (obj.status as { phase?: string } | undefined)?.phase === 'Succeeded';
    }, 'the simulator to finish the run');

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(await readFile(stateFile, 'utf8')).toContain('"from-main"');
  });

  it('started by the stack (JANGAR_EXIT_WITH_PARENT=1), exits when its launcher is SIGKILLed', async () => {
    const dir = await harness.tempDir();
    const pid = await orphanChild({
      command: process.execPath,
      args: ['--import', 'tsx', join(packageDir, 'src', 'main.ts')],
      logFile: join(dir, 'kube-dev.log'),
      env: { KUBE_DEV_PORT: '0', KUBE_DEV_STATE_FILE: join(dir, 'state.jsonl') },
      ready: (log) => log.includes('"msg":"kube-dev ready"'),
    });
    try {
      await waitFor(() => isGone(pid), 'the orphaned kube-dev to exit', 20_000);
    } finally {
      if (!isGone(pid)) process.kill(pid, 'SIGKILL');
    }
  });
});
