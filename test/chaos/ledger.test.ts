import { describe, expect, it } from 'vitest';
import { Ledger } from '../../scripts/chaos/ledger.js';
import { answersDuring } from '../../scripts/chaos/run.js';
import { seededRandom } from '../../scripts/chaos/storm.js';

const at = (sentAt: number, ms = 5) => ({ sentAt, ms });
const created = { status: 201, body: JSON.stringify({ id: 'run-1', metadata: { name: 'coder-1' } }), ...at(0) };
const changed = { status: 200, body: JSON.stringify({ id: 'run-1' }), ...at(10) };
const unavailable = (sentAt: number, ms: number) => ({ status: 503, body: '{"code":"unavailable"}', ...at(sentAt, ms) });

describe('the chaos ledger', () => {
  it('counts a change of a run only once it was accepted', () => {
    const ledger = new Ledger();
    ledger.record('c-1', created);
    ledger.noteChange('c-1-delete', 'delete', 'c-1');
    ledger.record('c-1-delete', unavailable(5, 3));
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

describe('the answers to attempts sent during a fault', () => {
  it('are those sent between its strike and its return, with the slowest, the 503s and the unanswered', () => {
    const ledger = new Ledger();
    ledger.record('before', { status: 201, body: '{}', ...at(999, 40_000) });
    ledger.record('during-1', unavailable(1_000, 10_050));
    ledger.record('during-1', { status: 201, body: '{}', ...at(11_100, 20) });
    ledger.record('during-2', { status: 0, body: '', ...at(5_000, 2) });
    ledger.record('after', { status: 201, body: '{}', ...at(16_001, 30_000) });
    const [during] = answersDuring(ledger, [{ target: 'freeze postgres', struckAt: 1_000, downMs: 15_000 }]);
    expect(during).toEqual({
      target: 'freeze postgres',
      sent: 3,
      slowestMs: 10_050,
      slowest: 'create 503',
      unavailable: 1,
      noAnswer: 1,
    });
  });

  it('names the slowest attempt by what it was: a create, a delete or a patch', () => {
    const ledger = new Ledger();
    ledger.record('c-1', { status: 201, body: '{}', ...at(1_000, 30) });
    ledger.noteChange('c-1-delete', 'delete', 'c-1');
    ledger.record('c-1-delete', { status: 200, body: '{}', ...at(1_100, 9_900) });
    const [during] = answersDuring(ledger, [{ target: 'status-aggregator-1', struckAt: 1_000, downMs: 5_000 }]);
    expect(during).toMatchObject({ sent: 2, slowestMs: 9_900, slowest: 'delete 200' });
    expect(answersDuring(new Ledger(), [{ target: 'policy', struckAt: 0, downMs: 1 }])).toEqual([
      { target: 'policy', sent: 0, slowestMs: 0, unavailable: 0, noAnswer: 0 },
    ]);
  });
});

describe('the storm generator', () => {
  it('draws the same sequence from the same seed', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    expect(Array.from({ length: 5 }, a)).toEqual(Array.from({ length: 5 }, b));
  });
});
