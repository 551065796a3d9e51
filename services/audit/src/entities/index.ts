import { AuditEvent } from './audit-event.js';
import { CorrelationRun } from './correlation-run.js';
import { PolicyDecision } from './policy-decision.js';
import { Revision } from './revision.js';
import { RunTransition } from './run-transition.js';

export { AuditEvent, CorrelationRun, PolicyDecision, Revision, RunTransition };

/** Every table of the `audit` schema, as the ORM knows it; a drift test holds them to the migrations. */
export const AUDIT_ENTITIES = [AuditEvent, PolicyDecision, RunTransition, Revision, CorrelationRun];
