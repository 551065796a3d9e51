import { describe, expect, it } from 'vitest';
import { ALL_FAULTS, faultsFor, replicaOf } from '../../scripts/chaos/faults.js';

describe('the chaos faults', () => {
  it('strikes every kill and freeze as they are when each service runs once', () => {
    expect(faultsFor({})).toEqual(ALL_FAULTS);
    expect(faultsFor({ policy: 1 })).toEqual(ALL_FAULTS);
  });

  it('kills only the second process of a replicated service, in the same turn', () => {
    const faults = faultsFor({ policy: 2, 'status-aggregator': 3 });
    expect(faults).toHaveLength(ALL_FAULTS.length);
    expect(faults[ALL_FAULTS.indexOf('policy')]).toBe('policy-1');
    expect(faults[ALL_FAULTS.indexOf('status-aggregator')]).toBe('status-aggregator-1');
    expect(faults).toContain('provisioner');
    expect(faults).toContain('freeze postgres');
  });

  it('reads a replica target back into its service and index, hyphenated names included', () => {
    expect(replicaOf('status-aggregator-1')).toEqual({ name: 'status-aggregator', index: 1 });
    expect(replicaOf('policy-2')).toEqual({ name: 'policy', index: 2 });
    expect(replicaOf('status-aggregator')).toBeUndefined();
    expect(replicaOf('api-gateway')).toBeUndefined();
    expect(replicaOf('freeze postgres')).toBeUndefined();
    expect(replicaOf('nats-server')).toBeUndefined();
  });
});
