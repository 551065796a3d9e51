import { CONSUMERS, DEFAULT_DUPLICATE_WINDOW_MS, SERVICE_NAMES, SUBJECTS } from '@jangar/contracts';
import { callRpc, poolOptions, runService, serveRpc } from '@jangar/service-kit';
import { openDatabase } from '@jangar/service-kit/db';
import { buildApp } from './app.js';
import { Authenticator } from './auth.js';
import { GatewayConfig } from './config.js';
import { GATEWAY_DATABASE } from './database.js';
import { publishedMarks } from './deliveries/published-marks.js';
import { DeliveryStore } from './deliveries/store.js';
import { OutcomeWaiter } from './outcomes.js';
import { RequestPublisher } from './publisher.js';
import { readinessProbe } from './readiness.js';
import { startSweeps } from './sweeps.js';

/**
 * What a request's message leaves free of the bus's max_payload. The services after the gateway
 * publish the request again inside larger messages (policy's decision, the provisioner's outcome
 * with the object as the API server returns it), and their headers; a request that fills the
 * payload would pass the gateway and then fail in policy on every delivery.
 */
const MESSAGE_ROOM_BYTES = 64 * 1024;

await runService({
  name: 'api-gateway',
  config: GatewayConfig,
  async start({ config, logger, nc, js, consume }) {
    const loopback = ['127.0.0.1', 'localhost', '::1'].includes(config.JANGAR_HTTP_HOST);
    if (config.JANGAR_DEV_TOKEN && !loopback) logger.warn('JANGAR_DEV_TOKEN is ignored: the gateway does not listen on loopback');
    const auth = new Authenticator(config.JANGAR_API_TOKENS, loopback ? config.JANGAR_DEV_TOKEN : undefined);

    const db = await openDatabase({
      url: config.DATABASE_URL,
      ...GATEWAY_DATABASE,
      ...poolOptions(config),
      deadlineMs: config.JANGAR_DB_DEADLINE_MS,
      logger,
    });
    const deliveries = new DeliveryStore(db, config.JANGAR_IDEMPOTENCY_RETENTION_HOURS, config.JANGAR_DB_DEADLINE_MS);
    const marks = publishedMarks({
      write: (keys) => deliveries.markPublished(keys),
      // Long enough to gather a few accepts into one commit, far shorter than the recovery sweep's age.
      delayMs: 10,
      onError: (err, count) => logger.warn({ err, count }, 'could not mark requests published; the recovery sweep will publish them again'),
    });
    // A lost mark is safe only while the sweep republishes inside JetStream's duplicate window.
    const dedupWindowMs = config.JANGAR_DEDUP_WINDOW_MS ?? DEFAULT_DUPLICATE_WINDOW_MS;
    if (config.JANGAR_RECOVERY_SWEEP_MS * 4 > dedupWindowMs) {
      logger.warn(
        { recoverySweepMs: config.JANGAR_RECOVERY_SWEEP_MS, dedupWindowMs },
        'the recovery sweep is slow next to the duplicate window: a request whose published mark was lost in a crash may be re-published past its dedup ID',
      );
    }
    const waiter = new OutcomeWaiter(nc, logger);
    const publisher = new RequestPublisher(js, deliveries, marks, waiter, logger);

    const outcomes = await consume(CONSUMERS.gatewayOutcomes, SUBJECTS.outcome.schema, async (m) => {
      await publisher.store(m.requestKey, m.attempt, m.payload);
    });
    const holds = await consume(CONSUMERS.gatewayPending, SUBJECTS.decision.schema, (m) => publisher.recordHold(m));

    const service = await serveRpc(nc, SERVICE_NAMES.gateway, [], logger);
    const readiness = readinessProbe(nc, db);
    const app = buildApp({
      config,
      logger,
      auth,
      deliveries,
      publishAndWait: (m, waitMs) => publisher.publishAndWait(m, waitMs),
      call: (def, request) => callRpc(nc, def, request),
      subscribe: async (subject, onMessage) => {
        const sub = nc.subscribe(subject, {
          callback: (err, msg) => {
            if (err) return logger.warn({ err, subject }, 'subscription failed');
            try {
              onMessage(msg.json());
            } catch (e) {
              logger.warn({ err: e, subject }, 'dropping a message that is not JSON');
            }
          },
        });
        await nc.flush();
        return () => sub.unsubscribe();
      },
      readiness,
      maxMessageBytes: () => (nc.info ? nc.info.max_payload - MESSAGE_ROOM_BYTES : undefined),
    });
    const sweeps = startSweeps({
      publisher,
      deliveries,
      logger,
      recoverEveryMs: config.JANGAR_RECOVERY_SWEEP_MS,
      purgeEveryMs: config.JANGAR_IDEMPOTENCY_PURGE_INTERVAL_MS,
    });
    await app.listen({ host: config.JANGAR_HTTP_HOST, port: config.JANGAR_HTTP_PORT });

    return {
      checks: [{ name: 'postgres', check: () => db.ping() }],
      async stop() {
        sweeps.stop();
        await app.close();
        await Promise.all([outcomes.stop(), holds.stop()]);
        waiter.close();
        await marks.flush();
        await service.stop();
        await db.close();
      },
    };
  },
});
