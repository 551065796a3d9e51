import { describe, expect, it } from 'vitest';
import { Ledger } from '../../scripts/chaos/ledger.js';
import { seededRandom } from '../../scripts/chaos/storm.js';

const created = { status: 201, body: JSON.stringify({ id: 'run-1', metadata: { name: 'coder-1' } }) };
const changed = { status: 200, body: JSON.stringify({ id: 'run-1' }) };

describe('the chaos ledger', () => {
  it('counts a change of a run only once it was accepted', () => {
    const ledger = new Ledger();
    ledger.record('c-1', created);
    ledger.noteChange('c-1-delete', 'delete', 'c-1');
    ledger.record('c-1-delete', { status: 503, body: '{"code":"unavailable"}' });
    expect(ledger.acceptedChanges('delete')).toEqual(new Map());

    ledger.record('c-1-delete', changed);
    expect(ledger.acceptedChanges('delete')).toEqual(new Map([['c-1', 'c-1-delete']]));
    expect(ledger.acceptedChanges('patch')).toEqual(new Map());
    expect(ledger.accepted()).toEqual(['c-1', 'c-1-delete']);
  });

  it('tells a change from a create, and names the create it changes', () => {
    const ledger = new Ledger();
    ledger.record('c-1', created);
    ledger.noteChange('c-1-patch', 'patch', 'c-1');
    ledger.record('c-1-patch', changed);
    expect(ledger.changeBy('c-1')).toBeUndefined();
    expect(ledger.changeBy('c-1-patch')).toEqual({ verb: 'patch', createdBy: 'c-1' });
    expect(ledger.runId('c-1-patch')).toBe(ledger.runId('c-1'));
  });
});

describe('the storm generator', () => {
  it('draws the same sequence from the same seed', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    expect(Array.from({ length: 5 }, a)).toEqual(Array.from({ length: 5 }, b));
  });
});
