import { BudgetCharge } from './budget-charge.js';
import { RunSlot } from './run-slot.js';

export { BudgetCharge, RunSlot };

/** Every table of the `policy` schema, as the ORM knows it; a drift test holds them to the migrations. */
export const POLICY_ENTITIES = [RunSlot, BudgetCharge];
