import { describe, expect, it } from 'vitest';
import type { StoredResponse } from '../src/deliveries/store.js';
import { Recent } from '../src/recent.js';

const answer = (body: string) => Promise.resolve<StoredResponse>({ status: 201, contentType: 'application/json', body });

describe('the answers a replica stored lately', () => {
  it('forgets the oldest once it holds more answers than its count allows', () => {
    const recent = new Recent<Promise<StoredResponse>>({ entries: 2, bytes: 1_000, ageMs: 60_000 });
    recent.set('a#1', answer('a'), 1);
    recent.set('b#1', answer('b'), 1);
    recent.set('c#1', answer('c'), 1);
    expect([recent.get('a#1'), recent.get('b#1') !== undefined, recent.get('c#1') !== undefined]).toEqual([undefined, true, true]);
    expect(recent.size).toBe(2);
  });

  it('forgets the oldest once the answers it holds pass its bytes, keeping the newest however large', () => {
    const recent = new Recent<Promise<StoredResponse>>({ entries: 100, bytes: 1_000, ageMs: 60_000 });
    recent.set('a#1', answer('a'), 400);
    recent.set('b#1', answer('b'), 400);
    recent.set('c#1', answer('c'), 400);
    expect(recent.get('a#1')).toBeUndefined();
    expect(recent.bytes).toBe(800);
    recent.set('huge#1', answer('huge'), 5_000);
    expect(recent.size).toBe(1);
    expect(recent.get('huge#1')).toBeDefined();
  });

  it('forgets an answer past its age, so a deliveryId used again after the purge is never answered from it', () => {
    let now = 0;
    const recent = new Recent<Promise<StoredResponse>>({ entries: 100, bytes: 1_000, ageMs: 60_000 }, () => now);
    recent.set('a#1', answer('a'), 10);
    now = 60_000;
    expect(recent.get('a#1')).toBeDefined();
    now = 60_001;
    expect(recent.get('a#1')).toBeUndefined();
    expect(recent.bytes).toBe(0);
  });

  it('forgets a failed write only if no later one for the same attempt took its place', async () => {
    const recent = new Recent<Promise<StoredResponse>>({ entries: 100, bytes: 1_000, ageMs: 60_000 });
    const failed = answer('failed');
    recent.set('a#1', failed, 10);
    const later = answer('later');
    recent.set('a#1', later, 20);
    recent.forget('a#1', failed);
    expect(await recent.get('a#1')).toMatchObject({ body: 'later' });
    expect(recent.bytes).toBe(20);
    recent.forget('a#1', later);
    expect(recent.get('a#1')).toBeUndefined();
  });
});
