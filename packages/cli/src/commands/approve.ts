import { Command, Option } from 'commander';
import { ApprovalState, type Approval } from '@jangar/contracts';
import { canonicalJson, sha256 } from '../canonical.js';
import { seg } from '../client.js';
import { contextOf, listScope, type Context, type Runtime } from '../context.js';
import { ApiError, exitCodeOf, ReportedFailure } from '../errors.js';
import { age, timeUntil } from '../output/age.js';
import { printTable, printValue } from '../output/print.js';
import { safeText } from '../output/text.js';
import { formatProblem } from '../problem.js';
import { positiveInt } from './options.js';

interface DecisionOptions {
  reason?: string;
}

/** The deliveryId of a decision: the same decision on the same approval (with the same reason) is one request however often it is sent. */
export function decisionDeliveryId(verb: 'approve' | 'deny', id: string, reason: string | undefined): string {
  return `${verb}-${sha256(canonicalJson({ id, verb, reason: reason ?? null }))}`;
}

function decisionCommand(rt: Runtime, verb: 'approve' | 'deny', description: string): Command {
  return new Command(verb)
    .description(description)
    .argument('<approval-id>', 'the approval id (`jangar approvals` lists them)')
    .option('--reason <text>', 'why, recorded with the decision')
    .action(async (id: string, opts: DecisionOptions, cmd: Command) => {
      const ctx = await contextOf(cmd, rt);
      let decided: Approval;
      try {
        const answer = await ctx.client.request<Approval>('POST', `/v1/approvals/${seg(id)}/${verb}`, {
          body: { deliveryId: decisionDeliveryId(verb, id, opts.reason), ...(opts.reason ? { reason: opts.reason } : {}) },
        });
        decided = answer.body;
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        for (const line of formatProblem(err.problem)) ctx.io.err(line);
        throw new ReportedFailure(exitCodeOf(err));
      }
      const target = [decided.kind, decided.namespace, decided.name].filter(Boolean).join('/');
      ctx.io.out(
        safeText(
          `approval "${id}" ${verb === 'approve' ? 'approved' : 'denied'}: ${decided.verb} ${target} requested by ${decided.requestedBy}`,
        ),
      );
    });
}

export const approveCommandOf = (rt: Runtime) =>
  decisionCommand(rt, 'approve', 'approve a request held for approval (POST /v1/approvals/{id}/approve)');
export const denyCommandOf = (rt: Runtime) =>
  decisionCommand(rt, 'deny', 'deny a request held for approval (POST /v1/approvals/{id}/deny)');

interface ListOptions {
  namespace?: string;
  allNamespaces?: boolean;
  state?: string;
  all?: boolean;
  limit: number;
  output: 'table' | 'wide' | 'json' | 'yaml';
}

function printApprovals(ctx: Context, approvals: Approval[], wide: boolean): void {
  const header = ['ID', 'NAMESPACE', 'REQUEST', 'REQUESTED BY', 'STATE', 'EXPIRES', ...(wide ? ['DECIDED BY', 'WHY'] : []), 'AGE'];
  printTable(ctx.io, {
    header,
    rows: approvals.map((a) => ({
      key: a.id,
      cells: [
        a.id,
        a.namespace,
        `${a.verb} ${a.kind}/${a.name ?? ''}`,
        a.requestedBy,
        a.state,
        a.state === 'Pending' ? timeUntil(a.expiresAt) : '',
        ...(wide ? [a.decidedBy ?? '', a.gates.map((g) => g.reason).join('; ')] : []),
        age(a.createdAt),
      ],
    })),
    phaseColumn: 4,
    ageColumn: header.length - 1,
  });
}

/** `jangar approvals`: the approval queue (pending ones unless `--state` or `--all` says otherwise). */
export function approvalsCommandOf(rt: Runtime): Command {
  return (
    new Command('approvals')
      .description("list requests held for approval in the token's namespaces, newest first (pending ones by default)")
      .option(
        '-n, --namespace <namespace>',
        "only this namespace (default: $JANGAR_NAMESPACE, else the config file's; without either, every namespace the token may read)",
      )
      // -A is taken by --all (every state), as it was first.
      .option('--all-namespaces', 'every namespace the token may read, whatever $JANGAR_NAMESPACE or the config file say')
      .addOption(new Option('--state <state>', 'only approvals in this state').choices([...ApprovalState.options]))
      .option('-A, --all', 'approvals in every state')
      .option('--limit <n>', 'at most this many', positiveInt, 100)
      .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'wide', 'json', 'yaml']).default('table'))
      .action(async (opts: ListOptions, cmd: Command) => {
        const ctx = await contextOf(cmd, rt);
        const state = opts.state ?? (opts.all ? undefined : 'Pending');
        const { namespace } = listScope(opts, ctx.settings);
        const approvals = await ctx.client.list<Approval>('/v1/approvals', { namespace, state }, opts.limit);
        if (opts.output === 'json' || opts.output === 'yaml') return printValue(ctx.io, opts.output, { items: approvals });
        if (approvals.length === 0) return ctx.io.err(state ? `No ${state.toLowerCase()} approvals found.` : 'No approvals found.');
        printApprovals(ctx, approvals, opts.output === 'wide');
      })
  );
}
