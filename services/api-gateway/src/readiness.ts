import type { NatsConnection } from '@nats-io/transport-node';
import { SERVICE_NAMES } from '@jangar/contracts';
import { pingServices, runChecks } from '@jangar/service-kit';
import type { Database } from '@jangar/service-kit/db';

const PEERS = [SERVICE_NAMES.policy, SERVICE_NAMES.provisioner, SERVICE_NAMES.statusAggregator, SERVICE_NAMES.audit];

/**
 * Ready means every dependency and every other service answers. Peers are pinged through the
 * NATS service API; the answer is cached briefly so probes do not flood the bus.
 */
export function readinessProbe(nc: NatsConnection, db: Database, cacheMs = 1_000) {
  let cached: { at: number; peers: Set<string> } | undefined;
  const peers = async () => {
    if (!cached || Date.now() - cached.at > cacheMs) cached = { at: Date.now(), peers: await pingServices(nc, PEERS, 300) };
    return cached.peers;
  };
  return () =>
    runChecks([
      { name: 'nats', check: () => !nc.isClosed() },
      { name: 'postgres', check: () => db.ping() },
      ...PEERS.map((name) => ({ name, check: async () => (await peers()).has(name) })),
    ]);
}
