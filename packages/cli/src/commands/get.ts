import { Command } from 'commander';
import { phasesOf, type KindDefinition, type NormalizedRun, type ResourceView } from '@jangar/contracts';
import type { Query } from '../client.js';
import { contextOf, listScope, objectNamespace, type Context, type Runtime } from '../context.js';
import { ApiError, ConnectionError, EXIT, ReportedFailure, UsageError } from '../errors.js';
import { followRun } from '../follow.js';
import { kindRef, kindsHelp, resolveKind, type KindTarget } from '../kinds.js';
import { resourceTable, runTable, type TableData } from '../output/columns.js';
import { printMoreRows, printTable, printValue, type OutputFormat } from '../output/print.js';
import { safeText } from '../output/text.js';
import { formatProblem } from '../problem.js';
import { getResource, getRun, runIdOf, splitKindArg } from '../resources.js';
import { sleep } from '../signals.js';
import { allNamespacesOption, namespaceOption, outputOption, positiveInt } from './options.js';

/** How often `get -w` reads a list again. */
export const WATCH_POLL_MS = 2_000;

interface GetOptions {
  namespace?: string;
  allNamespaces?: boolean;
  selector?: string;
  phase?: string;
  output: OutputFormat;
  watch?: boolean;
  limit?: number;
}

type Item = ResourceView | NormalizedRun;

/** How one target lists, reads, names and tabulates its items. */
interface Lister {
  path: string;
  one(ctx: Context, name: string, namespace: string): Promise<Item>;
  table(items: Item[], showNamespace: boolean, wide: boolean): TableData;
  nameOf(item: Item): string;
  keyOf(item: Item): string;
  /** The run id of an item, when it is a run (watched through its event stream). */
  runIdOf(item: Item): string | undefined;
}

function listerFor(target: KindTarget): Lister {
  if (target.type === 'runs') {
    return {
      path: '/v1/runs',
      one: (ctx, name) => getRun(ctx.client, runIdOf(name)),
      table: (items, showNamespace, wide) => runTable(items as NormalizedRun[], { showNamespace, wide }),
      nameOf: (item) => `run/${(item as NormalizedRun).id}`,
      keyOf: (item) => (item as NormalizedRun).id,
      runIdOf: (item) => (item as NormalizedRun).id,
    };
  }
  const kind: KindDefinition = target.kind;
  return {
    path: `/v1/${kind.route}`,
    one: (ctx, name, namespace) => getResource(ctx.client, kind, namespace, name),
    table: (items, showNamespace, wide) => resourceTable(kind, items as ResourceView[], { showNamespace, wide }),
    nameOf: (item) => `${kindRef(kind)}/${(item as ResourceView).metadata.name}`,
    keyOf: (item) => `${(item as ResourceView).metadata.namespace}/${(item as ResourceView).metadata.name}`,
    runIdOf: (item) => (kind.isRun ? (item as ResourceView).id : undefined),
  };
}

/** The items in the chosen format; `single` prints one object rather than a list. */
function printItems(ctx: Context, lister: Lister, items: Item[], format: OutputFormat, showNamespace: boolean, single: boolean): number[] {
  switch (format) {
    case 'json':
    case 'yaml':
      printValue(ctx.io, format, single && items.length === 1 ? items[0] : { items });
      return [];
    case 'name':
      for (const item of items) ctx.io.out(safeText(lister.nameOf(item)));
      return [];
    case 'table':
    case 'wide':
      return printTable(ctx.io, lister.table(items, showNamespace, format === 'wide'));
  }
}

/** A row's content without AGE, which changes by itself. */
function signatureOf(data: TableData, index: number): string {
  return JSON.stringify(data.rows[index]!.cells.filter((_, i) => i !== data.ageColumn));
}

/** `get -w` of a list: the table, then every row that is new or changed, read every 2 s until Ctrl-C. */
async function watchList(
  ctx: Context,
  lister: Lister,
  read: () => Promise<Item[]>,
  opts: GetOptions,
  showNamespace: boolean,
): Promise<never> {
  const wide = opts.output === 'wide';
  const seen = new Map<string, string>();
  let widths: number[] | undefined;
  let warned = false;
  let items = await read();
  for (;;) {
    const data = lister.table(items, showNamespace, wide);
    const changed: Item[] = [];
    items.forEach((item, i) => {
      const signature = opts.output === 'table' || opts.output === 'wide' ? signatureOf(data, i) : JSON.stringify(item);
      if (seen.get(lister.keyOf(item)) !== signature) changed.push(item);
      seen.set(lister.keyOf(item), signature);
    });
    if (changed.length > 0 || widths === undefined) {
      if (opts.output === 'table' || opts.output === 'wide') {
        const rows = lister.table(changed, showNamespace, wide);
        widths = widths === undefined ? printTable(ctx.io, rows) : printMoreRows(ctx.io, rows, widths);
      } else {
        for (const item of changed) {
          if (opts.output === 'yaml') ctx.io.out('---');
          printItems(ctx, lister, [item], opts.output, showNamespace, true);
        }
        widths = [];
      }
    }
    await sleep(WATCH_POLL_MS, ctx.signal);
    try {
      items = await read();
      warned = false;
    } catch (err) {
      // A gateway that is briefly away does not end a watch; anything the server refuses does.
      if (!(err instanceof ConnectionError) && !(err instanceof ApiError && err.status >= 500)) throw err;
      if (!warned) ctx.io.err(safeText(`warning: ${err.message}; still watching`));
      warned = true;
    }
  }
}

/** `get -w` of one run: a row per state its event stream sends, until it is terminal. */
async function watchRun(ctx: Context, id: string, opts: GetOptions, showNamespace: boolean): Promise<void> {
  const lister = listerFor({ type: 'runs' });
  let widths: number[] | undefined;
  await followRun(ctx, id, (run) => {
    if (opts.output === 'table' || opts.output === 'wide') {
      const data = lister.table([run], showNamespace, opts.output === 'wide');
      widths = widths === undefined ? printTable(ctx.io, data) : printMoreRows(ctx.io, data, widths);
    } else {
      if (opts.output === 'yaml') ctx.io.out('---');
      printItems(ctx, lister, [run], opts.output, showNamespace, true);
    }
  });
}

/** `get -w` of one object that is no run: its row again whenever it changes. */
async function watchOne(ctx: Context, lister: Lister, read: () => Promise<Item>, opts: GetOptions): Promise<never> {
  return watchList(ctx, lister, async () => [await read()], opts, false);
}

async function getCommand(ctx: Context, kindArg: string, nameArgs: string[], opts: GetOptions): Promise<void> {
  const { kind: kindName, names } = splitKindArg(kindArg, nameArgs);
  const target = resolveKind(kindName);
  const lister = listerFor(target);
  if (opts.phase !== undefined && target.type === 'kind' && phasesOf(target.kind).length === 0)
    throw new UsageError(`${target.kind.plural} have no phase: --phase does not apply`);

  if (names.length > 0) {
    if (opts.selector !== undefined || opts.phase !== undefined) throw new UsageError('names cannot be given together with -l or --phase');
    if (opts.allNamespaces) throw new UsageError('-A lists; to read objects by name give -n instead');
    if (opts.watch && names.length > 1) throw new UsageError('-w watches one object or a list, not several names');
    const namespace = objectNamespace(opts, ctx.settings);
    if (opts.watch) {
      const first = await lister.one(ctx, names[0]!, namespace);
      const runId = lister.runIdOf(first);
      if (runId) return watchRun(ctx, runId, opts, false);
      return watchOne(ctx, lister, () => lister.one(ctx, names[0]!, namespace), opts);
    }
    const found: Item[] = [];
    let failed: ApiError | undefined;
    for (const name of names) {
      try {
        found.push(await lister.one(ctx, name, namespace));
      } catch (err) {
        if (!(err instanceof ApiError && err.status === 404)) throw err;
        for (const line of formatProblem(err.problem)) ctx.io.err(line);
        failed ??= err;
      }
    }
    if (found.length > 0) printItems(ctx, lister, found, opts.output, false, names.length === 1);
    if (failed) throw new ReportedFailure(EXIT.notFound);
    return;
  }

  const { namespace, showNamespace } = listScope(opts, ctx.settings);
  const query: Query = { namespace, labelSelector: opts.selector, phase: opts.phase };
  const read = () => ctx.client.list<Item>(lister.path, query, opts.limit);
  if (opts.watch) return watchList(ctx, lister, read, opts, showNamespace);
  const items = await read();
  if (items.length === 0 && (opts.output === 'table' || opts.output === 'wide')) {
    ctx.io.err(namespace ? `No resources found in ${namespace} namespace.` : 'No resources found.');
    return;
  }
  printItems(ctx, lister, items, opts.output, showNamespace, false);
}

export function getCommandOf(rt: Runtime): Command {
  return new Command('get')
    .description('list resources of a kind, or show some by name (or by id); `runs` lists the normalized runs')
    .argument('<kind>', 'a kind: plural, singular, short name or route (agents, agent, agt, agent-runs, ar, runs …), or kind/name')
    .argument('[names...]', 'names (or Jangar ids; run ids for runs)')
    .addOption(namespaceOption())
    .addOption(allNamespacesOption())
    .option('-l, --selector <selector>', 'label selector (app=web,tier in (1,2),!canary)')
    .option('--phase <phases>', 'only these phases, a comma list (Running,Pending)')
    .addOption(outputOption())
    .option('-w, --watch', 'after printing, follow changes: a run through its event stream, a list every 2 s (until Ctrl-C)')
    .option('--limit <n>', 'at most this many items (pages are followed until then)', positiveInt)
    .addHelpText(
      'after',
      `
Without -n or -A a list covers $JANGAR_NAMESPACE or the config file's namespace, else every namespace
the token may read; a name is looked up there, else in "jangar".

Kinds:
${kindsHelp()}

Examples:
  jangar get agents -n team-a
  jangar get ar -A -l team=a --phase Running,Pending
  jangar get runs -l app=web -o wide
  jangar get agent coder -n team-a -o yaml
  jangar get runs 3f0c…-… -w`,
    )
    .action(async (kindArg: string, names: string[], opts: GetOptions, cmd: Command) =>
      getCommand(await contextOf(cmd, rt), kindArg, names, opts),
    );
}
