import { KINDS } from '@jangar/contracts';
import { describe, expect, it } from 'vitest';
import { serverHarness } from './support.js';

const harness = serverHarness();

async function getJson(url: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown>; type: string | null }> {
  const res = await fetch(url, init);
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, type: res.headers.get('content-type') };
}

describe('discovery and plumbing endpoints', () => {
  it('serves version, probes and discovery documents', async () => {
    const { url } = await harness.start();
    expect((await getJson(`${url}/version`)).body).toMatchObject({ major: '1', minor: '32', gitVersion: 'v1.32.0' });
    for (const probe of ['healthz', 'readyz', 'livez']) expect(await (await fetch(`${url}/${probe}`)).text()).toBe('ok');

    expect((await getJson(`${url}/api`)).body).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    const core = await getJson(`${url}/api/v1`);
    expect(core.body).toMatchObject({
      kind: 'APIResourceList',
      groupVersion: 'v1',
      resources: [{ name: 'namespaces', kind: 'Namespace' }],
    });

    // kubectl asks for aggregated discovery first; a plain APIGroupList makes it fall back.
    const groups = await getJson(`${url}/apis`, {
      headers: { Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json' },
    });
    expect(groups.type).toBe('application/json');
    // Every group of the contract kinds, in KINDS order, then the provider workload groups.
    const kindGroups = [...new Set(KINDS.map((k) => k.group))];
    expect((groups.body.groups as { name: string }[]).map((g) => g.name)).toEqual([...kindGroups, 'batch', 'argoproj.io']);
    expect(kindGroups.slice(0, 2)).toEqual(['agents.proompteng.ai', 'orchestration.proompteng.ai']);

    expect((await getJson(`${url}/apis/agents.proompteng.ai`)).body).toMatchObject({
      kind: 'APIGroup',
      name: 'agents.proompteng.ai',
      preferredVersion: { groupVersion: 'agents.proompteng.ai/v1alpha1', version: 'v1alpha1' },
    });
    const resources = (await getJson(`${url}/apis/agents.proompteng.ai/v1alpha1`)).body.resources as Record<string, unknown>[];
    expect(resources).toContainEqual({
      name: 'agentruns',
      singularName: 'agentrun',
      namespaced: true,
      kind: 'AgentRun',
      verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
      shortNames: ['ar'],
      categories: ['jangar'],
    });
    expect(resources).toContainEqual(
      expect.objectContaining({ name: 'agentruns/status', kind: 'AgentRun', verbs: ['get', 'patch', 'update'] }),
    );
    expect((await getJson(`${url}/apis/batch/v1`)).body).toMatchObject({
      groupVersion: 'batch/v1',
      resources: [{ name: 'jobs', kind: 'Job' }, { name: 'jobs/status' }],
    });
  });

  it('synthesizes namespaces from the objects that exist', async () => {
    const { url, api } = await harness.start();
    await api.createNamespacedCustomObject({
      group: 'batch',
      version: 'v1',
      namespace: 'team-a',
      plural: 'jobs',
      body: { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' } },
    });
    const list = await getJson(`${url}/api/v1/namespaces`);
    expect((list.body.items as { metadata: { name: string } }[]).map((n) => n.metadata.name)).toEqual(['default', 'jangar', 'team-a']);
    expect((await getJson(`${url}/api/v1/namespaces/anything`)).body).toMatchObject({ kind: 'Namespace', status: { phase: 'Active' } });
  });

  it('answers unknown paths, verbs and media types with Status errors', async () => {
    const { url } = await harness.start();
    const status = (code: number, reason: string) => ({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason });
    expect((await getJson(`${url}/apis/nope.example.com/v1/things`)).body).toMatchObject(status(404, 'NotFound'));
    expect((await getJson(`${url}/apis/agents.proompteng.ai/v1alpha1/namespaces/x/agentruns/a/scale`)).body).toMatchObject(
      status(404, 'NotFound'),
    );
    expect((await getJson(`${url}/apis`, { method: 'POST' })).body).toMatchObject(status(405, 'MethodNotAllowed'));
    const base = `${url}/apis/agents.proompteng.ai/v1alpha1/namespaces/x/agentruns`;
    expect(
      (await getJson(`${base}/a`, { method: 'PATCH', headers: { 'Content-Type': 'application/merge-patch+json' }, body: '{}' })).body,
    ).toMatchObject(status(404, 'NotFound'));
    expect((await getJson(base, { method: 'POST', headers: { 'Content-Type': 'application/yaml' }, body: 'a: b' })).body).toMatchObject(
      status(415, 'UnsupportedMediaType'),
    );
    expect(
      (await getJson(base, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{not json' })).body,
    ).toMatchObject(status(400, 'BadRequest'));
    const badNamespace = `${url}/apis/agents.proompteng.ai/v1alpha1/namespaces/Not_A_Namespace/agentruns`;
    const created = await getJson(badNamespace, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ apiVersion: 'agents.proompteng.ai/v1alpha1', kind: 'AgentRun', metadata: { name: 'a' } }),
    });
    expect(created.body).toMatchObject({ ...status(404, 'NotFound'), message: 'namespaces "Not_A_Namespace" not found' });
    expect((await getJson(`${base}?watch=true&resourceVersion=abc`)).body).toMatchObject(status(400, 'BadRequest'));
  });
});
