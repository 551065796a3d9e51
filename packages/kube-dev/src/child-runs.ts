import { createHash } from 'node:crypto';
import { JANGAR_ANNOTATIONS, JANGAR_LABELS, isJsonObject } from '@jangar/contracts';
import { SCENARIO_ANNOTATION } from './scenario.js';
import type { KubeObject } from './types.js';
import { isDnsSubdomain, isLabelValue } from './validation.js';

/**
 * The runs an OrchestrationRun starts for its steps, as the orchestration controller starts them.
 * Pure functions: what a child is called and looks like, and how its phase becomes its step's.
 */

/** The AgentRun kind, as children are created. */
export const AGENT_RUN = { apiVersion: 'agents.proompteng.ai/v1alpha1', kind: 'AgentRun' } as const;

/** Step kinds whose step runs as a child AgentRun; every other kind the simulator walks on its own. */
export const CHILD_RUN_STEP_KINDS: readonly string[] = ['AgentRun'];

/** True when a step of this kind runs as a child AgentRun. */
export function isChildRunStep(kind: string | undefined): boolean {
  return kind !== undefined && CHILD_RUN_STEP_KINDS.includes(kind);
}

/** One step of an Orchestration's `spec.steps`, as far as a child run needs it. */
export interface StepDefinition {
  name: string;
  kind: string;
  agentRef?: { name: string };
  with?: Record<string, unknown>;
}

/** `stepStatuses[].resourceRef`: the object that executes a step. */
export interface StepResourceRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  uid: string;
}

/** An owner reference, as metav1.OwnerReference. */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** A child AgentRun as it is submitted for creation. */
export type ChildRunBody = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences: OwnerReference[];
  };
  spec: Record<string, unknown>;
};

/** What the parent sees of a child: its phase and, when it failed, why. */
export interface ChildRunState {
  phase?: string;
  message?: string;
}

const digest = (text: string, length: number) => createHash('sha256').update(text).digest('hex').slice(0, length);

/**
 * The child AgentRun's name: `<run>-<step>` when that is a valid object name (DNS-1123 subdomain,
 * at most 253 characters), else that text lowercased, with every run of other characters turned
 * into `-`, cut short and suffixed with a digest of both names. Deterministic, so a restarted
 * runtime finds the child it already created instead of starting a second one.
 */
export function childRunName(runName: string, stepName: string): string {
  const plain = `${runName}-${stepName}`;
  if (isDnsSubdomain(plain)) return plain;
  const suffix = digest(`${runName}\u0000${stepName}`, 10);
  const base = plain
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 253 - suffix.length - 1)
    .replace(/^-+|-+$/g, '');
  return base ? `${base}-${suffix}` : suffix;
}

/** `value` when it is a valid label value, else a shortened form (at most 63 characters) ending in a digest of it. */
export function labelValueOf(value: string): string {
  if (isLabelValue(value)) return value;
  const suffix = digest(value, 10);
  const base = value
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .slice(0, 63 - suffix.length - 1)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  return base ? `${base}-${suffix}` : suffix;
}

function runtimeOf(value: unknown): Record<string, unknown> {
  if (typeof value === 'string' && value !== '') return { type: value };
  if (isJsonObject(value) && typeof value.type === 'string') {
    return { type: value.type, ...(isJsonObject(value.config) ? { config: value.config } : {}) };
  }
  return { type: 'job' };
}

function parametersOf(spec: unknown): Record<string, string> | undefined {
  const raw = isJsonObject(spec) && isJsonObject(spec.parameters) ? spec.parameters : {};
  // An AgentRun may not take a `prompt` parameter: its text is the implementation.
  const entries = Object.entries(raw)
    .filter(([key]) => key !== 'prompt')
    .map(([key, value]) => [key, typeof value === 'string' ? value : JSON.stringify(value)] as const);
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

/**
 * The AgentRun that executes `step` of `run`, ready to create: named by {@link childRunName}, in
 * the run's namespace, controlled by the run (ownerReference), labelled with the run's and the
 * step's names, and carrying the run's correlation id, traceparent and simulation scenario.
 *
 * Its spec: `agentRef` from the step; `runtime` from `with.runtime` (a type name, or
 * `{ type, config }`), else `{ type: 'job' }`; `implementation.inline.text` from `with.prompt`,
 * else a text naming the step; `parameters` the run's `spec.parameters`, as strings, without
 * `prompt`. A step without `agentRef` is an error (the Orchestration contract requires one).
 */
export function childRunFor(run: KubeObject, step: StepDefinition): ChildRunBody {
  if (!step.agentRef?.name) throw new Error(`step "${step.name}" has no agentRef`);
  const { name, namespace, uid } = run.metadata;
  const annotations: Record<string, string> = {};
  for (const key of [JANGAR_ANNOTATIONS.correlationId, JANGAR_ANNOTATIONS.traceparent, SCENARIO_ANNOTATION]) {
    const value = run.metadata.annotations?.[key];
    if (value) annotations[key] = value;
  }
  const prompt = step.with?.prompt;
  const text = typeof prompt === 'string' && prompt !== '' ? prompt : `Step "${step.name}" of OrchestrationRun ${namespace}/${name}`;
  const parameters = parametersOf(run.spec);
  return {
    ...AGENT_RUN,
    metadata: {
      name: childRunName(name, step.name),
      namespace,
      labels: { [JANGAR_LABELS.orchestrationRun]: labelValueOf(name), [JANGAR_LABELS.step]: labelValueOf(step.name) },
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      ownerReferences: [{ apiVersion: run.apiVersion, kind: run.kind, name, uid, controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      agentRef: { name: step.agentRef.name },
      runtime: runtimeOf(step.with?.runtime),
      implementation: { inline: { text } },
      ...(parameters ? { parameters } : {}),
    },
  };
}

/** The controller ownerReference of an object, if it has one. */
export function controllerOf(obj: Pick<KubeObject, 'metadata'>): OwnerReference | undefined {
  const refs = obj.metadata.ownerReferences;
  if (!Array.isArray(refs)) return undefined;
  const ref: unknown = refs.find((r) => isJsonObject(r) && r.controller === true);
  if (!isJsonObject(ref)) return undefined;
  const { apiVersion, kind, name, uid } = ref;
  return typeof apiVersion === 'string' && typeof kind === 'string' && typeof name === 'string' && typeof uid === 'string'
    ? { apiVersion, kind, name, uid }
    : undefined;
}

/** True when `run` is the controller of `child`. */
export function isControlledBy(child: Pick<KubeObject, 'metadata'>, run: Pick<KubeObject, 'metadata'>): boolean {
  return controllerOf(child)?.uid === run.metadata.uid;
}

/** The reference a step status keeps to its child. */
export function childRefOf(child: KubeObject): StepResourceRef {
  const { name, namespace, uid } = child.metadata;
  return { apiVersion: child.apiVersion, kind: child.kind, name, namespace, uid };
}

/**
 * The phase of a step that follows its child: Running until the child ends, then Succeeded or
 * Failed (a Cancelled child fails its step too). A child without a phase has not started yet, which
 * for its step is still Running: the step started when its child was created.
 */
export function stepPhaseOfChild(childPhase: string | undefined): 'Running' | 'Succeeded' | 'Failed' {
  if (childPhase === 'Succeeded') return 'Succeeded';
  if (childPhase === 'Failed' || childPhase === 'Cancelled') return 'Failed';
  return 'Running';
}
