import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../src/index.js';
import { AR, agentRun, errorOf, serverHarness } from './support.js';
import type { TestServer } from './support.js';

const harness = serverHarness();

interface List {
  kind: string;
  apiVersion: string;
  metadata: { resourceVersion: string; continue?: string };
  items: KubeObject[];
}

async function seed(server: TestServer): Promise<void> {
  const runs: [string, string, Record<string, string>][] = [
    ['ns-a', 'alpha', { tier: 'web', env: 'prod' }],
    ['ns-a', 'bravo', { tier: 'db', env: 'prod' }],
    ['ns-a', 'charlie', { tier: 'web' }],
    ['ns-b', 'delta', { tier: 'cache', env: 'dev' }],
    ['ns-b', 'echo', {}],
  ];
  for (const [namespace, name, labels] of runs) {
    await server.api.createNamespacedCustomObject({ ...AR, namespace, body: agentRun(name, { labels }) });
  }
}

async function names(server: TestServer, query: { namespace?: string; labelSelector?: string; fieldSelector?: string }): Promise<string[]> {
  const list = (
    query.namespace
      ? await server.api.listNamespacedCustomObject({ ...AR, namespace: query.namespace, ...query })
      : await server.api.listClusterCustomObject({ ...AR, ...query })
  ) as List;
  return list.items.map((i) => i.metadata.name);
}

describe('list', () => {
  it('returns a typed list with the current resourceVersion, ordered by namespace then name', async () => {
    const server = await harness.start();
    await seed(server);
    const list = (await server.api.listClusterCustomObject({ ...AR })) as List;
    expect(list.kind).toBe('AgentRunList');
    expect(list.apiVersion).toBe('agents.proompteng.ai/v1alpha1');
    expect(list.metadata.resourceVersion).toBe(String(server.kd.store.resourceVersion));
    expect(list.items.map((i) => `${i.metadata.namespace}/${i.metadata.name}`)).toEqual([
      'ns-a/alpha',
      'ns-a/bravo',
      'ns-a/charlie',
      'ns-b/delta',
      'ns-b/echo',
    ]);
    expect(list.items.every((i) => i.kind === 'AgentRun' && i.apiVersion === 'agents.proompteng.ai/v1alpha1')).toBe(true);
    expect(await names(server, { namespace: 'ns-b' })).toEqual(['delta', 'echo']);
  });

  it('filters by every label selector operator', async () => {
    const server = await harness.start();
    await seed(server);
    const cases: [string, string[]][] = [
      ['tier=web', ['alpha', 'charlie']],
      ['tier==web', ['alpha', 'charlie']],
      ['tier!=web', ['bravo', 'delta', 'echo']],
      ['tier in (db,cache)', ['bravo', 'delta']],
      ['tier notin (web)', ['bravo', 'delta', 'echo']],
      ['env', ['alpha', 'bravo', 'delta']],
      ['!env', ['charlie', 'echo']],
      ['tier=web,env=prod', ['alpha']],
      ['tier in (web, db), !env', ['charlie']],
      // As in Kubernetes, `()` is the set holding only the empty value, not a syntax error.
      ['tier in ()', []],
      ['tier notin ()', ['alpha', 'bravo', 'charlie', 'delta', 'echo']],
      ['', ['alpha', 'bravo', 'charlie', 'delta', 'echo']],
    ];
    for (const [labelSelector, expected] of cases) {
      expect(await names(server, { labelSelector }), labelSelector).toEqual(expected);
    }
  });

  it('rejects a malformed label selector with 400', async () => {
    const server = await harness.start();
    for (const labelSelector of ['tier in web', 'a=b=c', 'tier in (web', '=x', 'env=prod,bad key!=1']) {
      const err = await errorOf(server.api.listClusterCustomObject({ ...AR, labelSelector }));
      expect(err.code, labelSelector).toBe(400);
      expect(err.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'BadRequest', code: 400 });
    }
    const err = await errorOf(server.api.listClusterCustomObject({ ...AR, labelSelector: 'env=prod,bad key!=1' }));
    expect(err.body.message).toContain('"bad key!=1"');
  });

  it('filters by field selector', async () => {
    const server = await harness.start();
    await seed(server);
    expect(await names(server, { fieldSelector: 'metadata.name=bravo' })).toEqual(['bravo']);
    expect(await names(server, { fieldSelector: 'metadata.name==bravo' })).toEqual(['bravo']);
    expect(await names(server, { fieldSelector: 'metadata.namespace=ns-b' })).toEqual(['delta', 'echo']);
    expect(await names(server, { fieldSelector: 'metadata.namespace!=ns-b,metadata.name!=alpha' })).toEqual(['bravo', 'charlie']);
    expect(await names(server, { fieldSelector: 'metadata.name=delta', labelSelector: 'env=dev' })).toEqual(['delta']);
    const unsupported = await errorOf(server.api.listClusterCustomObject({ ...AR, fieldSelector: 'spec.agentRef.name=agent' }));
    expect(unsupported.code).toBe(400);
    expect(unsupported.body.message).toContain('field label not supported');
  });

  it('pages with limit and continue, with a stable order', async () => {
    const server = await harness.start();
    for (let i = 0; i < 7; i++) {
      await server.api.createNamespacedCustomObject({
        ...AR,
        namespace: 'pg',
        body: agentRun(`run-${i}`, { labels: { odd: String(i % 2) } }),
      });
    }
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = (await server.api.listNamespacedCustomObject({ ...AR, namespace: 'pg', limit: 3, _continue: token })) as List;
      seen.push(...page.items.map((i) => i.metadata.name));
      token = page.metadata.continue;
      pages++;
      if (token) {
        // Writes between pages do not disturb the order of what is left.
        await server.api.createNamespacedCustomObject({ ...AR, namespace: 'pg', body: agentRun(`a-late-${pages}`) });
      }
    } while (token);
    expect(pages).toBe(3);
    expect(seen).toEqual(['run-0', 'run-1', 'run-2', 'run-3', 'run-4', 'run-5', 'run-6']);

    const filtered = (await server.api.listNamespacedCustomObject({ ...AR, namespace: 'pg', limit: 2, labelSelector: 'odd=1' })) as List;
    expect(filtered.items.map((i) => i.metadata.name)).toEqual(['run-1', 'run-3']);
    const rest = (await server.api.listNamespacedCustomObject({
      ...AR,
      namespace: 'pg',
      limit: 2,
      labelSelector: 'odd=1',
      _continue: filtered.metadata.continue,
    })) as List;
    expect(rest.items.map((i) => i.metadata.name)).toEqual(['run-5']);
    expect(rest.metadata.continue).toBeUndefined();

    const garbage = await errorOf(server.api.listNamespacedCustomObject({ ...AR, namespace: 'pg', limit: 2, _continue: 'not-a-token' }));
    expect(garbage.code).toBe(400);
  });

  it('answers a continue token whose snapshot has left the event log with 410 and a token that resumes anyway', async () => {
    const server = await harness.start({ eventLogSize: 3 });
    for (const name of ['s-0', 's-1', 's-2'])
      await server.api.createNamespacedCustomObject({ ...AR, namespace: 'snap', body: agentRun(name) });
    const first = (await server.api.listNamespacedCustomObject({ ...AR, namespace: 'snap', limit: 1 })) as List;
    for (let i = 0; i < 4; i++) await server.api.createNamespacedCustomObject({ ...AR, namespace: 'snap', body: agentRun(`t-${i}`) });
    const stale = await errorOf(
      server.api.listNamespacedCustomObject({ ...AR, namespace: 'snap', limit: 1, _continue: first.metadata.continue }),
    );
    expect(stale.code).toBe(410);
    expect(stale.body).toMatchObject({ reason: 'Expired', code: 410 });
    expect(stale.body.message).toMatch(/^The provided continue parameter is too old to display a consistent list result/);
    const inconsistent = (stale.body as { metadata?: { continue?: string } }).metadata?.continue;
    const rest = (await server.api.listNamespacedCustomObject({ ...AR, namespace: 'snap', _continue: inconsistent })) as List;
    // The rest of the list as it is now: the late objects show up.
    expect(rest.items.map((i) => i.metadata.name)).toEqual(['s-1', 's-2', 't-0', 't-1', 't-2', 't-3']);
  });

  it('serves a Table to kubectl-style Accept headers and deletes collections', async () => {
    const server = await harness.start();
    await seed(server);
    const res = await fetch(`${server.url}/apis/agents.proompteng.ai/v1alpha1/namespaces/ns-a/agentruns?labelSelector=tier%3Dweb`, {
      headers: { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' },
    });
    const table = (await res.json()) as { kind: string; columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[] };
    expect(table.kind).toBe('Table');
    // The committed AgentRun CRD's columns, not a kube-dev choice.
    expect(table.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Agent', 'Runtime', 'Phase', 'Age']);
    expect(table.rows.map((r) => r.cells.slice(0, 4))).toEqual([
      ['alpha', 'agent', 'job', null],
      ['charlie', 'agent', 'job', null],
    ]);

    await server.api.deleteCollectionNamespacedCustomObject({ ...AR, namespace: 'ns-a', labelSelector: 'env=prod' });
    expect(await names(server, {})).toEqual(['charlie', 'delta', 'echo']);
  });
});
