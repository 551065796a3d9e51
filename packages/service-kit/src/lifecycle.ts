/**
 * The life of a service process: parse config, connect, start, report ready, drain on SIGTERM.
 *
 * Drain order matters: readiness turns false first (load balancers stop sending), then the
 * service's own stop (stop pulling, finish in-flight, ack), then the NATS connection drains
 * (flushes pending publishes) and the process exits 0. A second signal exits at once.
 *
 * Started by the stack (JANGAR_EXIT_WITH_PARENT=1), a service drains the same way when its stdin ends:
 * the launcher died, and nothing else would stop it reconnecting to a NATS that is gone as well.
 *
 * The health server also serves the process's Prometheus metrics at `/metrics`.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { RETIRED_CONSUMERS, streamDefinitions, type ConsumerDefinition } from '@jangar/contracts';
import { consume, type GiveUp, type HandlerContext, type Subscription } from './bus.js';
import type { z } from 'zod';
import { BaseConfig, ConfigError, loadConfig } from './config.js';
import { startHealthServer, type ReadinessCheck } from './health.js';
import { createLogger, ignoreBrokenStdio, type Logger } from './logger.js';
import { initMetrics, metricsEndpoint } from './metrics.js';
import { connectNats, ensureConsumer, ensureStreams, manager, retireConsumers } from './nats.js';
import { initTracing, shutdownTracing } from './tracing.js';

export interface ServiceContext<C> {
  readonly config: C;
  readonly logger: Logger;
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  /**
   * Ensures the durable consumer (with the configured ack wait) and consumes it. A message its
   * handler cannot process is given up on from delivery `JANGAR_POISON_AFTER_DELIVERIES`, unless
   * `giveUp.declines`: parked in the dead letters and answered by `giveUp.answer`, if given (see `GiveUp`).
   */
  consume<S extends z.ZodType>(
    def: ConsumerDefinition,
    schema: S,
    handler: (message: z.infer<S>, ctx: HandlerContext) => Promise<void>,
    opts?: { concurrency?: number; giveUp?: Omit<GiveUp<z.infer<S>>, 'after'> },
  ): Promise<Subscription>;
}

export interface RunningService {
  /** Extra readiness checks beyond the NATS connection. */
  readonly checks?: readonly ReadinessCheck[];
  /** Stops taking work and finishes what is in flight. */
  stop(): Promise<void>;
}

/** Starts a service process and keeps it running until SIGTERM or SIGINT. */
export async function runService<S extends z.ZodObject<z.ZodRawShape>>(opts: {
  name: string;
  config: S;
  start(ctx: ServiceContext<z.infer<S> & z.infer<typeof BaseConfig>>): Promise<RunningService>;
}): Promise<void> {
  let config: z.infer<S> & z.infer<typeof BaseConfig>;
  try {
    config = loadConfig(BaseConfig.extend(opts.config.shape)) as never;
  } catch (err) {
    process.stderr.write(`${opts.name}: ${err instanceof ConfigError ? err.message : String(err)}\n`);
    process.exit(2);
  }
  initTracing(opts.name, config.OTEL_TRACES_EXPORTER, config.OTEL_EXPORTER_FILE_PATH);
  const logger = createLogger(opts.name, config.LOG_LEVEL);
  ignoreBrokenStdio();
  const meter = initMetrics(opts.name);
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception');
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => {
    logger.fatal({ err }, 'unhandled rejection');
    process.exit(1);
  });

  // Read by the health checks and the signal handlers before start() has finished.
  const state: { draining: boolean; running?: RunningService; shutdown?: (reason: string) => Promise<void> } = { draining: false };
  if (config.JANGAR_EXIT_WITH_PARENT === '1') {
    onStdinEnd(() => {
      // Connecting (to a NATS that may be gone with the launcher) has nothing to drain yet.
      if (!state.shutdown) {
        logger.info('launcher exited before start; exiting');
        process.exit(0);
      }
      // Already draining on a signal: the launcher died waiting for us, which is no reason to hurry.
      if (!state.draining) void state.shutdown('launcher exited');
    });
  }
  const nc = await connectNats(config.NATS_URL, opts.name, logger);
  const jsm = await manager(nc);
  await ensureStreams(jsm, Object.values(streamDefinitions(config.JANGAR_DEDUP_WINDOW_MS, config.JANGAR_STREAM_REPLICAS)));
  await retireConsumers(jsm, RETIRED_CONSUMERS);
  const ctx: ServiceContext<typeof config> = {
    config,
    logger,
    nc,
    js: jetstream(nc),
    async consume(def, schema, handler, opts = {}) {
      await ensureConsumer(jsm, def, { ackWaitMs: config.JANGAR_ACK_WAIT_MS });
      meter.trackConsumer(def.durable, () => jsm.consumers.info(def.stream, def.durable));
      const { giveUp, ...rest } = opts;
      return consume(nc, def, schema, handler, {
        logger,
        drainTimeoutMs: config.JANGAR_DRAIN_TIMEOUT_MS,
        ...rest,
        giveUp: { after: config.JANGAR_POISON_AFTER_DELIVERIES, ...giveUp },
      });
    },
  };

  const natsCheck: ReadinessCheck = { name: 'nats', check: () => !nc.isClosed() && !nc.isDraining() };
  const health = await startHealthServer({
    host: config.HEALTH_HOST,
    port: config.HEALTH_PORT,
    checks: () =>
      state.draining || !state.running ? [{ name: 'started', check: () => false }] : [natsCheck, ...(state.running.checks ?? [])],
    extra: metricsEndpoint,
  });

  const shutdown = async (signal: string) => {
    if (state.draining) {
      logger.warn({ signal }, 'second signal; exiting now');
      process.exit(1);
    }
    state.draining = true;
    logger.info({ signal }, 'draining');
    const deadline = setTimeout(() => {
      logger.error('drain took too long; exiting');
      process.exit(1);
    }, config.JANGAR_DRAIN_TIMEOUT_MS + 5_000);
    deadline.unref();
    try {
      await state.running?.stop();
      await nc.drain();
      await health.close();
      await shutdownTracing();
      logger.info('stopped');
      process.exit(0);
    } catch (err) {
      logger.error({ err }, 'drain failed');
      process.exit(1);
    }
  };
  state.shutdown = shutdown;
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  try {
    state.running = await opts.start(ctx);
  } catch (err) {
    logger.fatal({ err }, 'start failed');
    process.exit(1);
  }
  logger.info({ healthPort: health.port }, 'ready');
}

/** Calls `fn` once stdin ends or closes: with a pipe from the launcher, when the launcher has died. */
function onStdinEnd(fn: () => void): void {
  let called = false;
  const once = () => {
    if (called) return;
    called = true;
    fn();
  };
  process.stdin.on('end', once);
  process.stdin.on('close', once);
  process.stdin.on('error', once);
  process.stdin.resume();
}
