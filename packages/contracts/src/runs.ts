import { z } from 'zod';
import { Condition } from './meta.js';
import { RunPhase, TERMINAL_PHASES } from './primitives/agent-run.js';
import { JANGAR_ANNOTATIONS, JANGAR_LABELS } from './labels.js';
import type { KubeObject } from './rest.js';

export const RunType = z.enum(['AgentRun', 'OrchestrationRun']);
export type RunType = z.infer<typeof RunType>;

/** The one normalized shape of a run, whatever its type or provider. */
export const NormalizedRun = z.object({
  id: z.string(),
  type: RunType,
  namespace: z.string(),
  name: z.string(),
  uid: z.string(),
  resourceVersion: z.string(),
  generation: z.number().int().optional(),
  labels: z.record(z.string(), z.string()),
  deliveryId: z.string().optional(),
  phase: RunPhase,
  conditions: z.array(Condition),
  provider: z
    .object({
      type: z.string(),
      resource: z.object({ apiVersion: z.string(), kind: z.string(), name: z.string(), namespace: z.string() }).optional(),
      phase: z.string().optional(),
      message: z.string().optional(),
    })
    .optional(),
  retry: z
    .object({
      attempt: z.number().int(),
      maxAttempts: z.number().int().optional(),
      lastError: z.string().optional(),
      nextRetryAt: z.string().optional(),
    })
    .optional(),
  error: z.object({ code: z.string(), reason: z.string().optional(), message: z.string().optional() }).optional(),
  steps: z.object({ done: z.number().int(), total: z.number().int(), current: z.string().optional() }).optional(),
  createdAt: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  updatedAt: z.string(),
});
export type NormalizedRun = z.infer<typeof NormalizedRun>;

/** True for Succeeded, Failed and Cancelled. */
export function isTerminalPhase(phase: RunPhase): boolean {
  return TERMINAL_PHASES.includes(phase);
}

const LooseStatus = z
  .object({
    phase: RunPhase.optional(),
    conditions: z.array(Condition).optional(),
    startedAt: z.string().optional(),
    finishedAt: z.string().optional(),
    updatedAt: z.string().optional(),
    reason: z.string().optional(),
    message: z.string().optional(),
    stepStatuses: z.array(z.object({ name: z.string(), phase: z.string().optional() })).optional(),
    workflow: z.object({ steps: z.array(z.object({ name: z.string(), phase: z.string().optional() })).optional() }).optional(),
  })
  .catch({});

const LooseRuntime = z.object({ runtime: z.object({ type: z.string() }).optional() }).catch({});

/** Normalizes an AgentRun or OrchestrationRun object into the shape every reader sees. */
export function normalizeRun(obj: KubeObject): NormalizedRun {
  const type = RunType.parse(obj.kind);
  const status = LooseStatus.parse(obj.status ?? {});
  const meta = obj.metadata;
  const labels = meta.labels ?? {};
  const phase = status.phase ?? 'Pending';
  const steps = status.stepStatuses ?? status.workflow?.steps;
  const current = steps?.find((s) => s.phase === 'Running')?.name;
  const runtimeType = LooseRuntime.parse(obj.spec ?? {}).runtime?.type;
  const failed = phase === 'Failed' ? (status.conditions ?? []).find((c) => c.type === 'Failed' || c.type === 'InvalidSpec') : undefined;
  return {
    id: labels[JANGAR_LABELS.id] ?? meta.uid,
    type,
    namespace: meta.namespace,
    name: meta.name,
    uid: meta.uid,
    resourceVersion: meta.resourceVersion,
    generation: meta.generation,
    labels,
    deliveryId: meta.annotations?.[JANGAR_ANNOTATIONS.deliveryId],
    phase,
    conditions: status.conditions ?? [],
    provider: runtimeType ? { type: runtimeType } : type === 'OrchestrationRun' ? { type: 'orchestration' } : undefined,
    error: failed
      ? {
          code: failed.type === 'InvalidSpec' ? 'invalid_spec' : 'run_failed',
          reason: failed.reason ?? status.reason,
          message: failed.message ?? status.message,
        }
      : undefined,
    steps:
      steps && steps.length > 0 ? { done: steps.filter((s) => s.phase === 'Succeeded').length, total: steps.length, current } : undefined,
    createdAt: meta.creationTimestamp,
    startedAt: status.startedAt,
    finishedAt: status.finishedAt,
    updatedAt: status.updatedAt ?? status.finishedAt ?? status.startedAt ?? meta.creationTimestamp,
  };
}
