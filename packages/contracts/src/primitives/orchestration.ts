import { z } from 'zod';
import { Condition, FreeForm, LocalRef } from '../meta.js';

export const StepKind = z.enum(['AgentRun', 'ToolRun', 'ApprovalGate', 'SignalWait', 'SubOrchestration', 'Checkpoint', 'MemoryOp']);

const OrchestrationStep = z.strictObject({
  name: z.string().min(1).max(63),
  kind: StepKind,
  dependsOn: z.array(z.string()).optional(),
  with: FreeForm.optional(),
  agentRef: LocalRef.optional(),
  toolRef: LocalRef.optional(),
  orchestrationRef: LocalRef.optional(),
  policyRef: LocalRef.optional(),
  retries: z.number().int().min(0).optional(),
  timeoutSeconds: z.number().int().min(1).optional(),
});

/** Finds a dependency cycle among steps; returns the step names on it, or undefined. */
function findCycle(steps: ReadonlyArray<{ name: string; dependsOn?: string[] | undefined }>): string[] | undefined {
  const deps = new Map<string, string[]>();
  // A duplicated name keeps its first definition, as the duplicate is reported on its own.
  for (const s of steps) if (!deps.has(s.name)) deps.set(s.name, s.dependsOn ?? []);
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === 'done') return undefined;
    if (state.get(name) === 'visiting') return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, 'visiting');
    stack.push(name);
    for (const dep of deps.get(name) ?? []) {
      if (!deps.has(dep)) continue;
      const cycle = visit(dep);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const name of deps.keys()) {
    const cycle = visit(name);
    if (cycle) return cycle;
  }
  return undefined;
}

export const OrchestrationSpec = z
  .strictObject({
    steps: z.array(OrchestrationStep).min(1),
    entrypoint: z.string().optional(),
    policies: FreeForm.optional(),
  })
  .superRefine((spec, ctx) => {
    const seen = new Set<string>();
    spec.steps.forEach((step, i) => {
      if (seen.has(step.name)) ctx.addIssue({ code: 'custom', path: ['steps', i, 'name'], message: `duplicate step "${step.name}"` });
      seen.add(step.name);
    });
    spec.steps.forEach((step, i) => {
      (step.dependsOn ?? []).forEach((dep, j) => {
        if (!seen.has(dep)) ctx.addIssue({ code: 'custom', path: ['steps', i, 'dependsOn', j], message: `unknown step "${dep}"` });
      });
      if (step.kind === 'AgentRun' && !step.agentRef) {
        ctx.addIssue({ code: 'custom', path: ['steps', i, 'agentRef'], message: 'an AgentRun step needs agentRef' });
      }
    });
    const cycle = findCycle(spec.steps);
    if (cycle) ctx.addIssue({ code: 'custom', path: ['steps'], message: `dependency cycle: ${cycle.join(' -> ')}` });
    if (spec.entrypoint !== undefined && !seen.has(spec.entrypoint)) {
      ctx.addIssue({ code: 'custom', path: ['entrypoint'], message: `unknown step "${spec.entrypoint}"` });
    }
  });
// Step-graph checks need every step parsed, so unlike the AgentRun rules they run only on valid steps.
export type OrchestrationSpec = z.infer<typeof OrchestrationSpec>;

export const OrchestrationStatus = z.object({
  conditions: z.array(Condition).optional(),
  observedGeneration: z.number().int().optional(),
  updatedAt: z.string().optional(),
});
