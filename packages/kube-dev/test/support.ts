import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CustomObjectsApi, KubeConfig, Watch } from '@kubernetes/client-node';
import { afterEach } from 'vitest';
import { kubeconfigFor, startKubeDev } from '../src/index.js';
import type { KubeDev, KubeDevOptions, KubeObject } from '../src/index.js';

/** The AgentRun coordinates every integration test uses. */
export const AR = { group: 'agents.proompteng.ai', version: 'v1alpha1', plural: 'agentruns' } as const;
export const AR_API_VERSION = `${AR.group}/${AR.version}`;

/** A started server plus clients configured through a kubeconfig, as a user would. */
export interface TestServer {
  kd: KubeDev;
  url: string;
  stateFile: string;
  kc: KubeConfig;
  api: CustomObjectsApi;
}

/** A minimal AgentRun body. */
export function agentRun(
  name: string,
  extra: { labels?: Record<string, string>; annotations?: Record<string, string>; finalizers?: string[] } = {},
): KubeObject {
  return {
    apiVersion: AR_API_VERSION,
    kind: 'AgentRun',
    metadata: { name, ...extra } as KubeObject['metadata'],
    spec: { agentRef: { name: 'agent' }, runtime: { type: 'job' }, implementation: { inline: { text: `do ${name}` } } },
  };
}

/**
 * Starts servers on port 0 with a temporary state directory and closes them (and deletes the
 * directories) after each test. Simulation is off unless a test asks for it.
 */
export function serverHarness(): {
  start(opts?: KubeDevOptions & { stateFile?: string }): Promise<TestServer>;
  tempDir(): Promise<string>;
} {
  const servers: KubeDev[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });
  const tempDir = async (): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), 'kube-dev-test-'));
    dirs.push(dir);
    return dir;
  };
  return {
    tempDir,
    async start(opts = {}) {
      const stateFile = opts.stateFile ?? join(await tempDir(), 'state.jsonl');
      const kd = await startKubeDev({ simulate: false, ...opts, stateFile, port: 0 });
      servers.push(kd);
      const kc = new KubeConfig();
      kc.loadFromString(kubeconfigFor(kd.url));
      return { kd, url: kd.url, stateFile, kc, api: kc.makeApiClient(CustomObjectsApi) };
    },
  };
}

/** Polls `probe` until it returns something other than undefined/false, or fails after the deadline. */
export async function waitFor<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** One event as delivered by client-node's Watch. */
export interface SeenEvent {
  type: string;
  object: KubeObject & { code?: number; reason?: string };
}

/** A running client-node watch that records what it sees. */
export interface WatchRecorder {
  events: SeenEvent[];
  /** Resolves with the error (or null) passed to the done callback. */
  ended: Promise<unknown>;
  stop(): void;
}

/** Starts a client-node watch on `path` and records every event. */
export async function recordWatch(
  kc: KubeConfig,
  path: string,
  query: Record<string, string | number | boolean> = {},
): Promise<WatchRecorder> {
  const events: SeenEvent[] = [];
  let finish: (err: unknown) => void = () => {};
  const ended = new Promise<unknown>((resolve) => (finish = resolve));
  const controller = await new Watch(kc).watch(
    path,
    query,
    (type, object) => events.push({ type, object: object as SeenEvent['object'] }),
    (err) => finish(err),
  );
  return { events, ended, stop: () => controller.abort() };
}

/** Reads a status code off whatever client-node threw. */
export async function errorOf(
  promise: Promise<unknown>,
): Promise<{ code: number; body: { reason?: string; message?: string; code?: number; kind?: string; details?: Record<string, unknown> } }> {
  try {
    await promise;
  } catch (err) {
    const e = err as { code?: number; body?: unknown };
    const body = typeof e.body === 'string' ? (JSON.parse(e.body) as object) : (e.body as object);
    return { code: e.code ?? 0, body: body as { reason?: string; message?: string } };
  }
  throw new Error('expected the request to fail');
}
