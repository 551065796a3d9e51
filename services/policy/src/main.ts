import { CONSUMERS, RPCS, SERVICE_NAMES, SUBJECTS } from '@jangar/contracts';
import { endpoint, poolOptions, runService, serveRpc } from '@jangar/service-kit';
import { openDatabase } from '@jangar/service-kit/db';
import { customObjects, loadKubeConfig } from '@jangar/service-kit/kube';
import { answerCannotProcess, declineGivingUp } from './cannot-process.js';
import { ClusterView } from './cluster-view.js';
import { PolicyConfig } from './config.js';
import { POLICY_DATABASE } from './database.js';
import { decide, handleRequest, tryQueued, type PolicyDeps } from './handler.js';
import { releaseEndedRun, reconcileSlots, type ReconcileCursor, settleCreated } from './slots/release.js';
import { SlotStore } from './slots/store.js';
import { DecisionStore } from './decisions/store.js';
import { BudgetUsageRecorder, budgetStatusPatcher, runCountingBudgets } from './budget-usage.js';
import { ApprovalStore } from './approvals/store.js';
import { QueueDrainer } from './queue/drain.js';
import { QueueStore } from './queue/store.js';
import { queueEndpoints } from './queue/endpoints.js';
import { approvalEndpoints, sweepApprovals } from './approvals/endpoints.js';
import { readCurrentFrom } from './subject.js';
import { purgeExpired } from './retention.js';

await runService({
  name: 'policy',
  config: PolicyConfig,
  async start({ config, logger, nc, js, consume }) {
    const db = await openDatabase({ url: config.DATABASE_URL, ...POLICY_DATABASE, ...poolOptions(config), logger });
    const slots = new SlotStore(db);
    const kc = loadKubeConfig(config.KUBECONFIG);
    const api = customObjects(kc);
    const view = new ClusterView(kc, api, logger);
    await view.start();
    const readCurrent = readCurrentFrom(api);
    const settings = {
      mode: config.JANGAR_POLICY_MODE,
      allowedRuntimes: config.JANGAR_POLICY_ALLOWED_RUNTIMES,
      policyNamespace: config.JANGAR_POLICY_NAMESPACE,
      concurrency: {
        namespace: config.JANGAR_POLICY_CONCURRENCY_NAMESPACE,
        agent: config.JANGAR_POLICY_CONCURRENCY_AGENT,
        cluster: config.JANGAR_POLICY_CONCURRENCY_CLUSTER,
      },
      rateLimits: {
        namespace: config.JANGAR_POLICY_RATE_NAMESPACE,
        cluster: config.JANGAR_POLICY_RATE_CLUSTER,
        periodSeconds: config.JANGAR_POLICY_RATE_PERIOD_SECONDS,
      },
      queueCluster: config.JANGAR_POLICY_QUEUE_CLUSTER,
    };
    const usage = new BudgetUsageRecorder({ view, slots, patchStatus: budgetStatusPatcher(api), logger });
    const recordBudgetUsage = (budget: string) => usage.recordBestEffort(budget);
    const approvals = new ApprovalStore(db);
    const queue = new QueueStore(db);
    const decisions = new DecisionStore(db);
    const deps: PolicyDeps = { js, logger, view, readCurrent, slots, approvals, queue, decisions, settings, recordBudgetUsage };
    const drainer = new QueueDrainer(queue, (row) => tryQueued(row, deps), logger);
    deps.onQueued = () => drainer.poke();
    // A freed slot is the queue's cue — the next waiting run may fit now — and lowers what the
    // namespace's resource Budgets show in use.
    const released = async (namespace: string | undefined) => {
      if (!namespace) return;
      drainer.poke();
      await usage.refreshResources(namespace);
    };
    deps.onSlotReleased = (namespace) =>
      void released(namespace).catch((err: unknown) =>
        logger.warn({ err }, 'could not refresh resource Budgets after a slot was given back'),
      );
    const subs = [
      await consume(CONSUMERS.policyRequests, SUBJECTS.request.schema, async (m) => void (await handleRequest(m, deps)), {
        giveUp: { declines: (m) => declineGivingUp(db, m), answer: (m) => answerCannotProcess(js, m) },
      }),
      await consume(CONSUMERS.policyRunEnded, SUBJECTS.runStatus.schema, async (m) => released(await releaseEndedRun(slots, m))),
      await consume(CONSUMERS.policyOutcomes, SUBJECTS.outcome.schema, async (m) => released(await settleCreated(slots, m))),
    ];
    const reconciling: ReconcileCursor = {};
    const reconciler = setInterval(() => {
      reconcileSlots(slots, readCurrent, { olderThanMs: config.JANGAR_POLICY_RECONCILE_MS, cursor: reconciling, logger })
        .then(async (namespaces) => {
          for (const namespace of new Set(namespaces)) await released(namespace);
        })
        .catch((err: unknown) => logger.warn({ err }, 'slot reconciliation failed'));
    }, config.JANGAR_POLICY_RECONCILE_MS);
    reconciler.unref();
    // Runs roll out of a Budget's trailing period with no event to say so.
    const budgetSweep = setInterval(() => {
      usage.refreshRuns().catch((err: unknown) => logger.warn({ err }, 'budget usage sweep failed'));
    }, config.JANGAR_POLICY_RECONCILE_MS);
    budgetSweep.unref();
    // Rate windows roll on and waits run out with no event to say so.
    const queueSweep = setInterval(() => drainer.poke(), config.JANGAR_POLICY_QUEUE_SWEEP_MS);
    queueSweep.unref();
    const approvalSweep = setInterval(() => {
      sweepApprovals(deps, config.JANGAR_POLICY_APPROVAL_SWEEP_MS).catch((err: unknown) => logger.warn({ err }, 'approval sweep failed'));
    }, config.JANGAR_POLICY_APPROVAL_SWEEP_MS);
    approvalSweep.unref();
    const purge = setInterval(() => {
      // Budget charges only with every Budget known: one missing from a partial view would lose what it counts.
      purgeExpired(db, config.JANGAR_POLICY_RETENTION_HOURS, { budgets: view.ready() ? runCountingBudgets(view) : undefined })
        .then((purged) => Object.values(purged).some((n) => n > 0) && logger.info({ purged }, 'purged what is past retention'))
        .catch((err: unknown) => logger.warn({ err }, 'retention purge failed'));
    }, config.JANGAR_POLICY_PURGE_INTERVAL_MS);
    purge.unref();
    const service = await serveRpc(
      nc,
      SERVICE_NAMES.policy,
      [
        endpoint(RPCS.evaluatePolicy, async (request) => (await decide(request, deps)).decision),
        ...approvalEndpoints(deps),
        ...queueEndpoints(queue),
      ],
      logger,
    );
    return {
      checks: [
        { name: 'kubernetes', check: () => view.ready() },
        { name: 'postgres', check: () => db.ping() },
      ],
      async stop() {
        clearInterval(reconciler);
        clearInterval(budgetSweep);
        clearInterval(approvalSweep);
        clearInterval(queueSweep);
        clearInterval(purge);
        await drainer.idle();
        await Promise.all(subs.map((s) => s.stop()));
        await service.stop();
        await view.stop();
        await db.close();
      },
    };
  },
});
