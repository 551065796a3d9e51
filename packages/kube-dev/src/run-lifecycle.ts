import { z } from 'zod';
import { kubeTimestamp } from './object-meta.js';

/** The annotation that picks how a simulated run ends. */
export const SCENARIO_ANNOTATION = 'jangar.proompteng.ai/sim-scenario';

/** How a simulated run ends: `stuck` stays Running forever. */
export const SimScenario = z.enum(['success', 'failure', 'stuck']);
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

/** What the step function needs to know about a run. */
export interface RunSnapshot {
  status: RunStatus | undefined;
  scenario: SimScenario;
  generation: number;
  now: Date;
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

  if (phase === undefined || phase === '') {
    const accepted = condition('Accepted', 'True', 'Submitted', 'Accepted by the kube-dev simulator');
    return { ...base, phase: 'Pending', conditions: setCondition(status.conditions, accepted) };
  }
  if (phase === 'Pending') {
    const inProgress = condition('InProgress', 'True', 'Running', 'Simulated run in progress');
    return { ...base, phase: 'Running', startedAt: now, conditions: setCondition(status.conditions, inProgress) };
  }
  if (phase !== 'Running' || run.scenario === 'stuck') return undefined;
  if (run.scenario === 'failure') {
    const message = 'Simulated failure (scenario "failure")';
    let conditions = setCondition(status.conditions, condition('InProgress', 'False', 'Error', message));
    conditions = setCondition(conditions, condition('Failed', 'True', 'Error', message));
    return { ...base, phase: 'Failed', finishedAt: now, reason: 'Error', message, conditions };
  }
  let conditions = setCondition(status.conditions, condition('InProgress', 'False', 'Completed', 'Simulated run finished'));
  conditions = setCondition(conditions, condition('Succeeded', 'True', 'Completed', 'Simulated run completed'));
  return { ...base, phase: 'Succeeded', finishedAt: now, conditions };
}
