import { describe, expect, it } from 'vitest';
import { createLogger } from '@jangar/service-kit';
import { QueueDrainer, type TryQueued } from '../src/queue/drain.js';
import type { QueueRow } from '../src/queue/store.js';

/** Queue rows in the order they were queued; only the fields the drainer reads matter. */
const row = (id: string, namespace: string, agent: string | null = null, due = false) => ({ id, namespace, agent, due }) as QueueRow;

/** The queue's read and lease side, in memory: the drainer's part is the order, the skipping and the leases. */
function store(rows: QueueRow[]) {
  const leased = new Map<string, string>();
  const gone = new Set<string>();
  const api = {
    async waiting(limit: number, after?: { id: string }) {
      const from = after ? rows.findIndex((r) => r.id === after.id) + 1 : 0;
      return rows
        .slice(from)
        .filter((r) => !leased.has(r.id) && !gone.has(r.id))
        .slice(0, limit)
        .map((r) => ({ ...r, position: { at: '', id: r.id } }));
    },
    async lease(id: string, _ms: number, owner: string) {
      if (leased.has(id) || gone.has(id)) return undefined;
      leased.set(id, owner);
      return rows.find((r) => r.id === id);
    },
    async renew(id: string, _ms: number, owner: string) {
      return leased.get(id) === owner;
    },
    async unlease(id: string, owner: string) {
      if (leased.get(id) === owner) leased.delete(id);
    },
  };
  return { queue: api, leased, gone };
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

  it('goes on past a run whose try fails, gives its lease back, and tries it again the next pass', async () => {
    const { queue, leased, gone } = store([row('a1', 'a'), row('b1', 'b'), row('c1', 'c')]);
    const tried: string[] = [];
    let broken = true;
    const tryRun: TryQueued = async (r) => {
      tried.push(r.id);
      if (r.id === 'a1' && broken) throw new Error('its stored request cannot be decided now');
      gone.add(r.id);
      return {};
    };
    const drainer = new QueueDrainer(queue, tryRun, createLogger('test', 'silent'));
    expect(await drainer.pass()).toBe(2);
    expect(tried).toEqual(['a1', 'b1', 'c1']);
    expect(leased.size).toBe(0);
    broken = false;
    expect(await drainer.pass()).toBe(1);
    expect(tried).toEqual(['a1', 'b1', 'c1', 'a1']);
  });

  it('gives up a pass after three failures in a row, giving every lease back: the trouble is not one run', async () => {
    const { queue, leased } = store([row('a1', 'a'), row('b1', 'b'), row('c1', 'c'), row('d1', 'd')]);
    const tried: string[] = [];
    const failing = new QueueDrainer(
      queue,
      async (r) => {
        tried.push(r.id);
        throw new Error('the bus is away');
      },
      createLogger('test', 'silent'),
    );
    await expect(failing.pass()).rejects.toThrow('the bus is away');
    expect(tried).toEqual(['a1', 'b1', 'c1']);
    expect(leased.size).toBe(0);
  });

  it('leases a run only when its try comes, so a run taken meanwhile is not tried', async () => {
    const { queue, leased } = store([row('a1', 'a'), row('b1', 'b')]);
    const tried: string[] = [];
    const heldDuringTry: string[][] = [];
    const tryRun: TryQueued = async (r) => {
      tried.push(r.id);
      heldDuringTry.push([...leased.keys()]);
      if (r.id === 'a1') leased.set('b1', 'another replica');
      return { blocked: ['namespace'] };
    };
    await new QueueDrainer(queue, tryRun, createLogger('test', 'silent')).pass();
    // While a1 was tried, b1 was not leased: another replica (or a delete) could take it, and did.
    expect(heldDuringTry).toEqual([['a1']]);
    expect(tried).toEqual(['a1']);
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
