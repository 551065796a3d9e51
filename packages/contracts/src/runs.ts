import { z } from 'zod';
import { Condition } from './meta.js';
import { RunPhase, RunProviderStatus, RunRetryStatus, TERMINAL_PHASES } from './primitives/agent-run.js';
import { JANGAR_ANNOTATIONS, JANGAR_LABELS } from './labels.js';
import type { KubeObject } from './rest.js';

export const RunType = z.enum(['AgentRun', 'OrchestrationRun']);
export type RunType = z.infer<typeof RunType>;

/** The run that started this one: an OrchestrationRun in the same namespace, for a run one of its steps started. */
export const RunParent = z.object({ type: RunType, name: z.string() });
export type RunParent = z.infer<typeof RunParent>;

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
  /** The correlation id of the request that created the run, or of the run that started it. */
  correlationId: z.string().optional(),
  parent: RunParent.optional(),
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

/** True for Succeeded, Failed and Cancelled; a phase read from an unchecked status may be anything, or nothing. */
export function isTerminalPhase(phase: string | undefined): boolean {
  return (TERMINAL_PHASES as readonly (string | undefined)[]).includes(phase);
}

/** A run's conditions with `InProgress` turned False: cancelled by its deletion, `by` whom, at `at`. */
function cancelledConditions(conditions: readonly Condition[], by: string, at: string, generation: number | undefined): Condition[] {
  const cancelled: Condition = {
    type: 'InProgress',
    status: 'False',
    reason: 'Cancelled',
    message: `cancelled by ${by}: the run was deleted`,
    lastTransitionTime: at,
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
  };
  return [...conditions.filter((c) => c.type !== 'InProgress'), cancelled];
}

/** The status that records a run cancelled by its deletion, `by` whom: phase Cancelled, InProgress turned False. */
export function cancelledStatus(current: KubeObject, by: string, now: Date): Record<string, unknown> {
  const status = (current.status ?? {}) as { conditions?: Condition[] };
  const at = now.toISOString();
  const conditions = cancelledConditions(status.conditions ?? [], by, at, current.metadata.generation);
  return { phase: 'Cancelled', finishedAt: at, updatedAt: at, reason: 'Cancelled', message: conditions.at(-1)!.message, conditions };
}

/**
 * A normalized run ended as {@link cancelledStatus} ends its object, at the same version: for a run
 * whose deletion was never seen, only its absence from a later list (a watch that fell behind the
 * API server's history), so that its last stored state is all there is to end.
 */
export function cancelledByDeletion(run: NormalizedRun, by: string, now: Date): NormalizedRun {
  const at = now.toISOString();
  const { error: _error, ...rest } = run;
  const conditions = cancelledConditions(run.conditions, by, at, run.generation);
  return { ...rest, phase: 'Cancelled', conditions, finishedAt: at, updatedAt: at };
}

/**
 * The label a provider object (Job, Workflow) carries with the uid of the run it belongs to, so
 * a watcher of provider objects finds the run without parsing every binding.
 */
export const PROVIDER_RUN_UID_LABEL = 'jangar.proompteng.ai/run-uid';

/** The provider resource a binding names. */
export const ProviderResource = z.object({ apiVersion: z.string(), kind: z.string(), name: z.string(), namespace: z.string() });
export type ProviderResource = z.infer<typeof ProviderResource>;

/** The binding JSON the provisioner writes to the `binding` annotation, as readers need it. */
export const RunBinding = z.looseObject({ provider: z.string(), resource: ProviderResource.optional() });
export type RunBinding = z.infer<typeof RunBinding>;

/** The binding recorded on a run, or undefined when absent or unreadable. */
export function bindingOf(obj: Pick<KubeObject, 'metadata'>): RunBinding | undefined {
  const raw = obj.metadata.annotations?.[JANGAR_ANNOTATIONS.binding];
  if (!raw) return undefined;
  try {
    const parsed = RunBinding.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

const JobStatus = z
  .object({
    active: z.number().optional(),
    succeeded: z.number().optional(),
    failed: z.number().optional(),
    conditions: z.array(z.object({ type: z.string(), status: z.string(), message: z.string().optional() })).optional(),
  })
  .catch({});
const WorkflowStatus = z.object({ phase: z.string().optional(), message: z.string().optional() }).catch({});

/** The part of a Job's or Workflow's status that {@link providerStateOf} reads (an Argo Workflow's node map is not). */
export function providerStatusOf(obj: { kind: string; status?: unknown }): unknown {
  if (obj.kind === 'Job') return JobStatus.parse(obj.status ?? {});
  if (obj.kind === 'Workflow') return WorkflowStatus.parse(obj.status ?? {});
  return obj.status;
}

/** The state of a batch/v1 Job or an Argo Workflow in run phases; undefined for other kinds. */
export function providerStateOf(obj: { kind: string; status?: unknown }): RunProviderStatus | undefined {
  if (obj.kind === 'Job') {
    const status = JobStatus.parse(obj.status ?? {});
    const done = (type: string) => status.conditions?.find((c) => c.type === type && c.status === 'True');
    const failed = done('Failed');
    if (failed) return { phase: 'Failed', ...(failed.message ? { message: failed.message } : {}) };
    if (done('Complete')) return { phase: 'Succeeded' };
    return { phase: (status.active ?? 0) > 0 ? 'Running' : 'Pending' };
  }
  if (obj.kind === 'Workflow') {
    const status = WorkflowStatus.parse(obj.status ?? {});
    // Argo reports Error for infrastructure failures; for a run it is a failure all the same.
    const phase = status.phase === 'Error' ? 'Failed' : (status.phase ?? 'Pending');
    return { phase, ...(status.message ? { message: status.message } : {}) };
  }
  return undefined;
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
// Parsed apart so a malformed provider or retry record costs only itself, not the whole status.
const LooseExtras = z.object({
  provider: RunProviderStatus.optional().catch(undefined),
  retry: RunRetryStatus.optional().catch(undefined),
});

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const LooseRuntime = z.object({ runtime: z.object({ type: z.string() }).optional() }).catch({});

/**
 * Free text a controller wrote (a condition's message, a provider's), with any NUL replaced: the
 * API server stores one, but Postgres text and jsonb refuse it, and a run that can never be stored
 * would be retried for ever by every reader downstream (the status store, the audit history).
 */
function text<T extends string | undefined>(value: T): T {
  return (value?.includes('\u0000') ? value.replaceAll('\u0000', '\uFFFD') : value) as T;
}

/**
 * Normalizes an AgentRun or OrchestrationRun object into the shape every reader sees. `provider`
 * comes from the binding annotation (type, resource) and `status.provider` (phase, message);
 * `retry` from `status.retry`; `steps` from `status.stepStatuses` (or `status.workflow.steps`);
 * `correlationId` from the correlation-id annotation; `parent` from the orchestration-run label.
 */
export function normalizeRun(obj: KubeObject): NormalizedRun {
  const type = RunType.parse(obj.kind);
  const status = LooseStatus.parse(obj.status ?? {});
  const meta = obj.metadata;
  const labels = meta.labels ?? {};
  const phase = status.phase ?? 'Pending';
  const steps = status.stepStatuses ?? status.workflow?.steps;
  const current = steps?.find((s) => s.phase === 'Running')?.name;
  const runtimeType = LooseRuntime.parse(obj.spec ?? {}).runtime?.type;
  const extras = LooseExtras.parse(isRecord(obj.status) ? obj.status : {});
  const binding = bindingOf(obj);
  const providerType = binding?.provider ?? runtimeType ?? (type === 'OrchestrationRun' ? 'orchestration' : undefined);
  const conditions = (status.conditions ?? []).map((c) =>
    text(c.reason) === c.reason && text(c.message) === c.message
      ? c
      : {
          ...c,
          ...(c.reason === undefined ? {} : { reason: text(c.reason) }),
          ...(c.message === undefined ? {} : { message: text(c.message) }),
        },
  );
  const failed = phase === 'Failed' ? conditions.find((c) => c.type === 'Failed' || c.type === 'InvalidSpec') : undefined;
  const providerMessage = text(extras.provider?.message);
  const failedStep = phase === 'Failed' ? steps?.find((s) => s.phase === 'Failed')?.name : undefined;
  const correlationId = meta.annotations?.[JANGAR_ANNOTATIONS.correlationId];
  const parentName = labels[JANGAR_LABELS.orchestrationRun];
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
    ...(correlationId ? { correlationId } : {}),
    ...(parentName ? { parent: { type: 'OrchestrationRun' as const, name: parentName } } : {}),
    phase,
    conditions,
    provider: providerType
      ? {
          type: providerType,
          ...(binding?.resource ? { resource: binding.resource } : {}),
          ...(extras.provider ? { phase: extras.provider.phase } : {}),
          ...(providerMessage ? { message: providerMessage } : {}),
        }
      : undefined,
    retry: extras.retry,
    error:
      phase === 'Failed'
        ? {
            code: failed?.type === 'InvalidSpec' ? 'invalid_spec' : 'run_failed',
            reason: failed?.reason ?? text(status.reason) ?? (failedStep ? 'StepFailed' : undefined),
            message: failed?.message ?? text(status.message) ?? providerMessage ?? (failedStep ? `step "${failedStep}" failed` : undefined),
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

/**
 * How resourceVersion `a` orders against `b` (negative, zero or positive) when both are integers,
 * as the API server's are in practice; undefined otherwise, since Kubernetes calls them opaque.
 */
export function compareResourceVersions(a: string, b: string): number | undefined {
  if (!/^\d+$/.test(a) || !/^\d+$/.test(b)) return undefined;
  const [x, y] = [BigInt(a), BigInt(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The parts of a run whose change is a status change, worth a message: a change of its provider
 * alone (its Job or Workflow moved) is one, though the run keeps its resourceVersion.
 */
export function statusView(
  run: NormalizedRun,
): Pick<NormalizedRun, 'phase' | 'conditions' | 'provider' | 'retry' | 'error' | 'steps' | 'startedAt' | 'finishedAt'> {
  const { phase, conditions, provider, retry, error, steps, startedAt, finishedAt } = run;
  return { phase, conditions, provider, retry, error, steps, startedAt, finishedAt };
}

/** True when resourceVersion `a` is provably older than `b`; versions that do not compare never are. */
export function isOlderResourceVersion(a: string, b: string): boolean {
  return (compareResourceVersions(a, b) ?? 0) < 0;
}
