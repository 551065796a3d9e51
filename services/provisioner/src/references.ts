import { Agent, Orchestration, type KindDefinition, type RequestPayload } from '@jangar/contracts';

/** A resource a request names and that must exist before it may be applied. */
export interface Reference {
  kind: KindDefinition;
  name: string;
  /** Where the request names it, for the 422 problem. */
  path: string;
}

interface RefView {
  agentRef?: { name?: string };
  orchestrationRef?: { name?: string };
  steps?: Array<{ agentRef?: { name?: string } }>;
}

/** Every reference of a create request that must resolve in the same namespace. */
export function referencesOf(request: RequestPayload): Reference[] {
  const spec = (request.spec ?? {}) as RefView;
  switch (request.kind) {
    case 'AgentRun':
      return spec.agentRef?.name ? [{ kind: Agent, name: spec.agentRef.name, path: 'spec.agentRef.name' }] : [];
    case 'OrchestrationRun':
      return spec.orchestrationRef?.name
        ? [{ kind: Orchestration, name: spec.orchestrationRef.name, path: 'spec.orchestrationRef.name' }]
        : [];
    case 'Orchestration':
      return (spec.steps ?? []).flatMap((step, i) =>
        step.agentRef?.name ? [{ kind: Agent, name: step.agentRef.name, path: `spec.steps[${i}].agentRef.name` }] : [],
      );
    default:
      return [];
  }
}
