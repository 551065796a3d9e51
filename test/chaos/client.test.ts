import { describe, expect, it } from 'vitest';
import { ChaosClient } from '../../scripts/chaos/client.js';
import { Ledger } from '../../scripts/chaos/ledger.js';

const clientOf = (gatewayUrls: string[]) => new ChaosClient({ gatewayUrls, token: 't', namespace: 'chaos', ledger: new Ledger() });

describe('the chaos client', () => {
  it('sends each retry of a deliveryId to the next gateway replica, not the one that took the last attempt', () => {
    const client = clientOf(['http://a', 'http://b', 'http://c']);
    expect(client.replicaFor('d-1')).toBe('http://a');
    expect(client.replicaFor('d-1')).toBe('http://b');
    expect(client.replicaFor('d-1')).toBe('http://c');
    expect(client.replicaFor('d-1')).toBe('http://a');
  });

  it('spreads the first attempts of different deliveryIds over the replicas in turn', () => {
    const client = clientOf(['http://a', 'http://b']);
    expect(['d-1', 'd-2', 'd-3', 'd-4'].map((id) => client.replicaFor(id))).toEqual(['http://a', 'http://b', 'http://a', 'http://b']);
    expect(client.replicaFor('d-2')).toBe('http://a');
  });

  it('sends every attempt to the one gateway when there is one', () => {
    const client = clientOf(['http://a']);
    expect([client.replicaFor('d-1'), client.replicaFor('d-1'), client.replicaFor('d-2')]).toEqual(['http://a', 'http://a', 'http://a']);
  });
});
