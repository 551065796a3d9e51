import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { streamDefinitions } from '@jangar/contracts';
import { scratchNats } from '@jangar/devstack';
import { ensureStreams } from '../src/nats.js';

/** Five services starting at once on a new server, each on its own connection, as a stack starts them. */
async function raceOnNewServer(): Promise<{ rejected: unknown[]; names: string[] }> {
  const streams = Object.values(streamDefinitions());
  const nats = await scratchNats('ensure-streams');
  const connections = await Promise.all(Array.from({ length: 5 }, () => connect({ servers: nats.url })));
  try {
    const managers = await Promise.all(connections.map((nc) => jetstreamManager(nc)));
    const results = await Promise.allSettled(managers.map((jsm) => ensureStreams(jsm, streams)));
    const names: string[] = [];
    for await (const s of managers[0]!.streams.list()) names.push(s.config.name);
    return { rejected: results.filter((r) => r.status === 'rejected'), names: names.sort() };
  } finally {
    await Promise.all(connections.map((nc) => nc.close()));
    await nats.stop();
  }
}

describe('ensuring the streams', () => {
  it('succeeds in every service that starts at the same moment on a server without the streams', { timeout: 60_000 }, async () => {
    const expected = Object.values(streamDefinitions())
      .map((s) => s.name)
      .sort();
    // The race is narrow: run it on thirty new servers.
    for (let round = 0; round < 30; round++) {
      const { rejected, names } = await raceOnNewServer();
      expect(rejected).toEqual([]);
      expect(names).toEqual(expected);
    }
  });
});
