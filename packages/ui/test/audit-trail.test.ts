import { describe, expect, it } from 'vitest';
import { AUDIT_PAGE_SIZE, auditTrailPath } from '../src/lib/audit.js';
import { nextPage } from '../src/lib/pager.js';

describe("a resource's audit trail", () => {
  it('reads a page of 100 events, then the next one with the continue token the API handed', () => {
    expect(AUDIT_PAGE_SIZE).toBe(100);
    expect(auditTrailPath('AgentRun/team-a/r1', undefined)).toBe('/v1/audit?resource=AgentRun%2Fteam-a%2Fr1&limit=100');
    const older = nextPage([], undefined, 'tok/2+');
    expect(auditTrailPath('AgentRun/team-a/r1', older.token)).toBe(
      '/v1/audit?resource=AgentRun%2Fteam-a%2Fr1&limit=100&continue=tok%2F2%2B',
    );
  });
});
