import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import {
  AckPolicy,
  DeliverPolicy,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type JetStreamManager,
} from '@nats-io/jetstream';
import type { ConsumerDefinition, StreamDefinition } from '@jangar/contracts';
import type { Logger } from './logger.js';

/** Connects to NATS with endless reconnects, logging connection state changes. */
export async function connectNats(url: string, name: string, logger: Logger): Promise<NatsConnection> {
  const nc = await connect({
    servers: url.split(','),
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    waitOnFirstConnect: true,
    // Otherwise every request and publish builds an Error up front for its stack, in case it
    // fails: a few percent of the gateway's CPU per accepted request. Failures are handled where
    // they surface, and their message names the subject.
    noAsyncTraces: true,
  });
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect' || status.type === 'reconnect' || status.type === 'error') {
        logger.warn({ nats: status.type }, 'nats connection state changed');
      }
    }
  })();
  return nc;
}

/** Creates each stream, or updates it when its settings changed; safe for concurrent callers. */
export async function ensureStreams(jsm: JetStreamManager, streams: readonly StreamDefinition[]): Promise<void> {
  for (const def of streams) {
    const config = {
      name: def.name,
      subjects: [...def.subjects],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      duplicate_window: nanos(def.duplicateWindowMs),
      num_replicas: def.replicas,
      max_age: nanos(def.maxAgeMs),
      max_msgs_per_subject: def.maxMsgsPerSubject ?? -1,
    };
    try {
      const info = await jsm.streams.info(def.name);
      const changed = (['duplicate_window', 'max_age', 'num_replicas', 'max_msgs_per_subject'] as const).some(
        (k) => info.config[k] !== config[k],
      );
      // A lone server refuses a new stream of several copies, but takes an update to several and
      // keeps one: it then fails to load the stream at its next restart, far from the cause. It has
      // no cluster name (2.9.15 and later answer a `cluster` with only a leader; 2.9.10 none), and
      // a JetStream cluster cannot start without one.
      if (config.num_replicas > 1 && !info.cluster?.name) {
        throw new Error(
          `stream ${def.name}: JANGAR_STREAM_REPLICAS asks for ${config.num_replicas} copies, but the NATS server is not clustered and keeps one`,
        );
      }
      if (changed) {
        await jsm.streams.update(def.name, {
          ...info.config,
          duplicate_window: config.duplicate_window,
          max_age: config.max_age,
          num_replicas: config.num_replicas,
          max_msgs_per_subject: config.max_msgs_per_subject,
        });
      }
    } catch (err) {
      if (!isNotFound(err)) throw err;
      try {
        await jsm.streams.add(config);
      } catch (addErr) {
        // Another replica created it between our info() and add(): fine. The server may say so as
        // "subjects overlap" (the other's stream holds them), so whether the stream now exists
        // under this name decides; an overlap with a stream of another name is a real conflict.
        if (isAlreadyThere(addErr)) continue;
        const created = await jsm.streams.info(def.name).then(
          () => true,
          () => false,
        );
        if (!created) throw addErr;
      }
    }
  }
}

/**
 * What a durable's name stands for: which messages it takes and how it acknowledges them. The
 * server takes an update of the filter, but replicas of the previous version share the durable
 * during a rolling upgrade and would take the new filter's messages, so a new filter goes under a
 * new durable name (and the old one into `RETIRED_CONSUMERS`).
 */
const CONSUMER_IDENTITY = ['filter_subject', 'ack_policy', 'deliver_policy'] as const;
/** Settings every replica may take from the newest declaration without changing what the durable is. */
const CONSUMER_SETTINGS = ['ack_wait', 'max_deliver', 'max_ack_pending'] as const;

/** How many messages one durable hands out before the first is acknowledged, across all its replicas. */
const MAX_ACK_PENDING = 1000;

/**
 * Creates the durable consumer if missing (every replica binds the same one) and brings its
 * settings to the declaration's. One whose filter or acknowledgement differs from the declaration
 * fails the start: consuming it would quietly take other messages than this version was written for.
 */
export async function ensureConsumer(
  jsm: JetStreamManager,
  def: ConsumerDefinition,
  overrides: { ackWaitMs?: number | undefined } = {},
): Promise<void> {
  const wanted = {
    durable_name: def.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: def.filter,
    ack_wait: nanos(overrides.ackWaitMs ?? def.ackWaitMs),
    max_deliver: def.maxDeliver,
    max_ack_pending: MAX_ACK_PENDING,
  };
  const existing = await consumerConfig(jsm, def);
  if (!existing) {
    try {
      await jsm.consumers.add(def.stream, wanted);
      return;
    } catch (err) {
      // Another replica created it between our info() and add(); it may be an older version's.
      if (!isAlreadyThere(err)) throw err;
    }
  }
  const current = existing ?? (await consumerConfig(jsm, def));
  if (!current) throw new Error(`consumer ${def.durable} on stream ${def.stream} was neither found nor created`);
  const drift = CONSUMER_IDENTITY.filter((k) => current[k] !== wanted[k]);
  if (drift.length > 0) {
    const says = drift.map((k) => `${k} ${JSON.stringify(current[k])} where this version declares ${JSON.stringify(wanted[k])}`);
    throw new Error(
      `consumer ${def.durable} on stream ${def.stream} has ${says.join(', ')}; a durable keeps what it consumes, so declare the change under a new durable name and retire this one`,
    );
  }
  const changed = Object.fromEntries(CONSUMER_SETTINGS.filter((k) => current[k] !== wanted[k]).map((k) => [k, wanted[k]]));
  if (Object.keys(changed).length > 0) await jsm.consumers.update(def.stream, def.durable, changed);
}

/** The durable's configuration on the server, or undefined when it has none by that name. */
async function consumerConfig(jsm: JetStreamManager, def: ConsumerDefinition): Promise<ConsumerConfig | undefined> {
  try {
    return (await jsm.consumers.info(def.stream, def.durable)).config;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Deletes durable consumers no version binds any more (`RETIRED_CONSUMERS`); one already gone is fine. */
export async function retireConsumers(jsm: JetStreamManager, retired: ReadonlyArray<{ stream: string; durable: string }>): Promise<void> {
  for (const { stream, durable } of retired) {
    try {
      await jsm.consumers.delete(stream, durable);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

/** True for the JetStream API's answer that a stream or consumer does not exist. */
export function isNotFound(err: unknown): boolean {
  return /not found/i.test(String((err as Error)?.message));
}

/** True for the JetStream API's answer that a stream or consumer of that name is there already. */
function isAlreadyThere(err: unknown): boolean {
  return /already in use|exists/i.test(String((err as Error)?.message));
}

/** A JetStream manager for the connection. */
export async function manager(nc: NatsConnection): Promise<JetStreamManager> {
  return jetstreamManager(nc);
}
