import { Command, Option } from 'commander';
import type { AuditEventView, ChainVerification } from '@jangar/contracts';
import { contextOf, listScope, type Context, type Runtime } from '../context.js';
import { EXIT, ReportedFailure, UsageError } from '../errors.js';
import { printTable, printValue } from '../output/print.js';
import { safeText } from '../output/text.js';
import { allNamespacesOption, positiveInt } from './options.js';

interface AuditOptions {
  namespace?: string;
  allNamespaces?: boolean;
  actor?: string;
  action?: string;
  resource?: string;
  since?: string;
  until?: string;
  limit: number;
  output: 'table' | 'wide' | 'json' | 'yaml';
}

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `--since`/`--until` as the API takes them (RFC 3339): a time as given, or a duration back from `now` (`30s`, `15m`, `2h`, `7d`). */
export function timeArg(value: string, flag: string, now: number = Date.now()): string {
  const rel = /^(\d+)([smhdw])$/.exec(value.trim());
  if (rel) return new Date(now - Number(rel[1]) * UNITS[rel[2]!]!).toISOString();
  if (/^\d{4}-\d{2}-\d{2}T/.test(value) && !Number.isNaN(Date.parse(value))) return value;
  throw new UsageError(
    `${flag} takes an RFC 3339 time (2026-11-25T10:00:00Z) or a duration back from now (30s, 15m, 2h, 7d), not "${value}"`,
  );
}

/** `Kind/namespace/name` of an event's resource. */
const resourceOf = (e: AuditEventView) => [e.resource.kind, e.resource.namespace, e.resource.name].filter(Boolean).join('/');

function printEvents(ctx: Context, events: AuditEventView[], wide: boolean): void {
  const header = ['SEQ', 'TIME', 'ACTOR', 'ACTION', 'RESOURCE', 'OUTCOME', ...(wide ? ['DECISION', 'DELIVERY ID', 'CORRELATION ID'] : [])];
  printTable(ctx.io, {
    header,
    rows: events.map((e) => ({
      key: e.id,
      cells: [
        String(e.seq),
        e.occurredAt,
        e.actor,
        e.action,
        resourceOf(e),
        e.outcome,
        ...(wide ? [e.decision ?? '', e.deliveryId, e.correlationId] : []),
      ],
    })),
    phaseColumn: undefined,
    ageColumn: -1,
  });
}

async function listEvents(ctx: Context, opts: AuditOptions): Promise<void> {
  const events = await ctx.client.list<AuditEventView>(
    '/v1/audit',
    {
      namespace: listScope(opts, ctx.settings).namespace,
      actor: opts.actor,
      action: opts.action,
      resource: opts.resource,
      since: opts.since === undefined ? undefined : timeArg(opts.since, '--since'),
      until: opts.until === undefined ? undefined : timeArg(opts.until, '--until'),
    },
    opts.limit,
  );
  if (opts.output === 'json' || opts.output === 'yaml') return printValue(ctx.io, opts.output, { items: events });
  if (events.length === 0) return ctx.io.err('No audit events found.');
  printEvents(ctx, events, opts.output === 'wide');
}

/**
 * Walks the whole chain through `page` (one `GET /v1/audit/verify`), following `continue` until the
 * chain ends or breaks; `onPage` sees each page and the events checked so far. Answers the walk as
 * one verification, `checked` counting every page.
 */
export async function verifyWholeChain(
  page: (token: string | undefined) => Promise<ChainVerification>,
  onPage: (page: ChainVerification, checked: number) => void = () => undefined,
): Promise<ChainVerification> {
  let checked = 0;
  let token: string | undefined;
  for (;;) {
    const { continue: next, ...result } = await page(token);
    checked += result.checked;
    onPage({ ...result, ...(next === undefined ? {} : { continue: next }) }, checked);
    if (!result.intact || next === undefined) return { ...result, checked };
    // A server that hands back a token without walking further would loop here for ever.
    if (result.checked === 0)
      throw new Error(`the server made no progress verifying the audit chain (at event ${result.verifiedThrough ?? '?'})`);
    token = next;
  }
}

async function verify(ctx: Context, output: string | undefined): Promise<void> {
  const result = await verifyWholeChain(
    (token) => ctx.client.get<ChainVerification>('/v1/audit/verify', token === undefined ? undefined : { continue: token }),
    // Progress for long chains, on stderr so stdout stays the answer.
    (page, checked) => {
      if (page.continue !== undefined)
        ctx.io.err(`verified through event ${page.verifiedThrough ?? '?'}: ${checked} events checked so far`);
    },
  );
  if (output === 'json' || output === 'yaml') printValue(ctx.io, output, result);
  else if (result.intact) ctx.io.out(`audit chain intact: ${result.checked} events checked`);
  if (!result.intact) {
    const b = result.firstBroken;
    ctx.io.err(
      safeText(
        `error: audit chain broken${b ? ` at event ${b.seq} (${b.id}): ${b.reason}: ${b.detail}` : ''} (${result.checked} events checked)`,
      ),
    );
    throw new ReportedFailure(EXIT.rejected);
  }
}

export function auditCommandOf(rt: Runtime): Command {
  const audit = new Command('audit')
    .description("list audit events in the token's namespaces, newest first; `audit verify` checks the hash chain")
    .option(
      '-n, --namespace <namespace>',
      "only this namespace (default: $JANGAR_NAMESPACE, else the config file's; without either, every namespace the token may read)",
    )
    .addOption(allNamespacesOption())
    .option('--actor <subject>', 'only events of this principal')
    .option('--action <action>', 'only this action (agentrun.create …)')
    .option('--resource <resource>', 'a kind (AgentRun), Kind/namespace/name, or a Jangar id')
    .option('--since <time>', 'from this time: RFC 3339, or a duration back from now (30s, 15m, 2h, 7d)')
    .option('--until <time>', 'before this time (same forms)')
    .option('--limit <n>', 'at most this many events', positiveInt, 100)
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'wide', 'json', 'yaml']).default('table'))
    .action(async (opts: AuditOptions, cmd: Command) => listEvents(await contextOf(cmd, rt), opts));
  audit
    .command('verify')
    .description('walk the whole hash chain, a page at a time, and name the first broken link (admin or auditor role); exit 1 when broken')
    .addHelpText('after', '\n-o json or -o yaml prints the verification of the whole walk. A line per page goes to stderr while it walks.')
    // `-o` is audit's own option (a parent's options are read wherever they stand).
    .action(async (_opts: unknown, cmd: Command) => verify(await contextOf(cmd, rt), cmd.optsWithGlobals<{ output?: string }>().output));
  return audit;
}
