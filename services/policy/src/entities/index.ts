import { Approval } from './approval.js';
import { BudgetCharge } from './budget-charge.js';
import { FirstDecision } from './first-decision.js';
import { QueuedRun } from './queued-run.js';
import { RunSlot } from './run-slot.js';

export { Approval, BudgetCharge, FirstDecision, QueuedRun, RunSlot };

/** Every table of the `policy` schema, as the ORM knows it; a drift test holds them to the migrations. */
export const POLICY_ENTITIES = [RunSlot, BudgetCharge, Approval, QueuedRun, FirstDecision];
