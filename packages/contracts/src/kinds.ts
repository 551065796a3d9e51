import type { z } from 'zod';
import { AgentSpec, AgentStatus } from './primitives/agent.js';
import { AgentRunSpec, AgentRunStatus } from './primitives/agent-run.js';
import { MemorySpec, MemoryStatus } from './primitives/memory.js';
import { OrchestrationSpec, OrchestrationStatus } from './primitives/orchestration.js';
import { OrchestrationRunSpec, OrchestrationRunStatus } from './primitives/orchestration-run.js';

/**
 * A primitive as Jangar serves it: its Kubernetes identity (group, version, plural), the REST
 * route it is created through, and the zod schemas of its spec and status.
 */
export interface KindDefinition<Spec extends z.ZodType = z.ZodType, Status extends z.ZodType = z.ZodType> {
  readonly kind: string;
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
  readonly spec: Spec;
  readonly status: Status;
}

function defineKind<Spec extends z.ZodType, Status extends z.ZodType>(
  def: Omit<KindDefinition<Spec, Status>, 'token' | 'routeAliases' | 'isRun'> & Partial<Pick<KindDefinition, 'routeAliases' | 'isRun'>>,
): KindDefinition<Spec, Status> {
  return { routeAliases: [], isRun: false, token: def.kind.toLowerCase(), ...def };
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

/** Every kind Jangar serves; a new kind is one `defineKind` added here. */
export const KINDS = [Agent, AgentRun, Memory, Orchestration, OrchestrationRun] as const;
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
