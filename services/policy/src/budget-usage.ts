import { PatchStrategy, setHeaderOptions, type CustomObjectsApi } from '@kubernetes/client-node';
import { Budget, BudgetSpec } from '@jangar/contracts';
import type { Logger } from '@jangar/service-kit';
import { resourceBudgetOf, usageStatus, type Resource } from './budgets.js';
import type { ClusterView } from './cluster-view.js';
import type { BudgetUsage, SlotStore } from './slots/store.js';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** Writes a Budget's usage on its status, merged with what the runtime reports there (tokens, dollars). */
export function budgetUsageWriter(api: CustomObjectsApi): (budget: string, used: BudgetUsage) => Promise<void> {
  return async (budget, used) => {
    // `budget` is the id the context gives it: `Budget <namespace>/<name>`.
    const [namespace, name] = budget.replace(/^Budget /, '').split('/');
    if (!namespace || !name) return;
    await api.patchNamespacedCustomObjectStatus(
      {
        group: Budget.group,
        version: Budget.version,
        plural: Budget.plural,
        namespace,
        name,
        body: { status: { used: usageStatus(used), updatedAt: new Date().toISOString() } },
      },
      mergePatch,
    );
  };
}

/**
 * Writes again what the active runs of a namespace request on each of its Budgets that limits cpu,
 * memory or gpu — after a slot was released, so the figure drops as runs end. Best effort: the
 * slots in Postgres are the truth, and the next admission or release writes it again.
 */
export async function refreshResourceUsage(
  deps: { view: ClusterView; slots: SlotStore; recordBudgetUsage: (budget: string, used: BudgetUsage) => Promise<void>; logger: Logger },
  namespace: string,
): Promise<void> {
  for (const obj of deps.view.list(Budget, namespace)) {
    const spec = BudgetSpec.safeParse(obj.spec);
    const budget = spec.success ? resourceBudgetOf({ id: `Budget ${namespace}/${obj.metadata.name}`, spec: spec.data }) : undefined;
    if (!budget) continue;
    const inUse = await deps.slots.requestedBy(namespace, budget.agents);
    const used = Object.fromEntries(Object.keys(budget.limits).map((r) => [r, inUse[r as Resource]]));
    await deps
      .recordBudgetUsage(budget.key, used)
      .catch((err: unknown) => deps.logger.warn({ err, budget: budget.key }, 'could not record budget usage'));
  }
}
