import { z } from 'zod';
import { Condition, FreeForm, LocalRef, ResourceName } from '../meta.js';

export const RuntimeType = z.enum(['workflow', 'job', 'temporal', 'custom']);
export type RuntimeType = z.infer<typeof RuntimeType>;

export const RunPhase = z.enum(['Pending', 'Running', 'Succeeded', 'Failed', 'Cancelled']);
export type RunPhase = z.infer<typeof RunPhase>;

/** Phases after which a run never changes again. */
export const TERMINAL_PHASES: readonly RunPhase[] = ['Succeeded', 'Failed', 'Cancelled'];

const INLINE_TEXT_LIMIT = 128 * 1024;

const ImplementationSource = z.strictObject({
  provider: z.enum(['github', 'linear', 'manual', 'custom']),
  externalId: z.string().optional(),
  url: z.string().optional(),
});

const Contract = z.strictObject({
  requiredKeys: z.array(z.string()).optional(),
  mappings: z.array(z.strictObject({ from: z.string(), to: z.string() })).optional(),
});

/** A task written out in full: AgentRun's `implementation.inline`, and the spec of an ImplementationSpec. */
export const InlineImplementation = z.strictObject({
  text: z.string().min(1).max(INLINE_TEXT_LIMIT, { message: 'must be at most 128 KiB' }),
  summary: z.string().optional(),
  description: z.string().optional(),
  acceptanceCriteria: z.array(z.string()).optional(),
  labels: z.array(z.string()).optional(),
  source: ImplementationSource.optional(),
  contract: Contract.optional(),
  vcsRef: LocalRef.optional(),
});

/** Which runtime adapter executes a run (`job`, `workflow`, `temporal`, `custom`) and its settings; shared by AgentRun and ToolRun. */
export const Runtime = z.strictObject({ type: RuntimeType, config: FreeForm.optional() });
export type Runtime = z.infer<typeof Runtime>;

const Parameters = z
  .record(z.string(), z.string())
  .refine((p) => Object.keys(p).length <= 100, { message: 'at most 100 parameters' })
  .refine((p) => !('prompt' in p), { message: 'the key "prompt" is not allowed; use the implementation text' });

const Volume = z.strictObject({
  name: z.string().min(1),
  mountPath: z.string().min(1),
  type: z.enum(['emptyDir', 'pvc', 'secret']),
  claimName: z.string().optional(),
  secretName: z.string().optional(),
  readOnly: z.boolean().optional(),
});

const Workload = z.strictObject({
  image: z.string().optional(),
  resources: FreeForm.optional(),
  volumes: z.array(Volume).optional(),
});

const WorkflowStep = z.strictObject({
  name: z.string().min(1),
  implementationSpecRef: LocalRef.optional(),
  implementation: z.strictObject({ inline: InlineImplementation }).optional(),
  parameters: z.record(z.string(), z.string()).optional(),
  workload: Workload.optional(),
  retries: z.number().int().min(0).optional(),
  retryBackoffSeconds: z.number().int().min(0).optional(),
  timeoutSeconds: z.number().int().min(1).optional(),
  loop: z.strictObject({ maxIterations: z.number().int().min(1), condition: z.string().optional() }).optional(),
});

export const AgentRunSpec = z
  .strictObject({
    agentRef: LocalRef,
    runtime: Runtime,
    implementationSpecRef: LocalRef.optional(),
    implementation: z.strictObject({ inline: InlineImplementation }).optional(),
    parameters: Parameters.optional(),
    secrets: z.array(ResourceName).optional(),
    serviceAccountName: ResourceName.optional(),
    memoryRef: LocalRef.optional(),
    vcsRef: LocalRef.optional(),
    vcsPolicy: z
      .strictObject({ required: z.boolean().optional(), mode: z.enum(['read-write', 'read-only', 'none']).optional() })
      .optional(),
    idempotencyKey: z.string().max(255).optional(),
    ttlSecondsAfterFinished: z.number().int().min(0).optional(),
    workload: Workload.optional(),
    workflow: z.strictObject({ steps: z.array(WorkflowStep).min(1) }).optional(),
    goal: z.strictObject({ objective: z.string().min(1), tokenBudget: z.number().int().min(1).optional() }).optional(),
  })
  .superRefine(
    (spec, ctx) => {
      // The CRD's CEL rules, enforced before anything reaches the cluster. They also run when other
      // fields failed (`when`), so one answer names every problem; hence the defensive reads.
      if (!spec.implementationSpecRef && !spec.implementation) {
        ctx.addIssue({
          code: 'custom',
          path: ['implementation'],
          message: 'set implementationSpecRef.name or implementation.inline',
        });
      }
      const runtime = (spec.runtime ?? {}) as Partial<typeof spec.runtime>;
      const config = (typeof runtime.config === 'object' && runtime.config !== null ? runtime.config : {}) as Record<string, unknown>;
      if (runtime.type === 'workflow' && !spec.workflow) {
        ctx.addIssue({ code: 'custom', path: ['workflow', 'steps'], message: 'runtime type "workflow" needs workflow.steps' });
      }
      if (runtime.type === 'temporal') {
        for (const key of ['workflowType', 'taskQueue']) {
          if (typeof config[key] !== 'string' || config[key] === '') {
            ctx.addIssue({ code: 'custom', path: ['runtime', 'config', key], message: `runtime type "temporal" needs config.${key}` });
          }
        }
      }
      if (runtime.type === 'custom' && (typeof config.endpoint !== 'string' || config.endpoint === '')) {
        ctx.addIssue({ code: 'custom', path: ['runtime', 'config', 'endpoint'], message: 'runtime type "custom" needs config.endpoint' });
      }
    },
    { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
  );
export type AgentRunSpec = z.infer<typeof AgentRunSpec>;

/**
 * `status.provider` of a run: the provider object's state as the runtime controller last saw it.
 * `phase` uses the run phases (Pending, Running, Succeeded, Failed); `message` is the provider's own.
 */
export const RunProviderStatus = z.object({ phase: z.string(), message: z.string().optional() });
export type RunProviderStatus = z.infer<typeof RunProviderStatus>;

/**
 * `status.retry` of a run: `attempt` is the attempt in progress (or the last one), counted from 1;
 * `lastError` and `nextRetryAt` describe the failure that caused it.
 */
export const RunRetryStatus = z.object({
  attempt: z.number().int().min(1),
  maxAttempts: z.number().int().min(1).optional(),
  lastError: z.string().optional(),
  nextRetryAt: z.string().optional(),
});
export type RunRetryStatus = z.infer<typeof RunRetryStatus>;

/** One step of a multi-step run, as `status.stepStatuses[]` and `status.workflow.steps[]` record it. */
const StepStatus = z.object({
  name: z.string(),
  phase: z.string().optional(),
  attempt: z.number().int().optional(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  jobRef: FreeForm.optional(),
});

export const AgentRunStatus = z.object({
  phase: RunPhase.optional(),
  conditions: z.array(Condition).optional(),
  observedGeneration: z.number().int().optional(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  updatedAt: z.string().optional(),
  runtimeRef: FreeForm.optional(),
  artifacts: z
    .array(z.object({ name: z.string(), key: z.string().optional(), path: z.string().optional(), url: z.string().optional() }))
    .optional(),
  workflow: z.object({ phase: z.string().optional(), steps: z.array(StepStatus).optional() }).optional(),
  stepStatuses: z.array(StepStatus).optional(),
  provider: RunProviderStatus.optional(),
  retry: RunRetryStatus.optional(),
  specHash: z.string().optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
});
export type AgentRunStatus = z.infer<typeof AgentRunStatus>;
