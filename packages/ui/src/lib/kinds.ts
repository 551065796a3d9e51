/**
 * The kinds the UI lists, each by its REST route. Phases come from the kind's zod status schema in
 * the contracts, so the phase filter offers exactly what the API accepts.
 */
import { bindingOf, kindByRoute, phasesOf, type ResourceView } from '@jangar/contracts';

export interface UiKind {
  /** The path segment under /v1 and under the UI's routes. */
  route: string;
  kind: string;
  title: string;
  /** Runs have a live run page (GET /v1/runs/{id}). */
  isRun: boolean;
  phases: readonly string[];
}

function uiKind(route: string, title: string, isRun: boolean): UiKind {
  const def = kindByRoute(route);
  if (!def) throw new Error(`no kind is served at /v1/${route}`);
  return { route, kind: def.kind, title, isRun, phases: phasesOf(def) };
}

export const UI_KINDS: readonly UiKind[] = [
  uiKind('agents', 'Agents', false),
  uiKind('agent-runs', 'Agent runs', true),
  uiKind('memories', 'Memories', false),
  uiKind('orchestrations', 'Orchestrations', false),
  uiKind('orchestration-runs', 'Orchestration runs', true),
];

/** The UI kind served at `route`, if the UI lists it. */
export function uiKindByRoute(route: string | undefined): UiKind | undefined {
  return UI_KINDS.find((k) => k.route === route);
}

/** The phase a resource reports in `status.phase`, if any. */
export function phaseOf(view: ResourceView): string | undefined {
  const phase = (view.status as { phase?: unknown } | null | undefined)?.phase;
  return typeof phase === 'string' ? phase : undefined;
}

/** The provider a resource runs on: the provisioner's binding, else what its spec names. */
export function providerOf(view: ResourceView): string | undefined {
  const bound = bindingOf(view)?.provider;
  if (bound) return bound;
  const spec = (view.spec ?? {}) as { providerRef?: { name?: unknown }; runtime?: { type?: unknown } };
  if (typeof spec.providerRef?.name === 'string') return spec.providerRef.name;
  return typeof spec.runtime?.type === 'string' ? spec.runtime.type : undefined;
}
