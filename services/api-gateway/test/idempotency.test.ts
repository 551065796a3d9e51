import { describe, expect, it } from 'vitest';
import { requestFingerprint } from '../src/idempotency.js';

describe('request fingerprints', () => {
  it('ignore key order and the deliveryId itself', () => {
    const a = requestFingerprint('alice', 'POST', 'AgentRun', { deliveryId: 'k1', spec: { a: 1, b: 2 } });
    const b = requestFingerprint('alice', 'POST', 'AgentRun', { spec: { b: 2, a: 1 }, deliveryId: 'k2' });
    expect(a).toBe(b);
  });

  it('differ by principal, route and body', () => {
    const base = requestFingerprint('alice', 'POST', 'AgentRun', { spec: { a: 1 } });
    expect(requestFingerprint('bob', 'POST', 'AgentRun', { spec: { a: 1 } })).not.toBe(base);
    expect(requestFingerprint('alice', 'POST', 'Agent', { spec: { a: 1 } })).not.toBe(base);
    expect(requestFingerprint('alice', 'POST', 'AgentRun', { spec: { a: 2 } })).not.toBe(base);
  });
});
