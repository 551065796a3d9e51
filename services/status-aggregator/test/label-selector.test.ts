import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { matchesLabelSelector, NormalizedRun, parseLabelSelector } from '@jangar/contracts';
import type { Database } from '@jangar/service-kit/db';
import { STATUS_DATABASE } from '../src/database.js';
import { listRuns } from '../src/queries.js';
import { RunStore } from '../src/store.js';
import { scratchDatabase, type ScratchDatabase } from '../../../test/support/database.js';

let scratch: ScratchDatabase;
let db: Database;

beforeAll(async () => {
  scratch = await scratchDatabase('status-selectors', STATUS_DATABASE);
  db = scratch.db;
});

beforeEach(async () => {
  await db.query('truncate status.runs, status.waiting_runs');
});

afterAll(async () => {
  await scratch?.stop();
});

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

/** Stores one run per value, labelled `n=<value>` (and one run without `n`); returns their names. */
async function storeLabelled(values: readonly string[]): Promise<string[]> {
  const store = new RunStore(db);
  const labels = [...values.map((v) => ({ n: v })), {}];
  await Promise.all(
    labels.map((l, i) =>
      store.upsert(
        NormalizedRun.parse({
          id: `run-${i}`,
          uid: `uid-${i}`,
          type: 'AgentRun',
          namespace: 'team-a',
          name: `r${i}`,
          resourceVersion: '1',
          labels: l,
          phase: 'Running',
          conditions: [],
          createdAt: '2026-11-26T10:00:00Z',
          updatedAt: '2026-11-26T10:00:00Z',
        }),
      ),
    ),
  );
  return labels.map((_, i) => `r${i}`);
}

/** The runs a selector lists from the store, and those the in-memory matcher takes, by name. */
async function bothWays(values: readonly string[], selector: string): Promise<{ sql: string[]; memory: string[] }> {
  const names = await storeLabelled(values);
  const requirements = parseLabelSelector(selector);
  const memory = names.filter((_, i) => matchesLabelSelector(requirements, i < values.length ? { n: values[i]! } : {}));
  const { items } = await listRuns(db, { namespaces: ['*'], limit: 500, labelSelector: selector });
  return { sql: items.map((r) => r.name).sort(), memory: memory.sort() };
}

/** Label values around what parses as an int64, and what does not. */
const labelValue = fc.oneof(
  fc.bigInt({ min: -(2n ** 66n), max: 2n ** 66n }).map(String),
  fc
    .tuple(fc.constantFrom('', '+', '-'), fc.nat(30), fc.bigInt({ min: 0n, max: 2n ** 64n }))
    .map(([sign, zeros, n]) => `${sign}${'0'.repeat(zeros)}${n}`),
  fc.constantFrom(INT64_MAX, INT64_MAX + 1n, INT64_MIN, INT64_MIN - 1n, 2n ** 53n + 1n).map(String),
  fc.constantFrom('', '1.5', '1e3', '0x10', ' 5', '5 ', '5\n', '\t5', '--5', '+-5', '1_000', '٣', '１', 'abc', '+', '-'),
  fc.string({ unit: 'grapheme', maxLength: 12 }).filter((s) => !s.includes('\u0000')),
);

/** Bounds a selector accepts: unsigned decimal integers within int64, leading zeros allowed. */
const bound = fc.oneof(
  fc.tuple(fc.nat(20), fc.bigInt({ min: 0n, max: INT64_MAX })).map(([zeros, n]) => `${'0'.repeat(zeros)}${n}`),
  fc.constantFrom('0', '5', String(INT64_MAX), String(2n ** 53n)),
);

describe('gt and lt label selectors', () => {
  it.each([
    // Leading zeros: an integer all the same, however long.
    ['00000000000000000000007', 'n>5'],
    // 19 digits beyond int64: not an integer to Kubernetes, so it matches neither way.
    ['9999999999999999999', 'n>5'],
    ['-9223372036854775809', 'n<0'],
    [String(INT64_MAX), 'n>9223372036854775806'],
    [String(INT64_MIN), 'n<0'],
    ['+7', 'n>5'],
    [' 7', 'n>5'],
    ['7.0', 'n>5'],
    [String(2n ** 53n + 1n), `n>${2n ** 53n}`],
  ])('treat the label %j with %s the same in the store as in memory', async (value, selector) => {
    const { sql, memory } = await bothWays([value], selector);
    expect(sql).toEqual(memory);
  });

  it('list the runs the in-memory matcher takes, for any label values and bounds', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(labelValue, { minLength: 1, maxLength: 12 }), bound, fc.constantFrom('>', '<'), async (values, b, op) => {
        await db.query('truncate status.runs');
        const { sql, memory } = await bothWays(values, `n${op}${b}`);
        expect(sql).toEqual(memory);
      }),
      { numRuns: 100 },
    );
  });
});
