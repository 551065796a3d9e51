import { describe, expect, it } from 'vitest';
import { keyedQueue } from '../src/keyed-queue.js';

/** A task that finishes when the test says so, and notes when it started. */
function gate(log: string[], name: string) {
  let open!: () => void;
  const done = new Promise<void>((resolve) => (open = resolve));
  const fn = async () => {
    log.push(`start ${name}`);
    await done;
  };
  return { fn, open };
}

/** Lets every promise callback already due run. */
const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('keyedQueue', () => {
  it('runs tasks of different keys side by side, up to the limit', async () => {
    const log: string[] = [];
    const q = keyedQueue({ limit: 2 });
    const [a, b, c] = ['a', 'b', 'c'].map((k) => gate(log, k));
    q.push('a', a!.fn);
    q.push('b', b!.fn);
    q.push('c', c!.fn);
    await flush();
    expect(log).toEqual(['start a', 'start b']);
    b!.open();
    await flush();
    expect(log).toEqual(['start a', 'start b', 'start c']);
    a!.open();
    c!.open();
    await q.idle();
    expect(q.size).toBe(0);
  });

  it('runs the tasks of one key one after another, in the order they were pushed', async () => {
    const log: string[] = [];
    const q = keyedQueue({ limit: 4 });
    const first = gate(log, 'r1@1');
    q.push('r1', first.fn);
    q.push('r1', async () => void log.push('start r1@2'));
    q.push('r2', async () => void log.push('start r2@1'));
    await flush();
    // r2 overtakes r1's second version; r1's versions stay in order.
    expect(log).toEqual(['start r1@1', 'start r2@1']);
    first.open();
    await q.idle();
    expect(log).toEqual(['start r1@1', 'start r2@1', 'start r1@2']);
  });

  it('serves waiting keys first come, first served, so a busy key does not starve the others', async () => {
    const log: string[] = [];
    const q = keyedQueue({ limit: 1 });
    const hot = gate(log, 'hot@1');
    q.push('hot', hot.fn);
    q.push('hot', async () => void log.push('start hot@2'));
    q.push('cold', async () => void log.push('start cold@1'));
    hot.open();
    await q.idle();
    expect(log).toEqual(['start hot@1', 'start cold@1', 'start hot@2']);
  });

  it('runs a mark only once every task pushed before it has finished, whatever tasks came after', async () => {
    const log: string[] = [];
    const q = keyedQueue({ limit: 4 });
    const slow = gate(log, 'a');
    q.push('a', slow.fn);
    q.push('b', async () => void log.push('start b'));
    q.mark('AgentRun', async () => void log.push('mark 2'));
    const later = gate(log, 'c');
    q.push('c', later.fn);
    await flush();
    expect(log).toEqual(['start a', 'start b', 'start c']);
    slow.open();
    await flush();
    // c is still running, but it came after the mark.
    expect(log).toEqual(['start a', 'start b', 'start c', 'mark 2']);
    later.open();
    await q.idle();
  });

  it('runs only the newest of the due marks of one key, and marks of different keys in order', async () => {
    const log: string[] = [];
    const q = keyedQueue({ limit: 4 });
    const slow = gate(log, 'a');
    q.push('a', slow.fn);
    q.mark('AgentRun', async () => void log.push('AgentRun@1'));
    q.mark('OrchestrationRun', async () => void log.push('OrchestrationRun@2'));
    q.mark('AgentRun', async () => void log.push('AgentRun@3'));
    slow.open();
    await q.idle();
    expect(log).toEqual(['start a', 'OrchestrationRun@2', 'AgentRun@3']);
  });

  it('runs one mark at a time', async () => {
    const log: string[] = [];
    const q = keyedQueue({ limit: 4 });
    const first = gate(log, 'mark AgentRun');
    q.mark('AgentRun', first.fn);
    q.mark('OrchestrationRun', async () => void log.push('start mark OrchestrationRun'));
    await flush();
    expect(log).toEqual(['start mark AgentRun']);
    first.open();
    await q.idle();
    expect(log).toEqual(['start mark AgentRun', 'start mark OrchestrationRun']);
  });

  it('counts a rejected task as done, so its key and the marks after it go on', async () => {
    const log: string[] = [];
    const q = keyedQueue({ limit: 1 });
    q.push('a', async () => {
      throw new Error('boom');
    });
    q.push('a', async () => void log.push('a@2'));
    q.mark('AgentRun', async () => void log.push('mark'));
    await q.idle();
    expect(log).toEqual(['a@2', 'mark']);
  });

  it('keeps every key in order and every mark behind its tasks, whatever order tasks finish in', async () => {
    // A fixed pseudo-random order of finishing (a linear congruential generator), so a failure repeats.
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const q = keyedQueue({ limit: 5 });
    const started: { key: string; seq: number }[] = [];
    const finished = new Set<number>();
    const open: { seq: number; finish: () => void }[] = [];
    const markViolations: number[] = [];
    for (let seq = 0; seq < 300; seq++) {
      const key = `run-${Math.floor(random() * 12)}`;
      q.push(key, async () => {
        started.push({ key, seq });
        await new Promise<void>((resolve) => open.push({ seq, finish: resolve }));
        finished.add(seq);
      });
      if (seq % 25 === 24) {
        const before = seq + 1;
        q.mark('AgentRun', async () => {
          for (let i = 0; i < before; i++) if (!finished.has(i)) markViolations.push(before);
        });
      }
    }
    while (q.size > 0) {
      await flush();
      if (open.length === 0) continue;
      const [next] = open.splice(Math.floor(random() * open.length), 1);
      next!.finish();
    }
    expect(started).toHaveLength(300);
    expect(markViolations).toEqual([]);
    // Per key, tasks started in push (sequence) order.
    const byKey = new Map<string, number[]>();
    for (const s of started) byKey.set(s.key, [...(byKey.get(s.key) ?? []), s.seq]);
    for (const seqs of byKey.values()) expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });

  it('is idle at once when empty, and refuses a limit below one', async () => {
    await keyedQueue({ limit: 1 }).idle();
    expect(() => keyedQueue({ limit: 0 })).toThrow(/positive integer/);
  });
});
