import { z } from 'zod';

/** Settings every service reads. Each service extends this with its own. */
export const BaseConfig = z.object({
  NATS_URL: z.string().min(1),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Port of the /livez and /readyz endpoints; 0 picks a free one (it is logged). */
  HEALTH_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  HEALTH_HOST: z.string().default('127.0.0.1'),
  OTEL_TRACES_EXPORTER: z.enum(['none', 'console', 'file', 'otlp']).default('none'),
  OTEL_EXPORTER_FILE_PATH: z.string().optional(),
  JANGAR_DEDUP_WINDOW_MS: z.coerce.number().int().positive().optional(),
  /** Replicas of every JetStream stream: 3 on a production NATS cluster, 1 on a single server. */
  JANGAR_STREAM_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
  /** How long a consumer waits for an ack before JetStream redelivers (a crashed replica's work). */
  JANGAR_ACK_WAIT_MS: z.coerce.number().int().positive().optional(),
  /**
   * The delivery from which a message a service cannot process (its handler fails in a way no retry
   * fixes) is given up on instead of delivered again: a request is answered `internal`, and every
   * such message is parked in the dead letters (see `GiveUp`).
   */
  JANGAR_POISON_AFTER_DELIVERIES: z.coerce.number().int().min(1).default(8),
  /** How long a draining service waits for in-flight messages before it exits anyway. */
  JANGAR_DRAIN_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  /** Set by the stack that spawned the process: shut down when stdin ends, i.e. when that launcher died. */
  JANGAR_EXIT_WITH_PARENT: z.enum(['0', '1']).default('0'),
});

export const DatabaseConfig = z.object({
  DATABASE_URL: z.string().min(1),
  /**
   * Connections a replica opens at start and keeps open (4, or the maximum if that is lower). A
   * burst then finds them ready instead of paying for new ones on its requests' path: a backend
   * forked and a password checked, each.
   */
  JANGAR_DB_POOL_MIN: z.coerce.number().int().min(0).optional(),
  /** Connections a replica opens at most. */
  JANGAR_DB_POOL_MAX: z.coerce.number().int().min(1).default(10),
});

export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`invalid configuration:\n  ${issues.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** The pool settings of {@link DatabaseConfig}, as `openDatabase` takes them; a minimum above the maximum is a ConfigError. */
export function poolOptions(c: z.infer<typeof DatabaseConfig>): { poolMin: number; poolMax: number } {
  const min = c.JANGAR_DB_POOL_MIN ?? Math.min(DEFAULT_POOL_MIN, c.JANGAR_DB_POOL_MAX);
  if (min > c.JANGAR_DB_POOL_MAX) {
    throw new ConfigError([`JANGAR_DB_POOL_MIN: ${min} is more than JANGAR_DB_POOL_MAX (${c.JANGAR_DB_POOL_MAX})`]);
  }
  return { poolMin: min, poolMax: c.JANGAR_DB_POOL_MAX };
}

const DEFAULT_POOL_MIN = 4;

/** Parses the environment with a zod schema, naming every bad variable at once. */
export function loadConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const result = schema.safeParse(env);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`));
  }
  return result.data;
}
