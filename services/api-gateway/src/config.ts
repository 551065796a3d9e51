import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { DatabaseConfig } from '@jangar/service-kit';

export const GatewayConfig = DatabaseConfig.extend({
  JANGAR_HTTP_HOST: z.string().default('127.0.0.1'),
  JANGAR_HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  /** JSON array of `{ token, subject, namespaces, roles? }`; see the README. */
  JANGAR_API_TOKENS: z.string().optional(),
  /** A token for every namespace, honoured only while the gateway listens on loopback. */
  JANGAR_DEV_TOKEN: z.string().min(1).optional(),
  /** How long a request waits for its outcome before answering 202 with a Location. */
  JANGAR_WAIT_MS: z.coerce.number().int().min(0).default(2_000),
  /**
   * How long one call to Postgres may take before its request is answered 503 (retry with the same
   * deliveryId). A Postgres that hangs would otherwise hold every request for as long as it hangs.
   * The consumers of the other services have no such bound: their hang is a delay, and JetStream
   * delivers a message held past a minute (`MAX_WORKING_MS`) again, to any replica.
   */
  JANGAR_DB_DEADLINE_MS: z.coerce.number().int().positive().default(10_000),
  /** How long a deliveryId and its stored response are kept. */
  JANGAR_IDEMPOTENCY_RETENTION_HOURS: z.coerce
    .number()
    .positive()
    .default(7 * 24),
  /** How often claimed-but-unpublished requests are looked for, and how old they must be. */
  JANGAR_RECOVERY_SWEEP_MS: z.coerce.number().int().positive().default(5_000),
  /** How often expired deliveries are purged. */
  JANGAR_IDEMPOTENCY_PURGE_INTERVAL_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(60 * 60 * 1000),
  /** The built web UI (packages/ui/dist, `npm run build -w @jangar/ui`), served at /ui. */
  JANGAR_UI_DIR: z
    .string()
    .min(1)
    .default(fileURLToPath(new URL('../../../packages/ui/dist', import.meta.url))),
  JANGAR_BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(1024 * 1024),
});
export type GatewayConfig = z.infer<typeof GatewayConfig>;
