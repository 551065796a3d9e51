import { bindingOf, JANGAR_LABELS, PROVIDER_RUN_UID_LABEL, providerStateOf } from '@jangar/contracts';
import type { RunProviderStatus } from '@jangar/contracts';
import { isJsonObject } from './json.js';
import { providerStatusFor } from './provider-lifecycle.js';
import type { ResourceDefinition, ResourceRegistry } from './resources.js';
import type { RunStatus } from './run-lifecycle.js';
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

/** The step names of an OrchestrationRun: its Orchestration's `spec.steps`, else synthetic ones. */
export function stepNamesOf(store: ObjectStore, registry: ResourceRegistry, run: KubeObject): readonly string[] | undefined {
  if (run.kind !== 'OrchestrationRun') return undefined;
  const ref = isJsonObject(run.spec) && isJsonObject(run.spec.orchestrationRef) ? run.spec.orchestrationRef.name : undefined;
  const res = registry.all.find((r) => r.group === 'orchestration.proompteng.ai' && r.kind === 'Orchestration');
  const orchestration = typeof ref === 'string' && res ? store.get(res, run.metadata.namespace, ref) : undefined;
  const steps = isJsonObject(orchestration?.spec) ? orchestration.spec.steps : undefined;
  const names = Array.isArray(steps) ? steps.flatMap((s) => (isJsonObject(s) && typeof s.name === 'string' ? [s.name] : [])) : [];
  return names.length > 0 ? names : SYNTHETIC_STEPS;
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
