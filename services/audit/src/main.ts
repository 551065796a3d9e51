import { CONSUMERS, SERVICE_NAMES, SUBJECTS } from '@jangar/contracts';
import { consume, ensureConsumer, manager, runService, serveRpc } from '@jangar/service-kit';
import { openDatabase } from '@jangar/service-kit/db';
import { AuditConfig } from './config.js';
import { recordDecision, recordOutcome, recordRunStatus } from './handlers.js';
import { AUDIT_MIGRATIONS } from './migrations.js';

await runService({
  name: 'audit',
  config: AuditConfig,
  async start({ logger, nc, config }) {
    const db = await openDatabase({ url: config.DATABASE_URL, schema: 'audit', migrations: AUDIT_MIGRATIONS, logger });
    const jsm = await manager(nc);
    for (const c of [CONSUMERS.auditOutcomes, CONSUMERS.auditDecisions, CONSUMERS.auditRunStatus]) await ensureConsumer(jsm, c);
    const subs = [
      await consume(nc, CONSUMERS.auditOutcomes, SUBJECTS.outcome.schema, (m) => recordOutcome(db, m), { logger }),
      await consume(nc, CONSUMERS.auditDecisions, SUBJECTS.decision.schema, (m) => recordDecision(db, m), { logger }),
      await consume(nc, CONSUMERS.auditRunStatus, SUBJECTS.runStatus.schema, (m) => recordRunStatus(db, m), { logger }),
    ];
    const service = await serveRpc(nc, SERVICE_NAMES.audit, [], logger);
    return {
      checks: [{ name: 'postgres', check: () => db.ping() }],
      async stop() {
        await Promise.all(subs.map((s) => s.stop()));
        await service.stop();
        await db.close();
      },
    };
  },
});
