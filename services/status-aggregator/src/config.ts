import { z } from 'zod';
import { DatabaseConfig } from '@jangar/service-kit';

// An exported-but-empty variable means "unset", as shells and compose files often produce.
const optional = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema);

export const StatusConfig = DatabaseConfig.extend({
  KUBECONFIG: z.string().optional(),
  /** Base URL of Temporal's HTTP API; without it the status of `temporal` runs is not polled. */
  JANGAR_TEMPORAL_URL: optional(z.url().optional()),
  /** How often the runs bound to `temporal` that are still going are polled. */
  JANGAR_TEMPORAL_POLL_MS: optional(z.coerce.number().int().positive().default(2_000)),
  /**
   * How many runs are observed at once (one run's versions are always observed in order). Each
   * observation holds a pooled connection for its reads and upsert, so this stays below the pool's 10,
   * leaving connections for the run reads the gateway asks for.
   */
  JANGAR_STATUS_CONCURRENCY: optional(z.coerce.number().int().positive().default(8)),
  /**
   * How often, at most, the watch position is written. Under load every event moved it, one upsert
   * each; a restart resumes at most this far back and observes those versions again, harmlessly.
   */
  JANGAR_STATUS_POSITION_WRITE_MS: optional(z.coerce.number().int().positive().default(1_000)),
  /** How often the rows of runs that waited and then came to exist are purged (the lists hide them at once). */
  JANGAR_STATUS_WAITING_PURGE_MS: optional(
    z.coerce
      .number()
      .int()
      .positive()
      .default(60 * 60 * 1000),
  ),
});
