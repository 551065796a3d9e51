import type { Logger } from 'pino';
import type { StoreEvent } from './event-log.js';
import { childRefOf, controllerOf } from './child-runs.js';
import { isJsonObject } from './json.js';
import { childrenOf, maxAttemptsOf, plannedStepsOf, startChildRun, syncProvider } from './provider-sync.js';
import type { ResourceDefinition, ResourceRegistry } from './resources.js';
import { failChildStart, nextRunStatus, recordChild, scenarioOf, stepsAwaitingChild } from './run-lifecycle.js';
import type { RunStatus, StepStatus } from './run-lifecycle.js';
import { objectKey } from './store.js';
import type { ObjectStore } from './store.js';
import type { KubeObject } from './types.js';

/** The run kinds the simulator drives, by group and kind. */
export const SIMULATED_KINDS = [
  { group: 'agents.proompteng.ai', kind: 'AgentRun' },
  { group: 'orchestration.proompteng.ai', kind: 'OrchestrationRun' },
] as const;

/** Options for {@link Simulator}. */
export interface SimulatorOptions {
  /** Delay between phases after the first (Pending is written at once). */
  stepMs: number;
  now?: () => Date;
  logger?: Logger;
}

function isSimulated(res: ResourceDefinition): boolean {
  return SIMULATED_KINDS.some((k) => k.group === res.group && k.kind === res.kind);
}

/**
 * Moves runs through their phases in-process, together with the provider object (Job, Workflow)
 * their binding names, as a runtime controller would, writing through
 * the status subresource so watchers see ordinary MODIFIED events.
 *
 * An OrchestrationRun step of kind AgentRun starts a child AgentRun (see `child-runs.ts`) when
 * the step starts; the child is simulated like any AgentRun, and every change of a child wakes its
 * OrchestrationRun, whose step then follows the child.
 */
export class Simulator {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private unsubscribe: (() => void) | undefined;
  private readonly now: () => Date;

  constructor(
    private readonly store: ObjectStore,
    private readonly registry: ResourceRegistry,
    private readonly options: SimulatorOptions,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  /** Subscribes to the store and resumes runs left mid-flight by a restart. */
  start(): void {
    this.unsubscribe = this.store.subscribe((event) => this.onEvent(event));
    for (const res of this.registry.all.filter(isSimulated)) {
      for (const [, obj] of this.store.scan(res)) this.consider(res, obj);
    }
  }

  /** Stops driving runs and cancels pending steps. */
  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private timerKey(res: ResourceDefinition, obj: KubeObject): string {
    return `${res.group}/${res.plural}/${objectKey(obj.metadata.namespace, obj.metadata.name)}`;
  }

  private onEvent(event: StoreEvent): void {
    if (!isSimulated(event.resource)) return;
    if (event.type === 'DELETED') this.cancel(this.timerKey(event.resource, event.object));
    else this.consider(event.resource, event.object);
    this.wakeParent(event.object);
  }

  /** A child run changed (or is gone): its OrchestrationRun may move now. */
  private wakeParent(child: KubeObject): void {
    const owner = controllerOf(child);
    if (owner?.kind !== 'OrchestrationRun') return;
    const res = this.registry.all.find((r) => r.kind === owner.kind && `${r.group}/${r.version}` === owner.apiVersion);
    const parent = res ? this.store.get(res, child.metadata.namespace, owner.name) : undefined;
    if (res && parent?.metadata.uid === owner.uid) this.consider(res, parent);
  }

  private cancel(key: string): void {
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
  }

  private statusOf(obj: KubeObject): RunStatus | undefined {
    return isJsonObject(obj.status) ? (obj.status as RunStatus) : undefined;
  }

  private advance(obj: KubeObject): RunStatus | undefined {
    const status = this.statusOf(obj);
    // Steps are read once, when the run is accepted; afterwards they live in status.stepStatuses.
    const steps = status?.phase ? undefined : plannedStepsOf(this.store, this.registry, obj);
    const stepStatuses =
      obj.kind === 'OrchestrationRun' && Array.isArray(status?.stepStatuses) ? (status.stepStatuses as StepStatus[]) : undefined;
    const children = stepStatuses ? childrenOf(this.store, this.registry, obj, stepStatuses) : undefined;
    const maxAttempts = maxAttemptsOf(obj);
    return nextRunStatus({
      status,
      scenario: scenarioOf(obj.metadata.annotations),
      generation: obj.metadata.generation,
      now: this.now(),
      ...(steps ? { steps } : {}),
      ...(children ? { children } : {}),
      ...(maxAttempts ? { maxAttempts } : {}),
    });
  }

  /**
   * Starts the child runs of the steps `status` starts and records them in their steps; a child
   * that cannot be started fails its step and the run. Children are created before the run's
   * status names them, so a watcher that sees the reference can read the child.
   */
  private startChildren(run: KubeObject, status: RunStatus): RunStatus {
    let next = status;
    for (const step of stepsAwaitingChild(status)) {
      try {
        next = recordChild(next, step.name, childRefOf(startChildRun(this.store, this.registry, run, step.name)));
      } catch (err) {
        const snapshot = { now: this.now(), generation: run.metadata.generation };
        return failChildStart(snapshot, next, step.name, err instanceof Error ? err.message : String(err));
      }
    }
    return next;
  }

  private consider(res: ResourceDefinition, obj: KubeObject): void {
    const key = this.timerKey(res, obj);
    if (obj.metadata.deletionTimestamp !== undefined) return this.cancel(key);
    if (this.timers.has(key) || this.advance(obj) === undefined) return;
    // A new run is accepted at once; later phases wait a step. Never write from inside a listener.
    const delay = this.statusOf(obj)?.phase ? this.options.stepMs : 0;
    const { namespace, name } = obj.metadata;
    const timer = setTimeout(() => this.step(res, key, namespace, name), delay);
    timer.unref();
    this.timers.set(key, timer);
  }

  private step(res: ResourceDefinition, key: string, namespace: string, name: string): void {
    this.timers.delete(key);
    const current = this.store.get(res, namespace, name);
    if (!current || current.metadata.deletionTimestamp !== undefined) return;
    const advanced = this.advance(current);
    if (!advanced) return;
    try {
      const status = current.kind === 'OrchestrationRun' ? this.startChildren(current, advanced) : advanced;
      // The provider object moves first, so a watcher that sees the run's new status can find
      // the provider object already there.
      const provider = syncProvider(this.store, this.registry, current, status);
      const next = { ...current, status: provider ? { ...status, provider } : status };
      this.store.update(res, namespace, name, next, 'status');
      this.options.logger?.debug({ kind: res.kind, namespace, name, phase: status.phase }, 'simulated run step');
    } catch (err) {
      this.options.logger?.error({ err, kind: res.kind, namespace, name }, 'simulated run step failed');
    }
  }
}
