import { Command } from 'commander';
import { canonicalJson, sha256 } from '../canonical.js';
import { seg } from '../client.js';
import { contextOf, type Runtime } from '../context.js';
import { ApiError, exitCodeOf, ReportedFailure } from '../errors.js';
import { formatProblem } from '../problem.js';

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
    .argument('<approval-id>', 'the approval request id')
    .option('--reason <text>', 'why, recorded with the decision')
    .action(async (id: string, opts: DecisionOptions, cmd: Command) => {
      const ctx = await contextOf(cmd, rt);
      try {
        await ctx.client.request('POST', `/v1/approvals/${seg(id)}/${verb}`, {
          body: { deliveryId: decisionDeliveryId(verb, id, opts.reason), ...(opts.reason ? { reason: opts.reason } : {}) },
        });
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        for (const line of formatProblem(err.problem)) ctx.io.err(line);
        // A server without approval routes answers 404 "no route …": say so rather than leave it at that.
        if (err.status === 404 && /^no route /.test(err.problem.detail ?? ''))
          ctx.io.err(`note: ${ctx.settings.server} does not serve approvals (POST /v1/approvals/{id}/${verb}) yet`);
        throw new ReportedFailure(exitCodeOf(err));
      }
      ctx.io.out(`approval "${id}" ${verb === 'approve' ? 'approved' : 'denied'}`);
    });
}

export const approveCommandOf = (rt: Runtime) =>
  decisionCommand(rt, 'approve', 'approve a pending approval request (POST /v1/approvals/{id}/approve)');
export const denyCommandOf = (rt: Runtime) => decisionCommand(rt, 'deny', 'deny a pending approval request (POST /v1/approvals/{id}/deny)');
