import { isChildRunStep, stepPhaseOfChild } from './child-runs.js';
import type { ChildRunState, StepResourceRef } from './child-runs.js';
import { kubeTimestamp } from './object-meta.js';
import type { SimScenario } from './scenario.js';

export { SCENARIO_ANNOTATION, SimScenario, scenarioOf } from './scenario.js';

/** Phases after which the simulator leaves a run alone. */
export const TERMINAL_PHASES: readonly string[] = ['Succeeded', 'Failed', 'Cancelled'];

/** A status condition, as in metav1.Condition. */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
}

/** The fields of a run's status that the simulator writes; others are carried over untouched. */
export interface RunStatus {
  phase?: string;
  conditions?: Condition[];
  observedGeneration?: number;
  startedAt?: string;
  finishedAt?: string;
  updatedAt?: string;
  reason?: string;
  message?: string;
  [field: string]: unknown;
}

/** One entry of `status.stepStatuses`. A step of a child-run kind names its child in `resourceRef`. */
export interface StepStatus {
  name: string;
  kind?: string;
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  startedAt?: string;
  finishedAt?: string;
  resourceRef?: StepResourceRef;
}

/** A step as an OrchestrationRun plans it when accepted: its name and, when known, its kind. */
export interface PlannedStep {
  name: string;
  kind?: string;
}

/** `status.retry`, as documented by RunRetryStatus in `@jangar/contracts`. */
export interface RetryStatus {
  attempt: number;
  maxAttempts: number;
  lastError?: string;
  nextRetryAt?: string;
}

/** Attempts a run gets when `spec.runtime.config.maxAttempts` does not say. */
export const DEFAULT_MAX_ATTEMPTS = 2;

/** What the step function needs to know about a run. */
export interface RunSnapshot {
  status: RunStatus | undefined;
  scenario: SimScenario;
  generation: number;
  now: Date;
  /** Steps of an OrchestrationRun (names, or names and kinds); the run walks them one at a time. */
  steps?: readonly (string | PlannedStep)[];
  /**
   * The children of the run's steps as they are now, by step name: only children that exist and
   * belong to the run. A Running step whose `resourceRef` has no entry lost its child.
   */
  children?: Readonly<Record<string, ChildRunState>>;
  /** Attempts the `retry` scenario may use; defaults to {@link DEFAULT_MAX_ATTEMPTS}. */
  maxAttempts?: number;
}

/** Upserts a condition, keeping lastTransitionTime unless its status flips. */
export function setCondition(conditions: readonly Condition[] | undefined, next: Condition): Condition[] {
  const list = [...(conditions ?? [])];
  const index = list.findIndex((c) => c.type === next.type);
  const previous = index === -1 ? undefined : list[index];
  const merged: Condition =
    previous && previous.status === next.status && previous.lastTransitionTime
      ? { ...next, lastTransitionTime: previous.lastTransitionTime }
      : next;
  if (index === -1) list.push(merged);
  else list[index] = merged;
  return list;
}

/**
 * The status after one simulated step, or undefined when the run should not move (terminal, stuck,
 * or waiting for a child run).
 *
 * A step of a child-run kind (`AgentRun`) does not advance on its own: once its child is recorded
 * in `resourceRef` it follows the child (see {@link stepPhaseOfChild}) whatever the run's own
 * scenario, and a failed (or vanished) child fails the step and the run. The runtime creates the
 * child when the step starts, in the same write ({@link stepsAwaitingChild}, {@link recordChild}).
 */
export function nextRunStatus(run: RunSnapshot): RunStatus | undefined {
  const status = run.status ?? {};
  const phase = status.phase;
  const now = kubeTimestamp(run.now);
  const condition = (type: string, value: Condition['status'], reason: string, message: string) =>
    conditionAt(run, type, value, reason, message);
  const base = { ...status, observedGeneration: run.generation, updatedAt: now };

  const steps = stepsOf(status);
  const setSteps = (list: StepStatus[] | undefined) => (list ? { stepStatuses: list } : {});
  const succeed = (list: StepStatus[] | undefined): RunStatus => {
    let conditions = setCondition(status.conditions, condition('InProgress', 'False', 'Completed', 'Simulated run finished'));
    conditions = setCondition(conditions, condition('Succeeded', 'True', 'Completed', 'Simulated run completed'));
    return { ...base, phase: 'Succeeded', finishedAt: now, conditions, ...setSteps(list) };
  };

  if (phase === undefined || phase === '') {
    const accepted = condition('Accepted', 'True', 'Submitted', 'Accepted by the kube-dev simulator');
    const initial = run.steps?.length ? run.steps.map(plannedStepStatus) : undefined;
    return { ...base, phase: 'Pending', conditions: setCondition(status.conditions, accepted), ...setSteps(initial) };
  }
  if (phase === 'Pending') {
    const inProgress = condition('InProgress', 'True', 'Running', 'Simulated run in progress');
    const retry = run.scenario === 'retry' ? { retry: { attempt: 1, maxAttempts: maxAttemptsOf(run) } satisfies RetryStatus } : {};
    return {
      ...base,
      phase: 'Running',
      startedAt: now,
      conditions: setCondition(status.conditions, inProgress),
      ...retry,
      ...setSteps(startNext(steps, now)),
    };
  }
  if (phase !== 'Running') return undefined;

  const current = steps?.find((s) => s.phase === 'Running');
  if (steps && current && isChildRunStep(current.kind)) {
    const ref = current.resourceRef;
    if (!ref) return undefined;
    const child = run.children?.[current.name];
    const stepPhase = child ? stepPhaseOfChild(child.phase) : 'Failed';
    if (stepPhase === 'Running') return undefined;
    if (stepPhase === 'Failed') {
      const why = child ? `${child.phase ?? 'Failed'}${child.message ? `: ${child.message}` : ''}` : 'no longer exists';
      return failedStatus(run, base, `step "${current.name}" failed: ${ref.kind} ${ref.name} ${why}`, 'StepFailed');
    }
    const done = finishCurrent(steps, now);
    return done?.some((s) => s.phase === 'Pending') ? { ...base, stepStatuses: startNext(done, now) } : succeed(done);
  }

  if (run.scenario === 'stuck') return undefined;
  const retry = status.retry as RetryStatus | undefined;
  const firstAttempt = run.scenario === 'retry' && (retry?.attempt ?? 1) === 1;
  const fails = run.scenario === 'failure' || (firstAttempt && maxAttemptsOf(run) < 2);
  if (firstAttempt && !fails) {
    const lastError = 'Simulated failure of attempt 1 (scenario "retry")';
    const retrying = condition('InProgress', 'True', 'Retrying', lastError);
    const next: RetryStatus = { attempt: 2, maxAttempts: maxAttemptsOf(run), lastError, nextRetryAt: now };
    return { ...base, conditions: setCondition(status.conditions, retrying), retry: next };
  }
  if (fails) {
    const message =
      run.scenario === 'retry' ? 'Simulated failure, no attempts left (scenario "retry")' : 'Simulated failure (scenario "failure")';
    const failed = failedStatus(run, base, message, 'Error');
    return retry ? { ...failed, retry: { ...retry, lastError: message } } : failed;
  }
  // A run with steps finishes its current step and starts the next; the last one ends the run.
  if (steps && steps.some((s) => s.phase === 'Pending')) {
    return { ...base, stepStatuses: startNext(finishCurrent(steps, now), now) };
  }
  return succeed(finishCurrent(steps, now));
}

/** A condition that changed at the snapshot's time, observed at its generation. */
function conditionAt(
  run: Pick<RunSnapshot, 'now' | 'generation'>,
  type: string,
  status: Condition['status'],
  reason: string,
  message: string,
): Condition {
  return { type, status, reason, message, lastTransitionTime: kubeTimestamp(run.now), observedGeneration: run.generation };
}

/** `status` ended Failed with `reason` and `message`, its running step Failed with it. */
function failedStatus(run: Pick<RunSnapshot, 'now' | 'generation'>, status: RunStatus, message: string, reason: string): RunStatus {
  const now = kubeTimestamp(run.now);
  const condition = (type: string, value: Condition['status']) => conditionAt(run, type, value, reason, message);
  let conditions = setCondition(status.conditions, condition('InProgress', 'False'));
  conditions = setCondition(conditions, condition('Failed', 'True'));
  const steps = failCurrent(stepsOf(status), now);
  return {
    ...status,
    observedGeneration: run.generation,
    updatedAt: now,
    phase: 'Failed',
    finishedAt: now,
    reason,
    message,
    conditions,
    ...(steps ? { stepStatuses: steps } : {}),
  };
}

/** The Running steps of a child-run kind that have no child yet: the runtime starts theirs before it writes `status`. */
export function stepsAwaitingChild(status: RunStatus): StepStatus[] {
  return (stepsOf(status) ?? []).filter((s) => s.phase === 'Running' && isChildRunStep(s.kind) && !s.resourceRef);
}

/** `status` with `ref` recorded as the child of step `name`. */
export function recordChild(status: RunStatus, name: string, ref: StepResourceRef): RunStatus {
  const steps = stepsOf(status);
  if (!steps) return status;
  return { ...status, stepStatuses: steps.map((s) => (s.name === name ? { ...s, resourceRef: ref } : s)) };
}

/** `status` Failed because the child of its running step `name` could not be started. */
export function failChildStart(run: Pick<RunSnapshot, 'now' | 'generation'>, status: RunStatus, name: string, why: string): RunStatus {
  return failedStatus(run, status, `step "${name}" failed: its AgentRun could not be started: ${why}`, 'StepFailed');
}

function plannedStepStatus(step: string | PlannedStep): StepStatus {
  if (typeof step === 'string') return { name: step, phase: 'Pending' };
  return { name: step.name, ...(step.kind ? { kind: step.kind } : {}), phase: 'Pending' };
}

function maxAttemptsOf(run: RunSnapshot): number {
  return run.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
}

function stepsOf(status: RunStatus): StepStatus[] | undefined {
  return Array.isArray(status.stepStatuses) ? (status.stepStatuses as StepStatus[]) : undefined;
}

function finishCurrent(steps: StepStatus[] | undefined, now: string): StepStatus[] | undefined {
  return steps?.map((s) => (s.phase === 'Running' ? { ...s, phase: 'Succeeded', finishedAt: now } : s));
}

function failCurrent(steps: StepStatus[] | undefined, now: string): StepStatus[] | undefined {
  return steps?.map((s) => (s.phase === 'Running' ? { ...s, phase: 'Failed', finishedAt: now } : s));
}

function startNext(steps: StepStatus[] | undefined, now: string): StepStatus[] | undefined {
  if (!steps) return undefined;
  const index = steps.findIndex((s) => s.phase === 'Pending');
  return steps.map((s, i) => (i === index ? { ...s, phase: 'Running', startedAt: now } : s));
}
