import { KINDS, phasesOf, type KindDefinition } from '@jangar/contracts';
import { UsageError } from './errors.js';

/** What a `<kind>` argument names: one registered kind, or the normalized runs of `/v1/runs`. */
export type KindTarget = { type: 'kind'; kind: KindDefinition } | { type: 'runs' };

export const RUNS_NAMES = ['runs', 'run'] as const;

/** Every name of a kind: plural, singular, short names, REST routes, the kind itself, and plural/singular qualified by group. */
export function namesOf(kind: KindDefinition): string[] {
  const bare = [kind.plural, kind.singular, ...kind.shortNames, kind.route, ...kind.routeAliases, kind.kind.toLowerCase()];
  return [...new Set([...bare, `${kind.plural}.${kind.group}`, `${kind.singular}.${kind.group}`])];
}

const byName = new Map<string, KindTarget>();
for (const kind of KINDS) for (const name of namesOf(kind)) byName.set(name, { type: 'kind', kind });
for (const name of RUNS_NAMES) byName.set(name, { type: 'runs' });

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** Resolves a kind as kubectl would (case-insensitive: `agents`, `agent`, `agt`, `agent-runs`, `ar`, `AgentRun`, `runs` …); unknown is a usage error. */
export function resolveKind(input: string): KindTarget {
  const found = byName.get(input.trim().toLowerCase());
  if (found) return found;
  const near = [...byName.keys()]
    .map((name) => ({ name, d: distance(input.toLowerCase(), name) }))
    .filter((c) => c.d <= (input.length >= 5 ? 2 : 1))
    .sort((x, y) => x.d - y.d)[0];
  throw new UsageError(
    `unknown resource type "${input}"${near ? `; did you mean "${near.name}"?` : ''} (see "jangar get --help" for the list)`,
  );
}

/** Resolves a kind that must be a registered kind (not `runs`). */
export function resolveResourceKind(input: string, verb: string): KindDefinition {
  const target = resolveKind(input);
  if (target.type === 'runs')
    throw new UsageError(`"${verb} runs" takes a kind of run: use agentruns (ar) or orchestrationruns (orun) with a name`);
  return target.kind;
}

/** The kind's qualified name as kubectl prints it: `agent.agents.proompteng.ai`. */
export function kindRef(kind: KindDefinition): string {
  return `${kind.singular}.${kind.group}`;
}

/** True when the kind's status has a phase (so tables get a PHASE column and `--phase` applies). */
export function hasPhase(kind: KindDefinition): boolean {
  return phasesOf(kind).length > 0;
}

/** The kind registered under `Kind` (as written in a manifest). */
export function kindOfManifest(kindName: string): KindDefinition | undefined {
  return KINDS.find((k) => k.kind === kindName);
}

/** One line per kind, for help texts: `agents (agent, agt, agent-runs)`. */
export function kindsHelp(): string {
  const lines = KINDS.map((k) => {
    const aliases = [...new Set([k.singular, ...k.shortNames, k.route, ...k.routeAliases])].filter((n) => n !== k.plural);
    return `  ${k.plural.padEnd(26)}${aliases.join(', ')}`;
  });
  return [...lines, `  ${'runs'.padEnd(26)}run (normalized AgentRuns and OrchestrationRuns, by id)`].join('\n');
}

/** Every name a `<kind>` argument accepts, for shell completion. */
export function completionKindNames(): string[] {
  return [...new Set([...KINDS.flatMap((k) => [k.plural, k.singular, ...k.shortNames, k.route, ...k.routeAliases]), ...RUNS_NAMES])];
}
