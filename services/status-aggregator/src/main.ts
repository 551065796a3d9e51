import { CONSUMERS, RPCS, SERVICE_NAMES, SUBJECTS } from '@jangar/contracts';
import { DomainError, endpoint, poolOptions, runService, serveRpc } from '@jangar/service-kit';
import { openDatabase } from '@jangar/service-kit/db';
import { customObjects, loadKubeConfig } from '@jangar/service-kit/kube';
import { coalescingWatchState } from './coalescing-state.js';
import { StatusConfig } from './config.js';
import { STATUS_DATABASE } from './database.js';
import { observeRun, observeVanished } from './observe.js';
import { listRuns } from './queries.js';
import { temporalStatusSource } from './sources/temporal.js';
import type { PollingStatusSource } from './sources/types.js';
import { RunStore, WatchStateStore } from './store.js';
import { WaitingRunStore } from './waiting.js';
import { watchRuns } from './watch.js';

await runService({
  name: 'status-aggregator',
  config: StatusConfig,
  async start({ config, logger, nc, js, consume }) {
    const db = await openDatabase({ url: config.DATABASE_URL, ...STATUS_DATABASE, ...poolOptions(config), logger });
    const store = new RunStore(db);
    const kc = loadKubeConfig(config.KUBECONFIG);
    const sources: PollingStatusSource[] = [];
    if (config.JANGAR_TEMPORAL_URL) {
      sources.push(temporalStatusSource({ url: config.JANGAR_TEMPORAL_URL, intervalMs: config.JANGAR_TEMPORAL_POLL_MS, logger }));
      logger.info({ url: config.JANGAR_TEMPORAL_URL, intervalMs: config.JANGAR_TEMPORAL_POLL_MS }, 'polling Temporal for temporal runs');
    }
    const watchState = coalescingWatchState(new WatchStateStore(db), config.JANGAR_STATUS_POSITION_WRITE_MS, logger);
    const watcher = watchRuns(
      kc,
      customObjects(kc),
      async (obj, opts) => void (await observeRun(obj, { js, store }, opts)),
      logger,
      watchState,
      {
        sources,
        concurrency: config.JANGAR_STATUS_CONCURRENCY,
        onVanished: (kind, listed, resourceVersion) => observeVanished(kind, listed, resourceVersion, { js, store }),
      },
    );
    await watcher.start();
    const waiting = new WaitingRunStore(db);
    const subs = [
      await consume(CONSUMERS.statusHeld, SUBJECTS.decision.schema, async (m) => void (await waiting.hold(m))),
      await consume(CONSUMERS.statusOutcomes, SUBJECTS.outcome.schema, async (m) => {
        await waiting.refuse(m);
        await watcher.observeOutcome(m.payload);
      }),
    ];
    // The rows of runs that came to exist are hidden from the lists at once, and purged from time to time.
    const purge = setInterval(() => {
      waiting.purgeCreated().catch((err: unknown) => logger.warn({ err }, 'could not purge the waiting runs that exist now'));
    }, config.JANGAR_STATUS_WAITING_PURGE_MS);
    purge.unref();
    const service = await serveRpc(
      nc,
      SERVICE_NAMES.statusAggregator,
      [
        endpoint(RPCS.getRun, async ({ id }) => {
          const run = await store.get(id);
          if (!run) throw new DomainError('not_found', `no run with id "${id}"`);
          return run;
        }),
        endpoint(RPCS.listRuns, (query) => listRuns(db, query)),
      ],
      logger,
    );
    return {
      checks: [
        { name: 'postgres', check: () => db.ping() },
        { name: 'informers', check: () => watcher.synced() },
      ],
      async stop() {
        clearInterval(purge);
        await Promise.all(subs.map((s) => s.stop()));
        await watcher.stop();
        await watchState.flush();
        await service.stop();
        await db.close();
      },
    };
  },
});
