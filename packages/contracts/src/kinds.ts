import { z } from 'zod';
import { AgentSpec, AgentStatus } from './primitives/agent.js';
import { AgentRunSpec, AgentRunStatus } from './primitives/agent-run.js';
import { MemorySpec, MemoryStatus } from './primitives/memory.js';
import { OrchestrationSpec, OrchestrationStatus } from './primitives/orchestration.js';
import { OrchestrationRunSpec, OrchestrationRunStatus } from './primitives/orchestration-run.js';
import { AgentProviderSpec, AgentProviderStatus } from './primitives/agent-provider.js';
import { ImplementationSpecSpec, ImplementationSpecStatus } from './primitives/implementation-spec.js';
import { ImplementationSourceSpec, ImplementationSourceStatus } from './primitives/implementation-source.js';
import { VersionControlProviderSpec, VersionControlProviderStatus } from './primitives/version-control-provider.js';
import { ToolSpec, ToolStatus } from './primitives/tool.js';
import { ToolRunSpec, ToolRunStatus } from './primitives/tool-run.js';
import { SignalSpec, SignalStatus } from './primitives/signal.js';
import { SignalDeliverySpec, SignalDeliveryStatus } from './primitives/signal-delivery.js';
import { ApprovalPolicySpec, ApprovalPolicyStatus } from './primitives/approval-policy.js';
import { BudgetSpec, BudgetStatus } from './primitives/budget.js';
import { SecretBindingSpec, SecretBindingStatus } from './primitives/secret-binding.js';
import { GuardrailSpec, GuardrailStatus } from './primitives/guardrail.js';
import { ScheduleSpec, ScheduleStatus } from './primitives/schedule.js';
import { ArtifactSpec, ArtifactStatus } from './primitives/artifact.js';
import { WorkspaceSpec, WorkspaceStatus } from './primitives/workspace.js';
import type { PrinterColumn } from './crds.js';

/**
 * A primitive as Jangar serves it: its Kubernetes identity (group, version, plural), the REST
 * route it is created through, and the zod schemas of its spec and status.
 */
export interface KindDefinition<Spec extends z.ZodType = z.ZodType, Status extends z.ZodType = z.ZodType, Kind extends string = string> {
  readonly kind: Kind;
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
  /** The `/v1/<route>` path segment; `routeAliases` serve the same kind. */
  readonly route: string;
  readonly routeAliases: readonly string[];
  /** The subject token for this kind (`jangar.req.<token>.<verb>`). */
  readonly token: string;
  /** Runs are aggregated, normalized and served through `/v1/runs`. */
  readonly isRun: boolean;
  /**
   * Table columns `kubectl get` prints after Name, from the spec or status; the CRD adds Phase
   * (when the status has one) and Age after them.
   */
  readonly columns: readonly PrinterColumn[];
  readonly spec: Spec;
  readonly status: Status;
}

function defineKind<const Kind extends string, Spec extends z.ZodType, Status extends z.ZodType>(
  def: Omit<KindDefinition<Spec, Status, Kind>, 'token' | 'routeAliases' | 'isRun' | 'columns'> &
    Partial<Pick<KindDefinition, 'routeAliases' | 'isRun' | 'columns'>>,
): KindDefinition<Spec, Status, Kind> {
  return { routeAliases: [], isRun: false, columns: [], token: def.kind.toLowerCase(), ...def };
}

export const API_VERSION = 'v1alpha1';

export const Agent = defineKind({
  kind: 'Agent',
  group: 'agents.proompteng.ai',
  version: API_VERSION,
  plural: 'agents',
  singular: 'agent',
  shortNames: ['agt'],
  route: 'agents',
  spec: AgentSpec,
  status: AgentStatus,
});

export const AgentRun = defineKind({
  kind: 'AgentRun',
  group: 'agents.proompteng.ai',
  version: API_VERSION,
  plural: 'agentruns',
  singular: 'agentrun',
  shortNames: ['ar'],
  route: 'agent-runs',
  isRun: true,
  columns: [
    { name: 'Agent', type: 'string', jsonPath: '.spec.agentRef.name' },
    { name: 'Runtime', type: 'string', jsonPath: '.spec.runtime.type' },
  ],
  spec: AgentRunSpec,
  status: AgentRunStatus,
});

export const Memory = defineKind({
  kind: 'Memory',
  group: 'agents.proompteng.ai',
  version: API_VERSION,
  plural: 'memories',
  singular: 'memory',
  shortNames: ['mem'],
  route: 'memories',
  columns: [{ name: 'Type', type: 'string', jsonPath: '.spec.type' }],
  spec: MemorySpec,
  status: MemoryStatus,
});

export const Orchestration = defineKind({
  kind: 'Orchestration',
  group: 'orchestration.proompteng.ai',
  version: API_VERSION,
  plural: 'orchestrations',
  singular: 'orchestration',
  shortNames: ['orch'],
  route: 'orchestrations',
  spec: OrchestrationSpec,
  status: OrchestrationStatus,
});

export const OrchestrationRun = defineKind({
  kind: 'OrchestrationRun',
  group: 'orchestration.proompteng.ai',
  version: API_VERSION,
  plural: 'orchestrationruns',
  singular: 'orchestrationrun',
  shortNames: ['orun'],
  route: 'orchestration-executions',
  routeAliases: ['orchestration-runs'],
  isRun: true,
  spec: OrchestrationRunSpec,
  status: OrchestrationRunStatus,
});

/** The CLI adapter an Agent runs through (`providerRef`). */
export const AgentProvider = defineKind({
  kind: 'AgentProvider',
  group: 'agents.proompteng.ai',
  version: API_VERSION,
  plural: 'agentproviders',
  singular: 'agentprovider',
  shortNames: ['agp'],
  route: 'agent-providers',
  columns: [{ name: 'Binary', type: 'string', jsonPath: '.spec.binary' }],
  spec: AgentProviderSpec,
  status: AgentProviderStatus,
});

/** A stored task that runs name through `implementationSpecRef`. */
export const ImplementationSpec = defineKind({
  kind: 'ImplementationSpec',
  group: 'agents.proompteng.ai',
  version: API_VERSION,
  plural: 'implementationspecs',
  singular: 'implementationspec',
  shortNames: ['impl'],
  route: 'implementation-specs',
  columns: [{ name: 'Source', type: 'string', jsonPath: '.spec.source.provider' }],
  spec: ImplementationSpecSpec,
  status: ImplementationSpecStatus,
});

/** An issue tracker ImplementationSpecs are synced from. */
export const ImplementationSource = defineKind({
  kind: 'ImplementationSource',
  group: 'agents.proompteng.ai',
  version: API_VERSION,
  plural: 'implementationsources',
  singular: 'implementationsource',
  shortNames: ['isrc'],
  route: 'implementation-sources',
  columns: [{ name: 'Provider', type: 'string', jsonPath: '.spec.provider' }],
  spec: ImplementationSourceSpec,
  status: ImplementationSourceStatus,
});

/** The forge runs clone from and push to (`vcsRef`). */
export const VersionControlProvider = defineKind({
  kind: 'VersionControlProvider',
  group: 'agents.proompteng.ai',
  version: API_VERSION,
  plural: 'versioncontrolproviders',
  singular: 'versioncontrolprovider',
  shortNames: ['vcp'],
  route: 'version-control-providers',
  columns: [{ name: 'Provider', type: 'string', jsonPath: '.spec.provider' }],
  spec: VersionControlProviderSpec,
  status: VersionControlProviderStatus,
});

/** A container command that ToolRuns execute. */
export const Tool = defineKind({
  kind: 'Tool',
  group: 'tools.proompteng.ai',
  version: API_VERSION,
  plural: 'tools',
  singular: 'tool',
  shortNames: ['tl'],
  route: 'tools',
  columns: [{ name: 'Image', type: 'string', jsonPath: '.spec.image' }],
  spec: ToolSpec,
  status: ToolStatus,
});

/** One execution of a Tool. */
export const ToolRun = defineKind({
  kind: 'ToolRun',
  group: 'tools.proompteng.ai',
  version: API_VERSION,
  plural: 'toolruns',
  singular: 'toolrun',
  shortNames: ['trun'],
  route: 'tool-runs',
  columns: [{ name: 'Tool', type: 'string', jsonPath: '.spec.toolRef.name' }],
  spec: ToolRunSpec,
  status: ToolRunStatus,
});

/** A channel SignalWait steps wait on. */
export const Signal = defineKind({
  kind: 'Signal',
  group: 'signals.proompteng.ai',
  version: API_VERSION,
  plural: 'signals',
  singular: 'signal',
  shortNames: ['sig'],
  route: 'signals',
  columns: [{ name: 'Channel', type: 'string', jsonPath: '.spec.channel' }],
  spec: SignalSpec,
  status: SignalStatus,
});

/** One firing of a Signal. */
export const SignalDelivery = defineKind({
  kind: 'SignalDelivery',
  group: 'signals.proompteng.ai',
  version: API_VERSION,
  plural: 'signaldeliveries',
  singular: 'signaldelivery',
  shortNames: ['sigd'],
  route: 'signal-deliveries',
  columns: [{ name: 'Signal', type: 'string', jsonPath: '.spec.signalRef.name' }],
  spec: SignalDeliverySpec,
  status: SignalDeliveryStatus,
});

/** Approval rules checked by validatePolicies and ApprovalGate steps. */
export const ApprovalPolicy = defineKind({
  kind: 'ApprovalPolicy',
  group: 'approvals.proompteng.ai',
  version: API_VERSION,
  plural: 'approvalpolicies',
  singular: 'approvalpolicy',
  shortNames: ['apol'],
  route: 'approval-policies',
  columns: [{ name: 'Mode', type: 'string', jsonPath: '.spec.mode' }],
  spec: ApprovalPolicySpec,
  status: ApprovalPolicyStatus,
});

/** Resource, token and dollar limits checked by validatePolicies. */
export const Budget = defineKind({
  kind: 'Budget',
  group: 'budgets.proompteng.ai',
  version: API_VERSION,
  plural: 'budgets',
  singular: 'budget',
  shortNames: ['bgt'],
  route: 'budgets',
  columns: [
    { name: 'Tokens', type: 'string', jsonPath: '.spec.limits.tokens' },
    { name: 'Dollars', type: 'string', jsonPath: '.spec.limits.dollars' },
  ],
  spec: BudgetSpec,
  status: BudgetStatus,
});

/** Which subjects may use which Secrets. */
export const SecretBinding = defineKind({
  kind: 'SecretBinding',
  group: 'security.proompteng.ai',
  version: API_VERSION,
  plural: 'secretbindings',
  singular: 'secretbinding',
  shortNames: ['sb'],
  route: 'secret-bindings',
  spec: SecretBindingSpec,
  status: SecretBindingStatus,
});

/** A namespace's guardrails: allowed providers, runtimes, service accounts and images, and the mode. */
export const Guardrail = defineKind({
  kind: 'Guardrail',
  group: 'security.proompteng.ai',
  version: API_VERSION,
  plural: 'guardrails',
  singular: 'guardrail',
  shortNames: ['grd'],
  route: 'guardrails',
  columns: [{ name: 'Mode', type: 'string', jsonPath: '.spec.mode' }],
  spec: GuardrailSpec,
  status: GuardrailStatus,
});

/** A cron trigger, run through a CronJob. */
export const Schedule = defineKind({
  kind: 'Schedule',
  group: 'schedules.proompteng.ai',
  version: API_VERSION,
  plural: 'schedules',
  singular: 'schedule',
  shortNames: ['sched'],
  route: 'schedules',
  columns: [
    { name: 'Cron', type: 'string', jsonPath: '.spec.cron' },
    { name: 'Suspend', type: 'boolean', jsonPath: '.spec.suspend' },
  ],
  spec: ScheduleSpec,
  status: ScheduleStatus,
});

/** A stored run output. */
export const Artifact = defineKind({
  kind: 'Artifact',
  group: 'artifacts.proompteng.ai',
  version: API_VERSION,
  plural: 'artifacts',
  singular: 'artifact',
  shortNames: ['art'],
  route: 'artifacts',
  columns: [{ name: 'URI', type: 'string', jsonPath: '.status.uri' }],
  spec: ArtifactSpec,
  status: ArtifactStatus,
});

/** A PersistentVolumeClaim runs share. */
export const Workspace = defineKind({
  kind: 'Workspace',
  group: 'workspaces.proompteng.ai',
  version: API_VERSION,
  plural: 'workspaces',
  singular: 'workspace',
  shortNames: ['ws'],
  route: 'workspaces',
  columns: [{ name: 'Size', type: 'string', jsonPath: '.spec.size' }],
  spec: WorkspaceSpec,
  status: WorkspaceStatus,
});
/** Every kind Jangar serves, the five primitives first; a new kind is one `defineKind` added here. */
export const KINDS = [
  Agent,
  AgentRun,
  Memory,
  Orchestration,
  OrchestrationRun,
  AgentProvider,
  ImplementationSpec,
  ImplementationSource,
  VersionControlProvider,
  Tool,
  ToolRun,
  Signal,
  SignalDelivery,
  ApprovalPolicy,
  Budget,
  SecretBinding,
  Guardrail,
  Schedule,
  Artifact,
  Workspace,
] as const;
export type KindName = (typeof KINDS)[number]['kind'];
export type RunKindName = 'AgentRun' | 'OrchestrationRun';

const byKind = new Map<string, KindDefinition>(KINDS.map((k) => [k.kind, k]));
const byToken = new Map<string, KindDefinition>(KINDS.map((k) => [k.token, k]));
const byRoute = new Map<string, KindDefinition>(KINDS.flatMap((k) => [k.route, ...k.routeAliases].map((r) => [r, k] as const)));

/** Looks a kind up by its name (`AgentRun`). */
export function kindByName(kind: string): KindDefinition | undefined {
  return byKind.get(kind);
}
/** Looks a kind up by its subject token (`agentrun`). */
export function kindByToken(token: string): KindDefinition | undefined {
  return byToken.get(token);
}
/** Looks a kind up by its REST route segment (`agent-runs`). */
export function kindByRoute(route: string): KindDefinition | undefined {
  return byRoute.get(route);
}
/** `apiVersion` as written on a resource of this kind. */
export function apiVersionOf(kind: KindDefinition): string {
  return `${kind.group}/${kind.version}`;
}

/** The phases a kind's `status.phase` may take, read from its status schema; empty when it has none. */
export function phasesOf(kind: KindDefinition): readonly string[] {
  const shape = (kind.status as unknown as { shape?: Record<string, z.ZodType> }).shape;
  let phase: z.ZodType | undefined = shape?.phase;
  while (phase instanceof z.ZodOptional || phase instanceof z.ZodNullable || phase instanceof z.ZodDefault) {
    phase = phase.unwrap() as z.ZodType;
  }
  return phase instanceof z.ZodEnum ? (phase.options as string[]) : [];
}
