/**
 * A retry storm: `total` distinct creates sent by `concurrency` clients. A share of them is sent
 * twice: half of those with the duplicate racing the first attempt (both in flight on one
 * deliveryId), the other half as a plain retry after the first answer. Another share of the runs is
 * deleted once created, and another patched (a label set), each change with a deliveryId of its
 * own, half of them sent twice at once. Which ones is decided by a seeded generator, so a run can
 * be repeated (a change is sent only for a run whose create was answered 201: one answered 202 may
 * not exist yet).
 */
import type { ChaosClient } from './client.js';

export interface StormOptions {
  total: number;
  concurrency: number;
  /** Share of deliveryIds sent a second time (0.3). */
  retryShare: number;
  /** Share of runs deleted once created (0.1). */
  deleteShare?: number;
  /** Share of runs patched once created (0.1). */
  patchShare?: number;
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
  /** Deletes and patches sent (each once or twice). */
  deletes: number;
  patches: number;
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
  const deleteShare = o.deleteShare ?? 0.1;
  const changeShare = deleteShare + (o.patchShare ?? 0.1);
  const plan = Array.from({ length: o.total }, (_, i) => {
    const r = random();
    const retry = r < o.retryShare / 2 ? 'concurrent' : r < o.retryShare ? 'afterwards' : 'none';
    const d = random();
    const change = d < deleteShare ? ('delete' as const) : d < changeShare ? ('patch' as const) : undefined;
    // Half of each share is sent twice at once.
    const twice = d < deleteShare / 2 || (d >= deleteShare && d < (deleteShare + changeShare) / 2);
    return { deliveryId: `${o.prefix}-${i}`, retry, change, twice } as const;
  });
  let next = 0;
  let answered = 0;
  const sent = { delete: 0, patch: 0 };
  await Promise.all(
    Array.from({ length: o.concurrency }, async () => {
      for (let index = next++; index < plan.length; index = next++) {
        const item = plan[index]!;
        await o.before?.(index);
        const first =
          item.retry === 'concurrent'
            ? (await Promise.all([client.send(item.deliveryId), client.send(item.deliveryId)]))[0]
            : await client.send(item.deliveryId);
        answered += 1;
        o.onAnswered?.(answered);
        if (item.retry === 'afterwards') await client.send(item.deliveryId);
        const verb = item.change;
        if (verb === undefined || first.status !== 201) continue;
        const name = (JSON.parse(first.body) as { metadata: { name: string } }).metadata.name;
        const send = () => client.change(`${item.deliveryId}-${verb}`, verb, item.deliveryId, name);
        sent[verb] += 1;
        await (item.twice ? Promise.all([send(), send()]) : send());
      }
    }),
  );
  return {
    deliveryIds: plan.map((p) => p.deliveryId),
    retriedConcurrently: plan.filter((p) => p.retry === 'concurrent').length,
    retriedAfterwards: plan.filter((p) => p.retry === 'afterwards').length,
    deletes: sent.delete,
    patches: sent.patch,
  };
}
