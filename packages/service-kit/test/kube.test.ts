import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeconfigFor, startKubeDev, type KubeDev } from '@jangar/kube-dev';
import { countPublished } from '../../../test/support/diagnostics.js';
import { customObjects, loadKubeConfig } from '../src/kube.js';

let kd: KubeDev;
let dir: string;
let kubeconfig: string;

beforeAll(async () => {
  kd = await startKubeDev({ simulate: false });
  dir = await mkdtemp(path.join(os.tmpdir(), 'jangar-kube-'));
  kubeconfig = path.join(dir, 'kubeconfig');
  await writeFile(kubeconfig, kubeconfigFor(kd.url));
});

afterAll(async () => {
  await kd?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the Kubernetes client', () => {
  it('shares keep-alive connections between calls instead of opening one per call', async () => {
    const api = customObjects(loadKubeConfig(kubeconfig));
    const list = () =>
      api.listNamespacedCustomObject({ group: 'agents.proompteng.ai', version: 'v1alpha1', plural: 'agents', namespace: 'default' });
    // client-node alone opens one per call, ten here; a pool may open a second while the first is handed back.
    const opened = await countPublished('undici:client:connected', async () => {
      for (let i = 0; i < 10; i++) await list();
    });
    expect(opened).toBeLessThanOrEqual(2);
  });
});
