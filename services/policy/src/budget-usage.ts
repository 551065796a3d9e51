/**
 * `Budget.status.used`, kept as Postgres has it. Admissions on several replicas change a Budget's
 * usage at once; if each wrote the figure it computed, their writes could land out of order and
 * leave an old count on the status until the next change. So a write never carries a figure from
 * elsewhere: it reads the usage under the Budget's lock and patches while holding it, and the
 * last write reflects everything committed before it.
 */
import { PatchStrategy, setHeaderOptions, type CustomObjectsApi } from '@kubernetes/client-node';
import { Budget, BudgetSpec, BudgetStatus, type BudgetAmounts, type KubeObject } from '@jangar/contracts';
import { withinDeadline, type Logger } from '@jangar/service-kit';
import { KUBE_CALL_DEADLINE_MS, withDeadline } from '@jangar/service-kit/kube';
import { meteredBudgetOf, usageStatus, type RunPeriod } from './budgets.js';
import type { ClusterView } from './cluster-view.js';
import type { SlotStore } from './slots/store.js';

/** Writes `used` on a Budget's status. */
export type StatusPatcher = (namespace: string, name: string, used: BudgetAmounts) => Promise<void>;

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/**
 * Merge-patches a Budget's status, so what the runtime reports there (tokens, dollars) stays. The
 * patch is made while the Budget's row is locked, so a stalled API server must not hold it long:
 * past `deadlineMs` the patch is abandoned.
 */
export function budgetStatusPatcher(api: CustomObjectsApi, deadlineMs = KUBE_CALL_DEADLINE_MS): StatusPatcher {
  return async (namespace, name, used) => {
    await api.patchNamespacedCustomObjectStatus(
      {
        group: Budget.group,
        version: Budget.version,
        plural: Budget.plural,
        namespace,
        name,
        body: { status: { used, updatedAt: new Date().toISOString() } },
      },
      withDeadline(deadlineMs, mergePatch),
    );
  };
}

/** A Budget's key as decisions name it: `Budget <namespace>/<name>`. */
const keyOf = (obj: KubeObject) => `Budget ${obj.metadata.namespace}/${obj.metadata.name}`;

/** Every Budget in the view that counts runs: its key, its period, and the count its status shows. */
export function runCountingBudgets(view: Pick<ClusterView, 'list'>): Array<RunPeriod & { shown: number | undefined }> {
  return view.list(Budget).flatMap((obj) => {
    const key = keyOf(obj);
    const spec = BudgetSpec.safeParse(obj.spec);
    const runs = spec.success ? meteredBudgetOf({ id: key, namespace: obj.metadata.namespace, spec: spec.data })?.runs : undefined;
    return runs ? [{ key, periodMs: runs.periodMs, shown: BudgetStatus.safeParse(obj.status ?? {}).data?.used?.runs }] : [];
  });
}

const settle = () => undefined;

/**
 * How long a Budget's status write may take. It runs holding a pooled connection and the Budget's
 * lock, so an API server that hangs would pin both, and the writes queued behind them, for as long
 * as it hangs; past this the transaction ends and the write counts as failed.
 */
export const STATUS_WRITE_TIMEOUT_MS = 10_000;

/** Writes Budgets' usage on their status from the charges and slots in Postgres, one write at a time per Budget. */
export class BudgetUsageRecorder {
  // Per Budget key: the last write asked for, and the one not started yet (which a caller may join).
  private readonly tails = new Map<string, Promise<void>>();
  private readonly waiting = new Map<string, Promise<void>>();

  constructor(
    private readonly deps: {
      view: Pick<ClusterView, 'get' | 'list'>;
      slots: Pick<SlotStore, 'withUsage' | 'runsCharged'>;
      patchStatus: StatusPatcher;
      logger: Logger;
      /** {@link STATUS_WRITE_TIMEOUT_MS} unless a test needs it shorter. */
      writeTimeoutMs?: number;
    },
  ) {}

  /**
   * Writes the usage of the Budget `key` (`Budget <namespace>/<name>`); resolves once a write that
   * read Postgres after this call has landed. Calls that arrive while a write waits to start share
   * it: that write reads after all of them.
   */
  record(key: string): Promise<void> {
    const queued = this.waiting.get(key);
    if (queued) return queued;
    const write = (this.tails.get(key) ?? Promise.resolve()).then(settle, settle).then(() => {
      this.waiting.delete(key);
      return this.write(key);
    });
    const tail = write.finally(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    this.tails.set(key, tail);
    this.waiting.set(key, tail);
    return tail;
  }

  /** Writes again every Budget of a namespace that limits resources — after a slot was released, so the figure drops as runs end. Best effort. */
  async refreshResources(namespace: string): Promise<void> {
    for (const obj of this.deps.view.list(Budget, namespace)) {
      const key = keyOf(obj);
      const spec = BudgetSpec.safeParse(obj.spec);
      if (!spec.success || !meteredBudgetOf({ id: key, namespace, spec: spec.data })?.resources) continue;
      await this.recordBestEffort(key);
    }
  }

  /**
   * Writes again every Budget whose status shows another count of runs than its period holds now:
   * charges roll out of the trailing period with no event to say so, and a best-effort write may
   * have failed. One count for all Budgets; only those that differ are written.
   */
  async refreshRuns(): Promise<void> {
    const counted = runCountingBudgets(this.deps.view);
    const shown = new Map(counted.map((b) => [b.key, b.shown]));
    for (const [key, runs] of await this.deps.slots.runsCharged(counted)) {
      if (shown.get(key) === runs) continue;
      await this.recordBestEffort(key);
    }
  }

  /** {@link record}, logging a failed write instead of throwing: the charges and slots in Postgres stay the truth, and the next write catches up. */
  async recordBestEffort(key: string): Promise<void> {
    await this.record(key).catch((err: unknown) => this.deps.logger.warn({ err, budget: key }, 'could not record budget usage'));
  }

  private async write(key: string): Promise<void> {
    const [namespace, name] = key.replace(/^Budget /, '').split('/');
    if (!namespace || !name) return;
    // A Budget deleted since, or changed to meter nothing, has no usage to show.
    const spec = BudgetSpec.safeParse(this.deps.view.get(Budget, namespace, name)?.spec);
    const metered = spec.success ? meteredBudgetOf({ id: key, namespace, spec: spec.data }) : undefined;
    if (!metered) return;
    const timeoutMs = this.deps.writeTimeoutMs ?? STATUS_WRITE_TIMEOUT_MS;
    await this.deps.slots.withUsage(metered, (used) =>
      withinDeadline(
        this.deps.patchStatus(namespace, name, usageStatus(used)),
        timeoutMs,
        () => new Error(`writing the status of ${key} took longer than ${timeoutMs} ms`),
      ),
    );
  }
}
