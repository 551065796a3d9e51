import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { api, eventually, testStack } from '../support/stack.js';

// The `jangar` CLI as a user runs it: a real process (node packages/cli/bin/jangar.js …) started
// from a directory outside the repository, talking to the real stack through JANGAR_URL/JANGAR_TOKEN.

const BIN = fileURLToPath(new URL('../../packages/cli/bin/jangar.js', import.meta.url));
const NS = 'cli';
const OPS_TOKEN = 'ops-approver-token';
const API_VERSION = 'agents.proompteng.ai/v1alpha1';

let stack: Awaited<ReturnType<typeof testStack>>;
let dev: ReturnType<typeof api>;
let dir: string;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Our worker's VITEST_* variables and any user settings of the CLI stay out of the child. */
function baseEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && !k.startsWith('JANGAR_')));
}

function start(args: string[], env: Record<string, string> = {}): { child: ChildProcess; done: Promise<Result>; stdout: () => string } {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: dir,
    env: {
      ...baseEnv(),
      JANGAR_URL: stack.gatewayUrl,
      JANGAR_TOKEN: stack.devToken,
      JANGAR_CONFIG: path.join(dir, 'no-config.json'),
      NO_COLOR: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const done = new Promise<Result>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
  return { child, done, stdout: () => stdout };
}

/** Runs `jangar <args>` to its end. */
const jangar = (args: string[], env?: Record<string, string>) => start(args, env).done;

const lines = (text: string) => text.split('\n').filter((l) => l !== '');

const AGENT_AND_RUN = `
apiVersion: ${API_VERSION}
kind: Agent
metadata:
  name: coder
  namespace: ${NS}
spec:
  providerRef: { name: codex }
---
apiVersion: ${API_VERSION}
kind: AgentRun
metadata:
  name: fix-ci
  namespace: ${NS}
  labels: { suite: cli }
spec:
  agentRef: { name: coder }
  runtime: { type: job }
  implementation: { inline: { text: Fix the flaky test in ci.yml } }
`;

const runDoc = (name: string, extra: { agent?: string; runtime?: boolean; annotations?: Record<string, string> } = {}) => ({
  apiVersion: API_VERSION,
  kind: 'AgentRun',
  metadata: { name, namespace: NS, labels: { suite: 'cli' }, ...(extra.annotations ? { annotations: extra.annotations } : {}) },
  spec: {
    agentRef: { name: extra.agent ?? 'coder' },
    ...(extra.runtime === false ? {} : { runtime: { type: 'job' } }),
    implementation: { inline: { text: name } },
  },
});

async function writeManifest(name: string, content: unknown): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

async function runIdOf(name: string): Promise<string> {
  const res = await jangar(['get', 'ar', name, '-n', NS, '-o', 'json']);
  expect(res.code, res.stderr).toBe(0);
  return (JSON.parse(res.stdout) as { id: string }).id;
}

const auditCount = async () => ((await dev.get(`/v1/audit?namespace=${NS}&limit=500`)).json.items as unknown[]).length;

beforeAll(async () => {
  // ops approves what dev (the requester in these tests) asks for.
  stack = await testStack({
    env: { JANGAR_API_TOKENS: JSON.stringify([{ token: OPS_TOKEN, subject: 'ops', namespaces: ['*'], roles: ['approver'] }]) },
  });
  dev = api(stack.gatewayUrl, stack.devToken);
  dir = await mkdtemp(path.join(os.tmpdir(), 'jangar-cli-e2e-'));
});

afterAll(async () => {
  await stack?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('jangar, against the real stack', () => {
  it('applies an Agent and an AgentRun from one file: created', async () => {
    const res = await jangar(['apply', '-f', await writeManifest('agent-and-run.yaml', AGENT_AND_RUN)]);
    expect(res.code, res.stderr).toBe(0);
    expect(lines(res.stdout)).toEqual(['agent.agents.proompteng.ai/coder created', 'agentrun.agents.proompteng.ai/fix-ci created']);
  });

  it('re-applies the same file as a no-op: unchanged, and no new audit event', async () => {
    // Both creates are recorded (asynchronously) before the count is taken.
    await eventually('the two creates to be audited', async () => ((await auditCount()) === 2 ? true : undefined));
    const res = await jangar(['apply', '-f', path.join(dir, 'agent-and-run.yaml')]);
    expect(res.code, res.stderr).toBe(0);
    expect(lines(res.stdout)).toEqual(['agent.agents.proompteng.ai/coder unchanged', 'agentrun.agents.proompteng.ai/fix-ci unchanged']);
    // Audit is asynchronous: an event for a write the re-apply sent could land after it returns. A
    // marker write (in a namespace of its own) goes the same way behind it: once the marker is
    // audited, such an event would be too.
    const marker = await dev.post('/v1/agents', {
      deliveryId: 'cli-audit-marker',
      metadata: { namespace: 'cli-marker', name: 'marker' },
      spec: { providerRef: { name: 'codex' } },
    });
    expect(marker.status, marker.text).toBe(201);
    await eventually('the marker to be audited', async () =>
      (await dev.get('/v1/audit?namespace=cli-marker')).json?.items?.length > 0 ? true : undefined,
    );
    expect(await auditCount()).toBe(2);
  });

  it('gets agents as a table, and as yaml and json', async () => {
    const table = await jangar(['get', 'agents', '-n', NS]);
    expect(table.code, table.stderr).toBe(0);
    const [header, row, ...rest] = lines(table.stdout);
    expect(header).toMatch(/^NAME {3,}AGE$/);
    expect(row).toMatch(/^coder {3,}\d+[sm]/);
    expect(rest).toEqual([]);
    expect(lines((await jangar(['get', 'agt', '-A'])).stdout)[0]).toMatch(/^NAMESPACE {3,}NAME {3,}AGE$/);

    const yaml = await jangar(['get', 'agent', 'coder', '-n', NS, '-o', 'yaml']);
    expect(yaml.code, yaml.stderr).toBe(0);
    expect(parse(yaml.stdout)).toMatchObject({
      kind: 'Agent',
      apiVersion: API_VERSION,
      metadata: { name: 'coder', namespace: NS },
      spec: { providerRef: { name: 'codex' } },
    });

    const json = await jangar(['get', 'agents', '-n', NS, '-o', 'json']);
    expect((JSON.parse(json.stdout) as { items: Array<{ metadata: { name: string } }> }).items.map((i) => i.metadata.name)).toEqual([
      'coder',
    ]);
  });

  it('gets runs by label selector and phase', async () => {
    const id = await runIdOf('fix-ci');
    await eventually('fix-ci to succeed', async () => ((await dev.get(`/v1/runs/${id}`)).json?.phase === 'Succeeded' ? true : undefined));

    const table = await jangar(['get', 'runs', '-n', NS, '-l', 'suite=cli', '--phase', 'Succeeded,Running']);
    expect(table.code, table.stderr).toBe(0);
    expect(lines(table.stdout)[0]).toMatch(/^NAME {3,}ID {3,}TYPE {3,}PROVIDER {3,}PHASE {3,}AGE$/);
    expect(table.stdout).toMatch(new RegExp(`fix-ci +${id} +AgentRun +job +Succeeded`));

    expect(lines((await jangar(['get', 'runs', '-n', NS, '-l', 'suite=cli', '-o', 'name'])).stdout)).toContain(`run/${id}`);
    const none = await jangar(['get', 'runs', '-n', NS, '-l', 'suite=cli', '--phase', 'Failed']);
    expect(none).toMatchObject({ code: 0, stdout: '' });
    expect(none.stderr).toContain('No resources found in cli namespace.');
    expect((await jangar(['get', 'runs', '-n', NS, '-l', 'suite=other', '-o', 'name'])).stdout).toBe('');
  });

  it('runs watch exits 0 when the run succeeded', async () => {
    const id = await runIdOf('fix-ci');
    const res = await jangar(['runs', 'watch', id]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/Succeeded/);
    expect(res.stderr).toContain(`AgentRun ${NS}/fix-ci (${id})`);
  });

  it('runs watch follows a live run, and exits 1 when delete cancels it', async () => {
    const file = await writeManifest('stuck.json', runDoc('stuck', { annotations: { 'jangar.proompteng.ai/sim-scenario': 'stuck' } }));
    expect((await jangar(['apply', '-f', file])).stdout.trim()).toBe('agentrun.agents.proompteng.ai/stuck created');
    const id = await runIdOf('stuck');
    const watch = start(['runs', 'watch', id]);
    await eventually('the watch to print Running', async () => (/Running/.test(watch.stdout()) ? true : undefined));

    const del = await jangar(['delete', 'agentrun', 'stuck', '-n', NS]);
    expect(del.code, del.stderr).toBe(0);
    expect(del.stdout.trim()).toBe('agentrun.agents.proompteng.ai "stuck" deleted');

    const watched = await watch.done;
    expect(watched.code, watched.stderr).toBe(1);
    expect(lines(watched.stdout).at(-1)).toMatch(/Cancelled/);
    expect(watched.stderr).toContain(`error: run ${NS}/stuck was cancelled`);

    // Gone: not found is exit 4, or 0 when that is fine.
    const again = await jangar(['delete', 'ar', 'stuck', '-n', NS]);
    expect(again.code).toBe(4);
    expect(again.stderr).toContain('not found');
    expect((await jangar(['delete', 'ar', 'stuck', '-n', NS, '--ignore-not-found'])).code).toBe(0);
    expect((await jangar(['get', 'ar', 'stuck', '-n', NS])).code).toBe(4);
  });

  it('describes a run (status, conditions, history) and an agent (spec, revisions)', async () => {
    const id = await runIdOf('fix-ci');
    const run = await jangar(['describe', 'run', id]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^Name: +fix-ci$/m);
    expect(run.stdout).toMatch(/^Phase: +Succeeded$/m);
    expect(run.stdout).toMatch(/^Provider: +job/m);
    expect(run.stdout).toMatch(/^Conditions:\n {2}TYPE +STATUS +REASON/m);
    expect(run.stdout).toMatch(/^History:\n {2}OBSERVED +FROM +PHASE/m);
    expect(run.stdout).toMatch(/Running +Succeeded/);

    const agent = await jangar(['describe', 'agent', 'coder', '-n', NS]);
    expect(agent.code, agent.stderr).toBe(0);
    expect(agent.stdout).toMatch(/^Spec:\n {2}providerRef:\n {4}name: codex$/m);
    expect(agent.stdout).toMatch(/^Revisions:\n {2}GENERATION +ACTOR +DELIVERY ID +AGE\n {2}1 +dev +apply-[0-9a-f]{64}/m);
  });

  it('prints what the server refuses with its field paths, and exits 1', async () => {
    const orphan = await jangar(['apply', '-f', await writeManifest('orphan.json', runDoc('orphan', { agent: 'nobody' }))]);
    expect(orphan.code).toBe(1);
    expect(orphan.stdout).toBe('');
    expect(orphan.stderr).toContain('(reference_not_found)');
    expect(orphan.stderr).toMatch(/^ {2}spec\.agentRef\.name: Agent "nobody" not found/m);

    const invalid = await jangar(['apply', '-f', await writeManifest('invalid.json', runDoc('invalid', { runtime: false }))]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('(validation_failed)');
    expect(invalid.stderr).toMatch(/^ {2}spec\.runtime: /m);
  });

  it('exits 2 on usage errors, 3 when the server cannot be reached, 4 on 404 (an approval that does not exist)', async () => {
    const unknown = await jangar(['get', 'pods']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown resource type "pods"');
    expect((await jangar(['get', 'agents', '-o', 'xml'])).code).toBe(2);

    // A port nobody listens on.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise((resolve) => server.close(resolve));
    const down = await jangar(['get', 'agents'], { JANGAR_URL: `http://127.0.0.1:${port}` });
    expect(down.code).toBe(3);
    expect(down.stderr).toContain('cannot reach');

    const approve = await jangar(['approve', 'approval-1']);
    expect(approve.code).toBe(4);
    expect(approve.stderr).toMatch(/^error: .*\(not_found\)$/m);
  });

  it('applies a run over a limit as queued and lists it with `jangar queue`, next in line', async () => {
    const ns = 'cli-queue';
    const agent = await dev.post('/v1/agents', {
      deliveryId: 'cli-queue-agent',
      metadata: { namespace: ns, name: 'coder' },
      spec: { providerRef: { name: 'codex' } },
    });
    expect(agent.status, agent.text).toBe(201);
    const stuck = (name: string) => ({
      ...runDoc(name),
      metadata: { name, namespace: ns, annotations: { 'jangar.proompteng.ai/sim-scenario': 'stuck' } },
    });
    const version = async () =>
      (await dev.post('/v1/policy/evaluate', { kind: 'AgentRun', metadata: { namespace: ns }, spec: stuck('x').spec })).json
        ?.policyVersion as string | undefined;
    const before = await eventually('a policy version', version);
    const guardrail = await dev.post('/v1/guardrails', {
      deliveryId: 'cli-queue-guardrail',
      metadata: { namespace: ns, name: 'one-at-a-time' },
      spec: { concurrency: { namespace: 1 }, queue: {} },
    });
    expect(guardrail.status, guardrail.text).toBe(201);
    await eventually('the policy to know the guardrail', async () => ((await version()) !== before ? true : undefined));
    const first = stuck('first');
    const started = await dev.post('/v1/agent-runs', { deliveryId: 'cli-queue-first', metadata: first.metadata, spec: first.spec });
    expect(started.status, started.text).toBe(201);

    const applied = await jangar(['apply', '-f', await writeManifest('second.json', stuck('second'))]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout.trim()).toBe(
      `agentrun.agents.proompteng.ai/second queued (ConcurrencyLimit: 1 of 1 runs are active in namespace "${ns}")`,
    );
    const queue = await jangar(['queue', '-n', ns]);
    expect(queue.code, queue.stderr).toBe(0);
    const [header, row, ...rest] = lines(queue.stdout);
    expect(header).toMatch(/^# +NAMESPACE +RUN +AGENT +WAITING FOR +STATE +EXPIRES +AGE$/);
    expect(row).toMatch(new RegExp(`^1 +${ns} +AgentRun/second +coder +ConcurrencyLimit +Queued +in 5\\dm +\\d+s$`));
    expect(rest).toEqual([]);

    // Deleting it cancels it in its queue: it leaves the queue and never starts.
    const deleted = await jangar(['delete', 'agentrun', 'second', '-n', ns]);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout.trim()).toBe('agentrun.agents.proompteng.ai "second" cancelled (it was waiting in its queue)');
    const left = await jangar(['queue', '-n', ns]);
    expect(left.stderr.trim()).toBe('No queued runs found.');
    const cancelled = await jangar(['queue', '-n', ns, '--state', 'Cancelled']);
    expect(cancelled.stdout).toMatch(new RegExp(`${ns} +AgentRun/second +coder +ConcurrencyLimit +Cancelled`));
  });

  it('applies a deployment that is held, lists it with `jangar approvals`, refuses self-approval, provisions it once approved, and cancels another with `jangar delete`', async () => {
    const gated = 'cli-gate';
    expect(
      (
        await dev.post('/v1/agents', {
          deliveryId: 'cli-gate-agent',
          metadata: { namespace: gated, name: 'coder' },
          spec: { providerRef: { name: 'codex' } },
        })
      ).status,
    ).toBe(201);
    const guardrail = await dev.post('/v1/guardrails', {
      deliveryId: 'cli-gate-guardrail',
      metadata: { namespace: gated, name: 'deployments' },
      spec: { approvals: { deploymentSelector: 'deploy=true' } },
    });
    expect(guardrail.status, guardrail.text).toBe(201);
    const deploy = { ...runDoc('deploy'), metadata: { name: 'deploy', namespace: gated, labels: { deploy: 'true' } } };
    await eventually('the Guardrail to hold deployments', async () => {
      const res = await dev.post('/v1/policy/evaluate', { kind: 'AgentRun', metadata: deploy.metadata, spec: deploy.spec });
      return res.json?.verdict === 'pending' ? true : undefined;
    });

    const applied = await jangar(['apply', '-f', await writeManifest('deploy.json', deploy)]);
    expect(applied.code, applied.stderr).toBe(0);
    const id = /held for approval ([0-9a-f-]{36}) \(approver role: jangar approve \1\)$/m.exec(applied.stdout)?.[1];
    expect(id, applied.stdout).toBeDefined();

    const queue = await jangar(['approvals', '-n', gated]);
    expect(queue.code, queue.stderr).toBe(0);
    expect(lines(queue.stdout)[0]).toMatch(/^ID +NAMESPACE +REQUEST +REQUESTED BY +STATE +EXPIRES +AGE$/);
    expect(queue.stdout).toMatch(new RegExp(`^${id} +${gated} +create AgentRun/deploy +dev +Pending +in \\d+h`, 'm'));

    const self = await jangar(['approve', id!]);
    expect(self.code).toBe(1);
    expect(self.stderr).toContain('(self_approval_forbidden)');

    const approved = await jangar(['approve', id!, '--reason', 'release window'], { JANGAR_TOKEN: OPS_TOKEN });
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toBe(`approval "${id}" approved: create AgentRun/${gated}/deploy requested by dev\n`);
    // The same decision again is the same request: answered from the record.
    expect((await jangar(['approve', id!, '--reason', 'release window'], { JANGAR_TOKEN: OPS_TOKEN })).code).toBe(0);
    await eventually('the approved run to exist', async () =>
      (await dev.get(`/v1/agent-runs/${gated}/deploy`)).status === 200 ? true : undefined,
    );
    const none = await jangar(['approvals', '-n', gated]);
    expect(none.stderr).toBe('No pending approvals found.\n');

    // Deleting another held deployment cancels its approval: nobody can approve it after, and it never starts.
    const second = { ...deploy, metadata: { ...deploy.metadata, name: 'deploy-2' } };
    const heldAgain = await jangar(['apply', '-f', await writeManifest('deploy-2.json', second)]);
    expect(heldAgain.code, heldAgain.stderr).toBe(0);
    const secondId = /held for approval ([0-9a-f-]{36})/.exec(heldAgain.stdout)?.[1];
    expect(secondId, heldAgain.stdout).toBeDefined();
    const deleted = await jangar(['delete', 'agentrun', 'deploy-2', '-n', gated]);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout.trim()).toBe('agentrun.agents.proompteng.ai "deploy-2" cancelled (it was waiting for approval)');
    const cancelled = await jangar(['approvals', '-n', gated, '--state', 'Cancelled']);
    expect(cancelled.stdout).toMatch(new RegExp(`^${secondId} +${gated} +create AgentRun/deploy-2 +dev +Cancelled +`, 'm'));
    const late = await jangar(['approve', secondId!], { JANGAR_TOKEN: OPS_TOKEN });
    expect(late.code).toBe(1);
    expect(late.stderr).toContain('(approval_already_decided)');
    expect((await dev.get(`/v1/agent-runs/${gated}/deploy-2`)).status).toBe(404);
  });

  it('lists audit events and verifies the chain', async () => {
    const audit = await jangar(['audit', '-n', NS, '--resource', `Agent/${NS}/coder`]);
    expect(audit.code, audit.stderr).toBe(0);
    expect(lines(audit.stdout)[0]).toMatch(/^SEQ +TIME +ACTOR +ACTION +RESOURCE +OUTCOME$/);
    expect(audit.stdout).toMatch(/dev +agent\.create +Agent\/cli\/coder +created/);
    const verify = await jangar(['audit', 'verify']);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(/^audit chain intact: \d+ events checked$/m);
  });

  it('logs in to a config file (mode 0600) that later commands use', async () => {
    const config = path.join(dir, 'home', 'jangar.json');
    const env = { JANGAR_CONFIG: config, JANGAR_URL: '', JANGAR_TOKEN: '' };
    const login = await jangar(['login', '--server', stack.gatewayUrl, '--token', stack.devToken, '-n', NS], env);
    expect(login.code, login.stderr).toBe(0);
    expect((await stat(config)).mode & 0o777).toBe(0o600);
    const get = await jangar(['get', 'agents', '-o', 'name'], env);
    expect(get.code, get.stderr).toBe(0);
    expect(get.stdout.trim()).toBe('agent.agents.proompteng.ai/coder');
    const refused = await jangar(['login', '--server', stack.gatewayUrl, '--token', 'not-a-token'], {
      ...env,
      JANGAR_CONFIG: `${config}.2`,
    });
    expect(refused.code).toBe(1);
    await expect(stat(`${config}.2`)).rejects.toThrow();
  });
});
