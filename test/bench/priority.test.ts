import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { connectPg, scratchPostgres, waitFor } from '@jangar/devstack';
import { parseBenchOptions } from '../../scripts/bench/options.js';
import { lowerPipelineBackends, lowerPipelinePriority } from '../../scripts/bench/priority.js';

/** The niceness of every thread of `pid`, from /proc (field 19 of stat). */
async function threadNiceness(pid: number): Promise<number[]> {
  const tids = await readdir(`/proc/${pid}/task`);
  return Promise.all(
    tids.map(async (tid) => {
      const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    }),
  );
}

let children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children) c.kill('SIGKILL');
  children = [];
});

/** A node process whose command line reads as `group`'s, as cpu.ts tells processes apart. */
function processLike(arg: string): ChildProcess {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)', arg], { stdio: 'ignore' });
  children.push(child);
  return child;
}

/** Niceness is read from /proc and set per thread, which only Linux offers: elsewhere the test says so rather than fail obscurely. */
function onLinux(): void {
  expect(process.platform, '--pipeline-nice works on Linux only (/proc, per-thread niceness), as the bench does').toBe('linux');
}

describe('--pipeline-nice', () => {
  it('takes 0 to 19 from the command line, 0 by default', () => {
    expect(parseBenchOptions([])).toMatchObject({ pipelineNice: 0 });
    expect(parseBenchOptions(['--pipeline-nice', '19'])).toMatchObject({ pipelineNice: 19 });
    expect(() => parseBenchOptions(['--pipeline-nice', '20'])).toThrow(/0 to 19/);
    expect(() => parseBenchOptions(['--pipeline-nice', '-1'])).toThrow();
  });

  it('lowers every thread of the pipeline’s processes and leaves the gateway and the bench alone', async () => {
    onLinux();
    const pipeline = processLike('kube-dev');
    const gateway = processLike('services/api-gateway/dist/main.mjs');
    // Node starts its worker threads at once; wait until they exist, so the test sees them lowered.
    await waitFor('the children to start their threads', async () => (await threadNiceness(pipeline.pid!)).length > 4);
    const before = os.getPriority();

    expect(await lowerPipelinePriority(7)).toEqual({ 'kube-dev': 1 });

    expect(new Set(await threadNiceness(pipeline.pid!))).toEqual(new Set([7]));
    expect(new Set(await threadNiceness(gateway.pid!))).toEqual(new Set([before]));
    expect(os.getPriority()).toBe(before);
  });

  it('keeps the Postgres backends of the pipeline’s connections lowered, new ones too, and leaves the gateway’s alone', async () => {
    onLinux();
    const pg = await scratchPostgres('bench-priority');
    const connect = async (name: string) => {
      const client = await connectPg(`${pg.url}?application_name=${name}`);
      const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
      return { client, pid: rows[0]!.pid };
    };
    const niceness = async (pid: number) => (await threadNiceness(pid))[0];
    try {
      const [policy, gateway] = [await connect('jangar-policy'), await connect('jangar-gateway')];
      const before = await niceness(gateway.pid);
      const lowering = await lowerPipelineBackends(pg.url, 9);
      await waitFor('the policy backend to be lowered', async () => (await niceness(policy.pid)) === 9);
      // A pool opens a connection mid-phase.
      const audit = await connect('jangar-audit');
      await waitFor('the new audit backend to be lowered', async () => (await niceness(audit.pid)) === 9);

      expect(await lowering.stop()).toBe(2);
      expect(await niceness(gateway.pid)).toBe(before);
      await Promise.all([policy, gateway, audit].map((c) => c.client.end()));
    } finally {
      await pg.stop();
    }
  });
});
