import { describe, expect, it } from 'vitest';
import { createLogger } from '@jangar/service-kit';
import { QueueDrainer, type TryQueued } from '../src/queue/drain.js';
import type { QueueRow, QueueStore } from '../src/queue/store.js';

/** Queue rows in the order they were queued; only the fields the drainer reads matter. */
const row = (id: string, namespace: string, agent: string | null = null, due = false) => ({ id, namespace, agent, due }) as QueueRow;

/** The lease and unlease side of the store, in memory: the drainer's part is the order and the skipping. */
function store(rows: QueueRow[]) {
  const leased = new Set<string>();
  const gone = new Set<string>();
  const api = {
    async lease(limit: number) {
      const free = rows.filter((r) => !leased.has(r.id) && !gone.has(r.id)).slice(0, limit);
      for (const r of free) leased.add(r.id);
      return free;
    },
    async unlease(ids: readonly string[]) {
      for (const id of ids) leased.delete(id);
    },
  };
  return { queue: api as unknown as QueueStore, leased, gone };
}

describe('QueueDrainer', () => {
  it('tries waiting runs oldest first and skips those behind a scope found full, one try per full scope', async () => {
    const rows = [row('a1', 'a', 'x'), row('a2', 'a', 'y'), row('b1', 'b'), row('a3', 'a'), row('b2', 'b'), row('c1', 'c')];
    const { queue, gone } = store(rows);
    const tried: string[] = [];
    const tryRun: TryQueued = async (r) => {
      tried.push(r.id);
      if (r.namespace === 'a') return { blocked: ['namespace'] };
      gone.add(r.id);
      return {};
    };
    const left = await new QueueDrainer(queue, tryRun, createLogger('test', 'silent'), { batch: 2, maxPerPass: 100, leaseMs: 1000 }).pass();
    expect(tried).toEqual(['a1', 'b1', 'b2', 'c1']);
    expect(left).toBe(3);
  });

  it('skips only the same Agent behind an Agent limit, and everything behind a cluster limit except runs whose wait ran out', async () => {
    const rows = [row('x1', 'a', 'x'), row('x2', 'a', 'x'), row('y1', 'a', 'y'), row('c1', 'c'), row('d1', 'd', null, true)];
    const { queue } = store(rows);
    const tried: string[] = [];
    const tryRun: TryQueued = async (r) => {
      tried.push(r.id);
      if (r.id === 'x1') return { blocked: ['agent'] };
      if (r.id === 'y1') return { blocked: ['cluster'] };
      return {};
    };
    await new QueueDrainer(queue, tryRun, createLogger('test', 'silent')).pass();
    expect(tried).toEqual(['x1', 'y1', 'd1']);
  });

  it('gives back the leases of runs that still wait when the pass ends, so the next pass tries them', async () => {
    const rows = [row('a1', 'a'), row('a2', 'a')];
    const { queue, leased } = store(rows);
    await new QueueDrainer(queue, async () => ({ blocked: ['namespace'] }), createLogger('test', 'silent')).pass();
    expect(leased.size).toBe(0);
  });

  it('gives back every lease when a try fails, so the runs behind it wait one pass, not a lease', async () => {
    const { queue, leased } = store([row('a1', 'a'), row('b1', 'b')]);
    const failing = new QueueDrainer(
      queue,
      async () => {
        throw new Error('the bus is away');
      },
      createLogger('test', 'silent'),
    );
    await expect(failing.pass()).rejects.toThrow('the bus is away');
    expect(leased.size).toBe(0);
  });

  it('runs one pass at a time, and one more for a poke that came during it', async () => {
    const { queue } = store([row('a1', 'a')]);
    let passes = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const tryRun: TryQueued = async () => {
      passes++;
      if (passes === 1) await gate;
      return { blocked: ['namespace'] };
    };
    const drainer = new QueueDrainer(queue, tryRun, createLogger('test', 'silent'));
    drainer.poke();
    drainer.poke();
    drainer.poke();
    release();
    await drainer.idle();
    expect(passes).toBe(2);
  });
});
