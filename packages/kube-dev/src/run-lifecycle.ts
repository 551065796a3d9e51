import { z } from 'zod';
import { kubeTimestamp } from './object-meta.js';

/** The annotation that picks how a simulated run ends. */
export const SCENARIO_ANNOTATION = 'jangar.proompteng.ai/sim-scenario';

/**
 * How a simulated run ends: `stuck` stays Running forever; `retry` fails its first attempt and
 * succeeds on the second (or fails for good when only one attempt is allowed).
 */
export const SimScenario = z.enum(['success', 'failure', 'retry', 'stuck']);
export type SimScenario = z.infer<typeof SimScenario>;

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

/** One entry of `status.stepStatuses`. */
export interface StepStatus {
  name: string;
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  startedAt?: string;
  finishedAt?: string;
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
  /** Step names of an OrchestrationRun; the run walks them one at a time. */
  steps?: readonly string[];
  /** Attempts the `retry` scenario may use; defaults to {@link DEFAULT_MAX_ATTEMPTS}. */
  maxAttempts?: number;
}

/** The scenario named by an object's annotations; absent or unknown values mean `success`. */
export function scenarioOf(annotations: Readonly<Record<string, string>> | undefined): SimScenario {
  const parsed = SimScenario.safeParse(annotations?.[SCENARIO_ANNOTATION]);
  return parsed.success ? parsed.data : 'success';
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

/** The status after one simulated step, or undefined when the run should not move (terminal or stuck). */
export function nextRunStatus(run: RunSnapshot): RunStatus | undefined {
  const status = run.status ?? {};
  const phase = status.phase;
  const now = kubeTimestamp(run.now);
  const condition = (type: string, value: Condition['status'], reason: string, message: string): Condition => ({
    type,
    status: value,
    reason,
    message,
    lastTransitionTime: now,
    observedGeneration: run.generation,
  });
  const base = { ...status, observedGeneration: run.generation, updatedAt: now };

  const steps = stepsOf(status);
  const setSteps = (list: StepStatus[] | undefined) => (list ? { stepStatuses: list } : {});

  if (phase === undefined || phase === '') {
    const accepted = condition('Accepted', 'True', 'Submitted', 'Accepted by the kube-dev simulator');
    const initial = run.steps?.length ? run.steps.map((name): StepStatus => ({ name, phase: 'Pending' })) : undefined;
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
  if (phase !== 'Running' || run.scenario === 'stuck') return undefined;
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
    let conditions = setCondition(status.conditions, condition('InProgress', 'False', 'Error', message));
    conditions = setCondition(conditions, condition('Failed', 'True', 'Error', message));
    const retried = retry ? { retry: { ...retry, lastError: message } } : {};
    return {
      ...base,
      phase: 'Failed',
      finishedAt: now,
      reason: 'Error',
      message,
      conditions,
      ...retried,
      ...setSteps(failCurrent(steps, now)),
    };
  }
  // A run with steps finishes its current step and starts the next; the last one ends the run.
  if (steps && steps.some((s) => s.phase === 'Pending')) {
    return { ...base, stepStatuses: startNext(finishCurrent(steps, now), now) };
  }
  let conditions = setCondition(status.conditions, condition('InProgress', 'False', 'Completed', 'Simulated run finished'));
  conditions = setCondition(conditions, condition('Succeeded', 'True', 'Completed', 'Simulated run completed'));
  return { ...base, phase: 'Succeeded', finishedAt: now, conditions, ...setSteps(finishCurrent(steps, now)) };
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
