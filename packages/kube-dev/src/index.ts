export { startKubeDev } from './kube-dev.js';
export type { KubeDev, KubeDevOptions } from './kube-dev.js';
export { kubeconfigFor, writeKubeconfig, KUBECONFIG_NAMES } from './kubeconfig.js';
export type { KubeconfigOptions } from './kubeconfig.js';
export { ResourceDefinition, PROVIDER_RESOURCES, AGE_COLUMN, resourcesFromKinds, apiVersionOf, ResourceRegistry } from './resources.js';
export type { PrinterColumn } from './resources.js';
export { ObjectStore } from './store.js';
export type { StoreListener } from './store.js';
export type { StoreEvent, StoreEventType } from './event-log.js';
export type { KubeObject, ObjectMeta } from './types.js';
export { ApiError } from './api-error.js';
export type { Status, StatusReason } from './api-error.js';
export {
  failChildStart,
  nextRunStatus,
  recordChild,
  scenarioOf,
  setCondition,
  stepsAwaitingChild,
  DEFAULT_MAX_ATTEMPTS,
  SCENARIO_ANNOTATION,
  SimScenario,
  TERMINAL_PHASES,
} from './run-lifecycle.js';
export { providerStatusFor } from './provider-lifecycle.js';
export { SYNTHETIC_STEPS } from './provider-sync.js';
export type { Condition, PlannedStep, RetryStatus, RunSnapshot, RunStatus, StepStatus } from './run-lifecycle.js';
export {
  AGENT_RUN,
  CHILD_RUN_STEP_KINDS,
  childRefOf,
  childRunFor,
  childRunName,
  controllerOf,
  isChildRunStep,
  isControlledBy,
  labelValueOf,
  stepPhaseOfChild,
} from './child-runs.js';
export type { ChildRunBody, ChildRunState, OwnerReference, StepDefinition, StepResourceRef } from './child-runs.js';
export { Simulator, SIMULATED_KINDS } from './simulator.js';
