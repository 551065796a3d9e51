import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CorrelationQuery, type Correlation } from '@jangar/contracts';
import type { Database } from '@jangar/service-kit/db';
import { AUDIT_DATABASE } from '../src/database.js';
import type { NewAuditEvent } from '../src/events.js';
import { AuditWriter } from '../src/group-commit.js';
import { correlation } from '../src/queries.js';
import { scratchDatabase, type ScratchDatabase } from '../../../test/support/database.js';

let scratch: ScratchDatabase;
let db: Database;

const event = (n: number, over: Partial<NewAuditEvent> = {}): NewAuditEvent => ({
  dedupId: `p-${n}`,
  occurredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
  actor: 'alice',
  action: 'agentrun.create',
  resourceKind: 'AgentRun',
  namespace: 'team-a',
  name: `r${n}`,
  uid: null,
  resourceId: null,
  deliveryId: `d-${n}`,
  correlationId: `c-${n}`,
  traceId: null,
  decision: 'allow',
  outcome: 'created',
  summary: { spec: { n } },
  ...over,
});

beforeAll(async () => {
  scratch = await scratchDatabase('audit-correlation', AUDIT_DATABASE);
  db = scratch.db;
});

afterAll(async () => {
  await scratch?.stop();
});

describe('a correlation a page at a time', () => {
  const CORR = 'incident-7';

  beforeAll(async () => {
    const writer = new AuditWriter(db);
    // 9 requests in team-a (6 of them creating runs run-0…run-5), 3 in team-b.
    for (let i = 0; i < 12; i++) {
      const ns = i % 4 === 3 ? 'team-b' : 'team-a';
      const creates = ns === 'team-a' && i < 8;
      await writer.append(
        event(10_000 + i, {
          correlationId: CORR,
          namespace: ns,
          resourceId: creates ? `run-${i}` : null,
          ...(creates ? {} : { resourceKind: 'Agent' }),
        }),
      );
    }
    const history = async (runId: string, ns: string, minute: number, phase: string, correlationId: string | null) =>
      db.query(
        `insert into audit.run_history (dedup_id, run_id, uid, type, namespace, name, phase, resource_version, conditions, observed_at, correlation_id)
         values (?, ?, ?, 'AgentRun', ?, ?, ?, ?, '[]', ?, ?)`,
        [
          `h-${runId}-${phase}`,
          runId,
          `uid-${runId}`,
          ns,
          runId,
          phase,
          `${minute}`,
          new Date(Date.UTC(2026, 1, 1, 0, minute)).toISOString(),
          correlationId,
        ],
      );
    for (const i of [0, 1, 2, 4, 5, 6]) {
      await history(`run-${i}`, 'team-a', i, 'Pending', null);
      await history(`run-${i}`, 'team-a', 30 + i, 'Running', null);
    }
    // Children of an orchestration carry the id themselves; two were first seen at the same instant.
    for (const [id, minute] of [
      ['child-a', 10],
      ['child-b', 10],
      ['child-c', 11],
    ] as const)
      await history(id, 'team-a', minute, 'Succeeded', CORR);
    await history('child-other', 'team-b', 12, 'Succeeded', CORR);
  });

  const page = (q: Partial<CorrelationQuery>) =>
    correlation(db, CorrelationQuery.parse({ correlationId: CORR, namespaces: ['team-a'], ...q }));

  async function all(limit: number, namespaces = ['team-a']): Promise<Correlation[]> {
    const pages: Correlation[] = [];
    let token: string | undefined;
    do {
      const p = await page({ limit, namespaces, ...(token === undefined ? {} : { continue: token }) });
      pages.push(p);
      token = p.continue;
      expect(pages.length).toBeLessThan(50);
    } while (token !== undefined);
    return pages;
  }

  it('pages requests and runs at most `limit` each, every one on exactly one page, in the one-page order', async () => {
    const whole = await page({ limit: 1000 });
    expect(whole.continue).toBeUndefined();
    expect(whole.requests.map((r) => r.deliveryId)).toEqual([0, 1, 2, 4, 5, 6, 8, 9, 10].map((i) => `d-${10_000 + i}`));
    expect(whole.runs.map((r) => [r.id, r.phase])).toEqual([
      ['run-0', 'Running'],
      ['run-1', 'Running'],
      ['run-2', 'Running'],
      ['run-4', 'Running'],
      ['run-5', 'Running'],
      ['run-6', 'Running'],
      ['child-a', 'Succeeded'],
      ['child-b', 'Succeeded'],
      ['child-c', 'Succeeded'],
    ]);
    for (const limit of [1, 2, 4]) {
      const pages = await all(limit);
      expect(pages.every((p) => p.requests.length <= limit && p.runs.length <= limit)).toBe(true);
      expect(pages.flatMap((p) => p.requests)).toEqual(whole.requests);
      expect(pages.flatMap((p) => p.runs)).toEqual(whole.runs);
      expect(pages).toHaveLength(Math.ceil(9 / limit));
    }
  });

  it("keeps the lists' pages apart when one ends first, within the caller's namespaces", async () => {
    const pages = await all(2, ['team-b']);
    expect(pages.map((p) => [p.requests.length, p.runs.length])).toEqual([
      [2, 1],
      [1, 0],
    ]);
    expect(pages[1]!.runs).toEqual([]);
  });

  it('refuses a token that is not one as validation_failed naming query.continue', async () => {
    await expect(page({ continue: 'not-a-token' })).rejects.toMatchObject({
      code: 'validation_failed',
      errors: [{ path: 'query.continue', message: 'not a token this API returned' }],
    });
  });
});
