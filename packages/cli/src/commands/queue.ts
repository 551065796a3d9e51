import { Command, Option } from 'commander';
import { QueueState, type QueueEntryView } from '@jangar/contracts';
import { contextOf, listScope, type Context, type Runtime } from '../context.js';
import { age, timeUntil } from '../output/age.js';
import { printTable, printValue } from '../output/print.js';
import { allNamespacesOption, positiveInt } from './options.js';

interface QueueOptions {
  namespace?: string;
  allNamespaces?: boolean;
  state: QueueState;
  limit: number;
  output: 'table' | 'wide' | 'json' | 'yaml';
}

function printQueue(ctx: Context, entries: QueueEntryView[], wide: boolean): void {
  const header = ['#', 'NAMESPACE', 'RUN', 'AGENT', 'WAITING FOR', 'STATE', 'EXPIRES', ...(wide ? ['DELIVERY ID', 'WHY'] : []), 'AGE'];
  printTable(ctx.io, {
    header,
    rows: entries.map((e) => ({
      key: e.id,
      cells: [
        e.position === undefined ? '' : String(e.position),
        e.namespace,
        `${e.kind}/${e.name ?? ''}`,
        e.agent ?? '',
        e.reason,
        e.state,
        e.state === 'Queued' ? timeUntil(e.expiresAt) : '',
        ...(wide ? [e.deliveryId, e.message] : []),
        age(e.enqueuedAt),
      ],
    })),
    phaseColumn: 5,
    ageColumn: header.length - 1,
  });
}

/** `jangar queue`: the runs a concurrency or rate limit holds back, in the order they will be tried. */
export function queueCommandOf(rt: Runtime): Command {
  return new Command('queue')
    .description("list the runs waiting for a concurrency or rate limit in the token's namespaces, next first")
    .option(
      '-n, --namespace <namespace>',
      "only this namespace (default: $JANGAR_NAMESPACE, else the config file's; without either, every namespace the token may read)",
    )
    .addOption(allNamespacesOption())
    .addOption(new Option('--state <state>', 'entries in this state').choices([...QueueState.options]).default('Queued'))
    .option('--limit <n>', 'at most this many', positiveInt, 100)
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'wide', 'json', 'yaml']).default('table'))
    .action(async (opts: QueueOptions, cmd: Command) => {
      const ctx = await contextOf(cmd, rt);
      const { namespace } = listScope(opts, ctx.settings);
      const entries = await ctx.client.list<QueueEntryView>('/v1/queue', { namespace, state: opts.state }, opts.limit);
      if (opts.output === 'json' || opts.output === 'yaml') return printValue(ctx.io, opts.output, { items: entries });
      if (entries.length === 0) return ctx.io.err(`No ${opts.state.toLowerCase()} runs found.`);
      printQueue(ctx, entries, opts.output === 'wide');
    });
}
