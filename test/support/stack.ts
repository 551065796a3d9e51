import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import pg from 'pg';
import { startStack, type Stack, type StackOptions } from '@jangar/stack';

/** A stack in a temp dir, removed again by `close()`; progress goes to the test log only on failure. */
export async function testStack(opts: Omit<StackOptions, 'dataDir'> = {}): Promise<Stack & { close(): Promise<void>; db: pg.Pool }> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'jangar-e2e-'));
  const lines: string[] = [];
  let stack: Stack;
  try {
    // A generous wait budget: on a loaded 2-core machine a create can take seconds, and a test that
    // expects 201 must not get a 202 for it. Tests about the slow path set their own.
    stack = await startStack({
      dataDir,
      httpPort: 0,
      simStepMs: 50,
      log: (l) => lines.push(l),
      ...opts,
      // Concurrency and rate limits out of the way: tests that create many runs are not about
      // them; the policy tests set their own through Guardrails.
      env: {
        JANGAR_WAIT_MS: '10000',
        JANGAR_POLICY_CONCURRENCY_NAMESPACE: '100000',
        JANGAR_POLICY_CONCURRENCY_AGENT: '100000',
        JANGAR_POLICY_CONCURRENCY_CLUSTER: '100000',
        JANGAR_POLICY_RATE_NAMESPACE: '100000',
        JANGAR_POLICY_RATE_CLUSTER: '100000',
        ...opts.env,
      },
    });
  } catch (err) {
    throw new Error(`the stack did not start:\n${lines.join('\n')}\n${(err as Error).message}`, { cause: err });
  }
  const db = new pg.Pool({ connectionString: stack.databaseUrl, max: 2 });
  // Tests that restart Postgres break idle connections; the pool replaces them.
  db.on('error', () => undefined);
  return Object.assign(stack, {
    db,
    async close() {
      await db.end();
      await stack.stop();
      // JANGAR_KEEP_TEST_DATA=1 keeps the data and logs of a run for a post-mortem.
      if (!process.env.JANGAR_KEEP_TEST_DATA) await rm(dataDir, { recursive: true, force: true });
    },
  });
}

/** A small client for the gateway. */
export function api(baseUrl: string, token: string) {
  const call = async (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${baseUrl}${url}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      text,
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary response bodies
      json: text ? (JSON.parse(text) as any) : undefined,
    };
  };
  return {
    post: (url: string, body: unknown, headers?: Record<string, string>) => call('POST', url, body, headers),
    get: (url: string, headers?: Record<string, string>) => call('GET', url, undefined, headers),
    put: (url: string, body: unknown, headers?: Record<string, string>) => call('PUT', url, body, headers),
    /** A JSON merge patch; the deliveryId goes in `Idempotency-Key`. */
    patch: (url: string, body: unknown, deliveryId: string, headers?: Record<string, string>) =>
      call('PATCH', url, body, { 'content-type': 'application/merge-patch+json', 'idempotency-key': deliveryId, ...headers }),
    delete: (url: string, deliveryId: string, headers?: Record<string, string>) =>
      call('DELETE', url, undefined, { 'idempotency-key': deliveryId, ...headers }),
  };
}

/** Polls until `probe` returns a value, or fails naming `what` after the deadline. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 45_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

/** A client-node configuration for the stack's cluster, loaded from its kubeconfig as a user would. */
export function kubeConfigOf(stack: Stack): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(stack.kubeconfig);
  return kc;
}

/** Creates the Agent `name` in `namespace` through the API with the dev token and waits until it exists; fails on any refusal. */
export async function createAgent(stack: Stack, namespace: string, name = 'coder'): Promise<void> {
  const res = await api(stack.gatewayUrl, stack.devToken).post('/v1/agents', {
    deliveryId: `agent-${namespace}-${name}`,
    metadata: { namespace, name },
    spec: { providerRef: { name: 'codex' } },
  });
  if (res.status === 202) {
    // Slower than the stack's wait budget (a loaded machine, or a test that shortens it): the
    // Agent is still being created; wait until it can be read.
    await eventually(`Agent ${namespace}/${name} to exist`, async () =>
      (await api(stack.gatewayUrl, stack.devToken).get(`/v1/agents/${namespace}/${name}`)).status === 200 ? true : undefined,
    );
    return;
  }
  if (res.status !== 201) throw new Error(`creating Agent ${namespace}/${name} answered ${res.status}: ${res.text}`);
}
