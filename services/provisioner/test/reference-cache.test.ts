import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '@jangar/contracts';
import { kubeconfigFor, startKubeDev, type KubeDev } from '@jangar/kube-dev';
import { createLogger } from '@jangar/service-kit';
import { reuseConnections } from '@jangar/service-kit/kube';
import { countPublished } from '../../../test/support/diagnostics.js';
import { eventually } from '../../../test/support/stack.js';
import { REFERENCED_KINDS } from '../src/apply/references.js';
import { Cluster } from '../src/cluster.js';
import { ReferenceCache } from '../src/reference-cache.js';

const NS = 'refs';
let kd: KubeDev;
let kc: KubeConfig;
let api: CustomObjectsApi;
let cache: ReferenceCache;

beforeAll(async () => {
  kd = await startKubeDev({ simulate: false });
  kc = new KubeConfig();
  kc.loadFromString(kubeconfigFor(kd.url));
  reuseConnections(kc);
  api = kc.makeApiClient(CustomObjectsApi);
  cache = new ReferenceCache(kc, api, REFERENCED_KINDS, createLogger('test', 'silent'));
  cache.start();
});

afterAll(async () => {
  await cache?.stop();
  await kd?.close();
});

const createAgent = (name: string) =>
  api.createNamespacedCustomObject({
    group: Agent.group,
    version: Agent.version,
    plural: Agent.plural,
    namespace: NS,
    body: {
      apiVersion: `${Agent.group}/${Agent.version}`,
      kind: 'Agent',
      metadata: { name, namespace: NS },
      spec: { providerRef: { name: 'codex' } },
    },
  });

describe('checking that a referenced object exists', () => {
  it('answers from the informer cache, without an API call, once the cache holds the object', async () => {
    await createAgent('cached');
    await eventually('the cache to see the Agent', async () => (cache.has(Agent, NS, 'cached') ? true : undefined));
    const cluster = new Cluster(api, cache);
    let exists = false;
    expect(await countPublished('undici:request:create', async () => (exists = await cluster.exists(Agent, NS, 'cached')))).toBe(0);
    expect(exists).toBe(true);
  });

  it('asks the API server about an object the cache does not hold, and believes its 404', async () => {
    const cold = new ReferenceCache(kc, api, [], createLogger('test', 'silent'));
    const cluster = new Cluster(api, cold);
    await createAgent('fresh');
    let exists = false;
    expect(await countPublished('undici:request:create', async () => (exists = await cluster.exists(Agent, NS, 'fresh')))).toBe(1);
    expect(exists).toBe(true);
    expect(await cluster.exists(Agent, NS, 'never-created')).toBe(false);
  });
});
