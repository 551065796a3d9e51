import { bindingOf, JANGAR_LABELS, PROVIDER_RUN_UID_LABEL, providerStateOf } from '@jangar/contracts';
import type { RunProviderStatus } from '@jangar/contracts';
import { AGENT_RUN, childRunFor, isControlledBy } from './child-runs.js';
import type { ChildRunState, StepDefinition } from './child-runs.js';
import { isJsonObject } from './json.js';
import { providerStatusFor } from './provider-lifecycle.js';
import type { ResourceDefinition, ResourceRegistry } from './resources.js';
import type { PlannedStep, RunStatus, StepStatus } from './run-lifecycle.js';
import type { ObjectStore } from './store.js';
import type { KubeObject } from './types.js';

/** Steps an OrchestrationRun walks when its Orchestration is not in the store. */
export const SYNTHETIC_STEPS: readonly string[] = ['prepare', 'execute'];

function findResource(registry: ResourceRegistry, apiVersion: string, kind: string): ResourceDefinition | undefined {
  const slash = apiVersion.indexOf('/');
  const group = slash === -1 ? '' : apiVersion.slice(0, slash);
  const version = apiVersion.slice(slash + 1);
  return registry.all.find((r) => r.group === group && r.version === version && r.kind === kind);
}

function orchestrationStepsOf(store: ObjectStore, registry: ResourceRegistry, run: KubeObject): StepDefinition[] {
  const ref = isJsonObject(run.spec) && isJsonObject(run.spec.orchestrationRef) ? run.spec.orchestrationRef.name : undefined;
  const res = registry.all.find((r) => r.group === 'orchestration.proompteng.ai' && r.kind === 'Orchestration');
  const orchestration = typeof ref === 'string' && res ? store.get(res, run.metadata.namespace, ref) : undefined;
  const steps = isJsonObject(orchestration?.spec) ? orchestration.spec.steps : undefined;
  if (!Array.isArray(steps)) return [];
  return steps.flatMap((s): StepDefinition[] => {
    if (!isJsonObject(s) || typeof s.name !== 'string') return [];
    const agentRef = isJsonObject(s.agentRef) && typeof s.agentRef.name === 'string' ? { agentRef: { name: s.agentRef.name } } : {};
    const withMap = isJsonObject(s.with) ? { with: s.with } : {};
    return [{ name: s.name, kind: typeof s.kind === 'string' ? s.kind : '', ...agentRef, ...withMap }];
  });
}

/**
 * The steps of an OrchestrationRun (names and kinds): its Orchestration's `spec.steps`, else
 * synthetic ones, which have no kind.
 */
export function plannedStepsOf(store: ObjectStore, registry: ResourceRegistry, run: KubeObject): readonly PlannedStep[] | undefined {
  if (run.kind !== 'OrchestrationRun') return undefined;
  const steps = orchestrationStepsOf(store, registry, run).map((s) => (s.kind ? { name: s.name, kind: s.kind } : { name: s.name }));
  return steps.length > 0 ? steps : SYNTHETIC_STEPS.map((name) => ({ name }));
}

function agentRunResource(registry: ResourceRegistry): ResourceDefinition {
  const res = findResource(registry, AGENT_RUN.apiVersion, AGENT_RUN.kind);
  if (!res) throw new Error('AgentRun is not a served resource');
  return res;
}

/**
 * Starts the child AgentRun of step `stepName` of `run` (create-or-get: after a restart the child
 * created before it is found by its deterministic name). The step's definition is read from the
 * Orchestration now, when the step starts. Throws when the step is gone from the Orchestration,
 * the child cannot be created, or an AgentRun of that name belongs to someone else.
 */
export function startChildRun(store: ObjectStore, registry: ResourceRegistry, run: KubeObject, stepName: string): KubeObject {
  const step = orchestrationStepsOf(store, registry, run).find((s) => s.name === stepName);
  if (!step) throw new Error(`step "${stepName}" is no longer in the Orchestration`);
  const res = agentRunResource(registry);
  const body = childRunFor(run, step);
  const { namespace, name } = body.metadata;
  const existing = store.get(res, namespace, name);
  if (existing) {
    if (isControlledBy(existing, run)) return existing;
    throw new Error(`AgentRun ${namespace}/${name} already exists and belongs to another run`);
  }
  return store.create(res, namespace, body);
}

/** The children of `run`'s steps that exist now and belong to it, by step name (see {@link RunSnapshot.children}). */
export function childrenOf(
  store: ObjectStore,
  registry: ResourceRegistry,
  run: KubeObject,
  steps: readonly StepStatus[],
): Record<string, ChildRunState> {
  const res = findResource(registry, AGENT_RUN.apiVersion, AGENT_RUN.kind);
  const children: Record<string, ChildRunState> = {};
  if (!res) return children;
  for (const step of steps) {
    const ref = step.resourceRef;
    if (!ref) continue;
    const child = store.get(res, ref.namespace, ref.name);
    if (!child || child.metadata.uid !== ref.uid) continue;
    const status = isJsonObject(child.status) ? child.status : {};
    children[step.name] = {
      ...(typeof status.phase === 'string' ? { phase: status.phase } : {}),
      ...(typeof status.message === 'string' ? { message: status.message } : {}),
    };
  }
  return children;
}

/** `spec.runtime.config.maxAttempts` of a run, when it is a positive integer. */
export function maxAttemptsOf(run: KubeObject): number | undefined {
  const runtime = isJsonObject(run.spec) ? run.spec.runtime : undefined;
  const config = isJsonObject(runtime) ? runtime.config : undefined;
  const value = isJsonObject(config) ? config.maxAttempts : undefined;
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 ? value : undefined;
}

/**
 * Creates the provider object the run's binding names (if missing) and moves its status to match
 * `status`; returns the provider's state for the run's `status.provider`. An object of that name
 * that belongs to another run is left alone.
 */
export function syncProvider(
  store: ObjectStore,
  registry: ResourceRegistry,
  run: KubeObject,
  status: RunStatus,
): RunProviderStatus | undefined {
  const resource = bindingOf(run)?.resource;
  const res = resource ? findResource(registry, resource.apiVersion, resource.kind) : undefined;
  const desired = resource ? providerStatusFor(resource.kind, status) : undefined;
  if (!resource || !res || !desired) return undefined;
  let current = store.get(res, resource.namespace, resource.name);
  if (!current) {
    const labels: Record<string, string> = { [PROVIDER_RUN_UID_LABEL]: run.metadata.uid };
    const id = run.metadata.labels?.[JANGAR_LABELS.id];
    if (id) labels[JANGAR_LABELS.id] = id;
    const binding = bindingOf(run);
    current = store.create(res, resource.namespace, {
      apiVersion: resource.apiVersion,
      kind: resource.kind,
      metadata: { name: resource.name, labels },
      spec: specFor(resource.kind, isJsonObject(binding?.config) ? binding.config : {}),
    });
  }
  if (current.metadata.labels?.[PROVIDER_RUN_UID_LABEL] !== run.metadata.uid) return undefined;
  const updated = store.update(res, resource.namespace, resource.name, { ...current, status: desired }, 'status');
  return providerStateOf(updated);
}

function specFor(kind: string, config: Record<string, unknown>): Record<string, unknown> {
  if (kind !== 'Job') return { ...config };
  // Enough of a pod template that kubectl describes it like a real Job.
  const container = { name: 'agent', image: 'jangar/agent-runner:dev' };
  return { ...config, template: { spec: { restartPolicy: 'Never', containers: [container] } } };
}
