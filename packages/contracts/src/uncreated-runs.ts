/**
 * Runs that do not exist in Kubernetes, as the runs API shows them: on their way, waiting in a
 * queue or for an approver, or refused for good. The gateway reads one by id from its delivery;
 * the status-aggregator lists those that waited. Both build them here, so the two agree.
 */
import type { Condition } from './meta.js';
import type { DecisionPayload, RequestPayload } from './messages.js';
import type { NormalizedRun } from './runs.js';
import { refusedRunState, type RefusedRunState } from './queue.js';
import type { ErrorCode } from './errors.js';
import type { Violation } from './problem.js';

/** The conditions of a run a `pending` decision holds — Blocked in its queue, or AwaitingApproval — or undefined when it holds none. A run approved and then queued waits for its queue. */
export function holdConditions(decision: Pick<DecisionPayload, 'queue' | 'approval'>): Condition[] | undefined {
  const { queue, approval } = decision;
  if (queue?.state === 'Queued') {
    return [{ type: 'Blocked', status: 'True', reason: queue.reason, message: queue.message, lastTransitionTime: queue.enqueuedAt }];
  }
  if (!approval) return undefined;
  return [
    {
      type: 'AwaitingApproval',
      status: 'True',
      reason: 'ApprovalRequired',
      message: approval.gates.map((g) => g.reason).join('; '),
      lastTransitionTime: approval.createdAt,
    },
  ];
}

const pascalCase = (code: string) => code.replace(/(^|_)([a-z])/g, (_m, _sep: string, c: string) => c.toUpperCase());

/** The phase and conditions a refusal gives a run that never existed: the reference's where it has them, else `Failed` with the code as the reason. */
export function refusalState(code: string, detail: string, violations?: readonly Violation[]): RefusedRunState {
  // An unknown code finds no state of the reference's, and falls back.
  return (
    refusedRunState(code as ErrorCode, violations) ?? {
      phase: 'Failed',
      conditions: [{ type: 'Failed', status: 'True', reason: pascalCase(code), message: detail }],
    }
  );
}

/** A run that does not exist, from the request that would create it: no uid or resourceVersion, the name it would have. */
export function uncreatedRunView(
  request: RequestPayload & { kind: NormalizedRun['type'] },
  from: { deliveryId: string; correlationId: string },
  state: { phase: NormalizedRun['phase']; conditions: Condition[]; createdAt: string },
): NormalizedRun {
  return {
    id: request.id,
    type: request.kind,
    namespace: request.metadata.namespace,
    name: request.metadata.name ?? '',
    uid: '',
    resourceVersion: '',
    labels: request.metadata.labels ?? {},
    deliveryId: from.deliveryId,
    correlationId: from.correlationId,
    phase: state.phase,
    conditions: state.conditions,
    createdAt: state.createdAt,
    updatedAt: state.conditions.at(-1)?.lastTransitionTime ?? state.createdAt,
  };
}
