import type { Logger } from '@jangar/service-kit';
import type { DeliveryStore } from './deliveries/store.js';
import type { RequestPublisher } from './publisher.js';

/**
 * Background upkeep, safe on every replica at once: re-publishing is deduplicated and purging is
 * a plain delete. Recovery runs every few seconds; the retention purge hourly.
 */
export function startSweeps(opts: {
  publisher: RequestPublisher;
  deliveries: DeliveryStore;
  logger: Logger;
  recoverEveryMs?: number;
  purgeEveryMs?: number;
}) {
  const recover = setInterval(() => {
    opts.publisher
      .sweepUnpublished(opts.recoverEveryMs ?? 5_000)
      .catch((err: unknown) => opts.logger.warn({ err }, 'recovery sweep failed'));
  }, opts.recoverEveryMs ?? 5_000);
  const purge = setInterval(
    () => {
      opts.deliveries
        .purgeExpired()
        .then((n) => n > 0 && opts.logger.info({ purged: n }, 'expired deliveries purged'))
        .catch((err: unknown) => opts.logger.warn({ err }, 'purge failed'));
    },
    opts.purgeEveryMs ?? 60 * 60 * 1000,
  );
  recover.unref();
  purge.unref();
  return {
    stop() {
      clearInterval(recover);
      clearInterval(purge);
    },
  };
}
