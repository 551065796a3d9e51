import { CONSUMERS, RPCS, SERVICE_NAMES, SUBJECTS } from '@jangar/contracts';
import { endpoint, poolOptions, runService, serveRpc } from '@jangar/service-kit';
import { openDatabase } from '@jangar/service-kit/db';
import { AuditConfig } from './config.js';
import { AUDIT_DATABASE } from './database.js';
import { decisionWriter, recordDecision, recordOutcome, recordRunStatus, runHistoryWriter } from './handlers.js';
import { AuditWriter } from './group-commit.js';
import { correlation, listEvents, revisions, runHistory, verifyChain } from './queries.js';

await runService({
  name: 'audit',
  config: AuditConfig,
  async start({ logger, nc, config, consume }) {
    const db = await openDatabase({ url: config.DATABASE_URL, ...AUDIT_DATABASE, ...poolOptions(config), logger });
    const writer = new AuditWriter(db);
    const history = runHistoryWriter(db);
    const decisions = decisionWriter(db);
    const subs = [
      await consume(CONSUMERS.auditOutcomes, SUBJECTS.outcome.schema, (m) => recordOutcome(writer, m), {
        // Many in flight at once is what lets the group commit batch them.
        concurrency: 128,
      }),
      await consume(CONSUMERS.auditDecisions, SUBJECTS.decision.schema, (m) => recordDecision(decisions, m), { concurrency: 128 }),
      await consume(CONSUMERS.auditRunStatus, SUBJECTS.runStatus.schema, (m) => recordRunStatus(history, m), { concurrency: 128 }),
    ];
    const service = await serveRpc(
      nc,
      SERVICE_NAMES.audit,
      [
        endpoint(RPCS.listAuditEvents, (q) => listEvents(db, q)),
        endpoint(RPCS.verifyAudit, (q) => verifyChain(db, q)),
        endpoint(RPCS.runHistory, (q) => runHistory(db, q)),
        endpoint(RPCS.correlation, (q) => correlation(db, q)),
        endpoint(RPCS.revisions, (q) => revisions(db, q)),
      ],
      logger,
    );
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
