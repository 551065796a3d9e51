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
    // The race is under test, not the machine: a JetStream API request may wait past the default
    // 5 s on a loaded machine running thirty rounds beside other test files.
    const managers = await Promise.all(connections.map((nc) => jetstreamManager(nc, { timeout: 30_000 })));
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

describe('asking for more copies of a stream than the server keeps', () => {
  it('fails the start loudly, whether the stream is new or there already', async () => {
    const nats = await scratchNats('ensure-replicas');
    const nc = await connect({ servers: nats.url });
    try {
      const jsm = await jetstreamManager(nc);
      const one = streamDefinitions(undefined, 1).requests;
      const three = { ...one, replicas: 3 };
      await expect(ensureStreams(jsm, [three])).rejects.toThrow();
      await ensureStreams(jsm, [one]);
      // A lone server takes the update of one copy to three, keeps one, and loses the stream at
      // its next restart; the start must not go on as if it had three.
      await expect(ensureStreams(jsm, [three])).rejects.toThrow(/JANGAR_STREAM_REPLICAS/);
    } finally {
      await nc.close();
      await nats.stop();
    }
  });
});
