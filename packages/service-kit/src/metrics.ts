/**
 * Prometheus metrics: one registry per process, served as `GET /metrics` on the health port (and on
 * the gateway's HTTP port). Every series carries a `service` label, so replicas of one service
 * aggregate by it and a process is told apart by Prometheus' own `instance` label.
 *
 * Consumer gauges are read from JetStream on each scrape rather than kept up to date: pending and
 * redelivered counts belong to the durable consumer on the server, so every replica of a service
 * reports the same value (aggregate them with `max`, not `sum`).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** What a scrape needs from JetStream about one durable consumer (a subset of `ConsumerInfo`). */
export interface ConsumerCounts {
  num_pending: number;
  num_ack_pending: number;
  num_redelivered: number;
}

/** The process's metrics: the registry and every series Jangar's code records. */
export interface Metrics {
  readonly registry: Registry;
  readonly messagesHandled: Counter<'consumer'>;
  readonly messagesFailed: Counter<'consumer' | 'reason'>;
  readonly messageHandleSeconds: Histogram<'consumer'>;
  readonly kubeRequestSeconds: Histogram<'verb' | 'kind' | 'code'>;
  readonly httpRequestSeconds: Histogram<'method' | 'route' | 'status'>;
  /** Reports a durable consumer's server-side counts on every scrape; `info` is asked once per scrape. */
  trackConsumer(consumer: string, info: () => Promise<ConsumerCounts>): void;
  /** The exposition text and its content type. */
  render(): Promise<{ body: string; type: string }>;
}

/** A fresh registry with Jangar's series; `defaults` adds Node's process and runtime metrics. */
export function createMetrics(opts: { defaults?: boolean } = {}): Metrics {
  const registry = new Registry();
  // Default metrics keep their conventional names (process_*, nodejs_*) so stock dashboards work.
  if (opts.defaults) collectDefaultMetrics({ register: registry });

  const consumers = new Map<string, () => Promise<ConsumerCounts>>();
  let refreshing: Promise<void> | undefined;
  // The three gauges are collected concurrently on each scrape; they share one round of info requests.
  const refresh = (): Promise<void> =>
    (refreshing ??= (async () => {
      const results = await Promise.all(
        [...consumers].map(async ([consumer, info]) => {
          try {
            return [consumer, await info()] as const;
          } catch {
            // A scrape while NATS is away must still answer; the consumer's series are left out.
            return [consumer, undefined] as const;
          }
        }),
      );
      pending.reset();
      ackPending.reset();
      redelivered.reset();
      for (const [consumer, counts] of results) {
        if (!counts) continue;
        pending.set({ consumer }, counts.num_pending);
        ackPending.set({ consumer }, counts.num_ack_pending);
        redelivered.set({ consumer }, counts.num_redelivered);
      }
    })().finally(() => {
      refreshing = undefined;
    }));

  const pending = new Gauge({
    name: 'jangar_consumer_pending',
    help: 'Messages in the stream not yet delivered to the durable consumer (num_pending).',
    labelNames: ['consumer'],
    registers: [registry],
    collect: refresh,
  });
  const ackPending = new Gauge({
    name: 'jangar_consumer_ack_pending',
    help: 'Messages delivered to the durable consumer and not yet acknowledged (num_ack_pending).',
    labelNames: ['consumer'],
    registers: [registry],
    collect: refresh,
  });
  const redelivered = new Gauge({
    name: 'jangar_consumer_redelivered',
    help: 'Messages delivered more than once and not yet acknowledged (num_redelivered).',
    labelNames: ['consumer'],
    registers: [registry],
    collect: refresh,
  });

  return {
    registry,
    messagesHandled: new Counter({
      name: 'jangar_messages_handled_total',
      help: 'Messages whose handler succeeded and that were acknowledged, by durable consumer.',
      labelNames: ['consumer'],
      registers: [registry],
    }),
    messagesFailed: new Counter({
      name: 'jangar_messages_failed_total',
      help: 'Messages that failed: reason "handler" (nak, redelivered later), "schema" (terminated), "poison" (answered internal, terminated) or "given-up" (delivered again after a delivery gave up on it: answered again, terminated).',
      labelNames: ['consumer', 'reason'],
      registers: [registry],
    }),
    messageHandleSeconds: new Histogram({
      name: 'jangar_message_handle_seconds',
      help: "Time spent in a consumer's handler, successful or not.",
      labelNames: ['consumer'],
      registers: [registry],
    }),
    kubeRequestSeconds: new Histogram({
      name: 'jangar_kube_request_seconds',
      help: 'Kubernetes API server calls by verb, kind and HTTP answer code ("error" when there was none).',
      labelNames: ['verb', 'kind', 'code'],
      registers: [registry],
    }),
    httpRequestSeconds: new Histogram({
      name: 'jangar_http_request_duration_seconds',
      help: 'HTTP requests served by the gateway, by method, route pattern and status.',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    trackConsumer(consumer, info) {
      consumers.set(consumer, info);
    },
    async render() {
      return { body: await registry.metrics(), type: registry.contentType };
    },
  };
}

let processMetrics: Metrics | undefined;

/** The process's metrics, created on first use with Node's default metrics. */
export function metrics(): Metrics {
  return (processMetrics ??= createMetrics({ defaults: true }));
}

/** Labels every series of this process with the service's name. */
export function initMetrics(service: string): Metrics {
  const m = metrics();
  m.registry.setDefaultLabels({ service });
  return m;
}

/** The health server's `extra` handler for `GET /metrics`. */
export async function metricsEndpoint(path: string): Promise<{ status: number; body: string; type: string } | undefined> {
  if (path !== '/metrics') return undefined;
  return { status: 200, ...(await metrics().render()) };
}

/** Runs one Kubernetes API call and observes its latency by verb, kind and answer code. */
export async function timeKubeCall<T>(verb: string, kind: string, call: () => Promise<T>, okCode = 200): Promise<T> {
  const end = metrics().kubeRequestSeconds.startTimer({ verb, kind });
  try {
    const result = await call();
    end({ code: String(okCode) });
    return result;
  } catch (err) {
    // client-node's ApiException carries the HTTP code; a network failure has none.
    const code = (err as { code?: unknown } | undefined)?.code;
    end({ code: typeof code === 'number' ? String(code) : 'error' });
    throw err;
  }
}
