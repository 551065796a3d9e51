import { Command } from 'commander';
import type { KindDefinition, NormalizedRun, ResourceView, Revision, RunHistoryEntry } from '@jangar/contracts';
import type { ApiClient } from '../client.js';
import { contextOf, objectNamespace, type Context, type NamespaceOptions, type Runtime } from '../context.js';
import { ApiError, UsageError } from '../errors.js';
import { kindsHelp, resolveKind } from '../kinds.js';
import { age, humanDuration } from '../output/age.js';
import { colorPhase } from '../output/color.js';
import { renderTable } from '../output/table.js';
import { safeLines, safeText } from '../output/text.js';
import { indent, toYaml } from '../output/yaml.js';
import { getResource, getRun, resourcePath, runIdOf, runPath, splitKindArg } from '../resources.js';
import { namespaceOption } from './options.js';

/** Width of the label column of `describe`. */
const LABEL_WIDTH = 16;

/**
 * A `Label:  value` line; a multi-line value continues aligned under the first. The value is the
 * server's, so its control characters are blanked; `style` (a colour) is applied after that.
 */
export function field(label: string, value: string | undefined, style: (firstLine: string) => string = (l) => l): string[] {
  if (value === undefined || value === '') return [`${`${label}:`.padEnd(LABEL_WIDTH)}<none>`];
  const [first = '', ...rest] = safeLines(value).split('\n');
  return [`${`${label}:`.padEnd(LABEL_WIDTH)}${style(first)}`, ...rest.map((l) => ' '.repeat(LABEL_WIDTH) + l)];
}

/** A time with its age: `2026-11-25T10:00:00Z (5m ago)`. */
const when = (t: string | undefined) => (t ? `${t} (${age(t)} ago)` : undefined);

/** `key=value` lines; a value's own line breaks would read as more entries, so they are blanked. */
const mapLines = (m: Record<string, string> | undefined) =>
  Object.entries(m ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => safeText(`${k}=${v}`))
    .join('\n');

/** A sub-table of `describe`, indented by two and fitted to the terminal. */
function subTable(ctx: Context, title: string, header: string[], rows: string[][]): string[] {
  if (rows.length === 0) return [`${title}:`.padEnd(LABEL_WIDTH) + '<none>'];
  const { lines } = renderTable(header, rows, ctx.io.columns !== undefined ? { maxWidth: ctx.io.columns - 2 } : {});
  return [`${title}:`, ...lines.map((l) => `  ${l}`)];
}

/** Reads something a describe shows besides the object; 404 (nothing recorded yet) is none. */
async function optional<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return undefined;
    throw err;
  }
}

function durationOf(run: NormalizedRun): string {
  if (!run.startedAt || !run.finishedAt) return '';
  const ms = Date.parse(run.finishedAt) - Date.parse(run.startedAt);
  return Number.isNaN(ms) || ms < 1000 ? '' : ` (took ${humanDuration(ms)})`;
}

/** The describe text of a normalized run and its recorded history. */
export function describeRunLines(ctx: Context, run: NormalizedRun, history: readonly RunHistoryEntry[] | undefined): string[] {
  const c = ctx.io.color;
  const provider = run.provider
    ? [
        run.provider.type,
        run.provider.resource
          ? `${run.provider.resource.apiVersion} ${run.provider.resource.kind} ${run.provider.resource.namespace}/${run.provider.resource.name}`
          : undefined,
        run.provider.phase ? `phase ${run.provider.phase}${run.provider.message ? `: ${run.provider.message}` : ''}` : undefined,
      ]
        .filter(Boolean)
        .join(', ')
    : undefined;
  const retry = run.retry
    ? [
        `attempt ${run.retry.attempt}${run.retry.maxAttempts ? ` of ${run.retry.maxAttempts}` : ''}`,
        run.retry.lastError ? `last error: ${run.retry.lastError}` : undefined,
        run.retry.nextRetryAt ? `next retry at ${run.retry.nextRetryAt}` : undefined,
      ]
        .filter(Boolean)
        .join('; ')
    : undefined;
  const error = run.error
    ? `${run.error.code}${run.error.reason ? ` (${run.error.reason})` : ''}${run.error.message ? `: ${run.error.message}` : ''}`
    : undefined;
  const steps = run.steps
    ? `${run.steps.done}/${run.steps.total} done${run.steps.current ? `, current: ${run.steps.current}` : ''}`
    : undefined;
  return [
    ...field('Name', run.name),
    ...field('Namespace', run.namespace),
    ...field('Type', run.type),
    ...field('ID', run.id),
    ...field('Phase', run.phase, (p) => colorPhase(c, p)),
    ...field('Provider', provider),
    ...field('Retry', retry),
    ...field('Error', error, c.red),
    ...field('Steps', steps),
    ...field('Parent', run.parent ? `${run.parent.type}/${run.parent.name}` : undefined),
    ...field('Labels', mapLines(run.labels)),
    ...field('Delivery ID', run.deliveryId),
    ...field('Correlation ID', run.correlationId),
    ...field('Created', when(run.createdAt)),
    ...field('Started', when(run.startedAt)),
    ...field('Finished', run.finishedAt ? `${when(run.finishedAt)}${durationOf(run)}` : undefined),
    ...subTable(
      ctx,
      'Conditions',
      ['TYPE', 'STATUS', 'REASON', 'MESSAGE', 'LAST TRANSITION'],
      run.conditions.map((k) => [k.type, k.status, k.reason ?? '', k.message ?? '', k.lastTransitionTime ?? '']),
    ),
    ...subTable(
      ctx,
      'History',
      ['OBSERVED', 'FROM', 'PHASE', 'REASON', 'MESSAGE'],
      (history ?? []).map((h) => [h.observedAt, h.previousPhase ?? '', h.phase, h.reason ?? '', h.message ?? '']),
    ),
  ];
}

/** The describe text of a resource: metadata, spec and status as YAML, and its spec revisions. */
export function describeResourceLines(
  ctx: Context,
  kind: KindDefinition,
  r: ResourceView,
  revisions: readonly Revision[] | undefined,
): string[] {
  const status = r.status && typeof r.status === 'object' && Object.keys(r.status).length > 0 ? r.status : undefined;
  return [
    ...field('Name', r.metadata.name),
    ...field('Namespace', r.metadata.namespace),
    ...field('Kind', `${r.kind} (${r.apiVersion})`),
    ...field('ID', r.id),
    ...field('UID', r.metadata.uid),
    ...field('Generation', r.metadata.generation === undefined ? undefined : String(r.metadata.generation)),
    ...field('Version', r.metadata.resourceVersion),
    ...field('Labels', mapLines(r.metadata.labels)),
    ...field('Annotations', mapLines(r.metadata.annotations)),
    ...field('Created', when(r.metadata.creationTimestamp)),
    ...(r.metadata.deletionTimestamp ? field('Deleting since', when(r.metadata.deletionTimestamp)) : []),
    // YAML escapes C0 controls in strings but not C1 ones (U+009B is CSI on some terminals).
    'Spec:',
    safeLines(indent(toYaml(r.spec ?? {}), 2)),
    ...(status ? ['Status:', safeLines(indent(toYaml(status), 2))] : field('Status', undefined)),
    ...subTable(
      ctx,
      'Revisions',
      ['GENERATION', 'ACTOR', 'DELIVERY ID', 'AGE'],
      (revisions ?? []).map((v) => [String(v.generation), v.actor, v.deliveryId, age(v.occurredAt)]),
    ),
    ...(kind.isRun ? ['', `Run status: jangar describe run ${r.id}`] : []),
  ];
}

async function describeRun(ctx: Context, idArg: string): Promise<void> {
  const id = runIdOf(idArg);
  const run = await getRun(ctx.client, id);
  // Every transition: the history is paged, oldest first.
  const history = await optional(() => ctx.client.list<RunHistoryEntry>(`${runPath(run.id)}/history`));
  for (const line of describeRunLines(ctx, run, history)) ctx.io.out(line);
}

async function describeResource(ctx: Context, client: ApiClient, kind: KindDefinition, namespace: string, name: string): Promise<void> {
  const r = await getResource(client, kind, namespace, name);
  // Every revision: the endpoint pages them, oldest first.
  const revisions = await optional(() => client.list<Revision>(`${resourcePath(kind, r.metadata.namespace, r.metadata.name)}/revisions`));
  for (const line of describeResourceLines(ctx, kind, r, revisions)) ctx.io.out(line);
}

export function describeCommandOf(rt: Runtime): Command {
  return new Command('describe')
    .description('show one run (normalized status, conditions, history) or one resource (metadata, spec, status, revisions)')
    .argument('<kind>', 'run (takes a run id), or any kind (agents, agent, agt, ar …), or kind/name')
    .argument('[names...]', 'run ids, or names (or Jangar ids) of the kind')
    .addOption(namespaceOption())
    .addHelpText(
      'after',
      `
Examples:
  jangar describe run 3f0c…-…
  jangar describe agent coder -n team-a

Kinds:
${kindsHelp()}`,
    )
    .action(async (kindArg: string, nameArgs: string[], opts: NamespaceOptions, cmd: Command) => {
      const ctx = await contextOf(cmd, rt);
      const { kind: kindName, names } = splitKindArg(kindArg, nameArgs);
      if (names.length === 0) throw new UsageError(`describe ${kindName} needs a name${kindName.startsWith('run') ? ' (a run id)' : ''}`);
      const target = resolveKind(kindName);
      for (const [i, name] of names.entries()) {
        if (i > 0) ctx.io.out('');
        if (target.type === 'runs') await describeRun(ctx, name);
        else await describeResource(ctx, ctx.client, target.kind, objectNamespace(opts, ctx.settings), name);
      }
    });
}
