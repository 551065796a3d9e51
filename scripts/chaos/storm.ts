/**
 * A retry storm: `total` distinct creates sent by `concurrency` clients. A share of them is sent
 * twice: half of those with the duplicate racing the first attempt (both in flight on one
 * deliveryId), the other half as a plain retry after the first answer. Which ones is decided by a
 * seeded generator, so a run can be repeated.
 */
import type { ChaosClient } from './client.js';

export interface StormOptions {
  total: number;
  concurrency: number;
  /** Share of deliveryIds sent a second time (0.3). */
  retryShare: number;
  seed: number;
  /** Prefix of every deliveryId, unique per run. */
  prefix: string;
  /** Awaited before request `index` is first sent (the fault plan strikes here). */
  before?: (index: number) => Promise<void>;
  /** Called after each deliveryId's first answer, with how many have been answered. */
  onAnswered?: (answered: number) => void;
}

export interface StormSummary {
  deliveryIds: string[];
  retriedConcurrently: number;
  retriedAfterwards: number;
}

/** mulberry32: a small seeded generator, so the same seed picks the same retries. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs the storm to the end; resolves once every deliveryId has its answers. */
export async function runStorm(client: ChaosClient, o: StormOptions): Promise<StormSummary> {
  const random = seededRandom(o.seed);
  const plan = Array.from({ length: o.total }, (_, i) => {
    const r = random();
    const retry = r < o.retryShare / 2 ? 'concurrent' : r < o.retryShare ? 'afterwards' : 'none';
    return { deliveryId: `${o.prefix}-${i}`, retry } as const;
  });
  let next = 0;
  let answered = 0;
  await Promise.all(
    Array.from({ length: o.concurrency }, async () => {
      for (let index = next++; index < plan.length; index = next++) {
        const item = plan[index]!;
        await o.before?.(index);
        if (item.retry === 'concurrent') await Promise.all([client.send(item.deliveryId), client.send(item.deliveryId)]);
        else await client.send(item.deliveryId);
        answered += 1;
        o.onAnswered?.(answered);
        if (item.retry === 'afterwards') await client.send(item.deliveryId);
      }
    }),
  );
  return {
    deliveryIds: plan.map((p) => p.deliveryId),
    retriedConcurrently: plan.filter((p) => p.retry === 'concurrent').length,
    retriedAfterwards: plan.filter((p) => p.retry === 'afterwards').length,
  };
}
