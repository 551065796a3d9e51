import { Command } from 'commander';
import { kindByName, type KindDefinition, type ResourceView } from '@jangar/contracts';
import { canonicalJson, sha256 } from '../canonical.js';
import { contextOf, objectNamespace, type Context, type Runtime } from '../context.js';
import { ApiError, EXIT, exitCodeOf, ReportedFailure, UsageError, type ExitCode } from '../errors.js';
import { kindRef, resolveKind } from '../kinds.js';
import { formatProblem } from '../problem.js';
import { findResource, getRun, isId, resourcePath, runIdOf, splitKindArg } from '../resources.js';

interface DeleteOptions {
  namespace?: string;
  ignoreNotFound?: boolean;
}

/**
 * The deliveryId of deleting one object: `delete-` and the sha256 of its kind, namespace, name and
 * uid. Running the same delete again while the object still exists (finalizers holding it, or a
 * first attempt that timed out) sends the same key, so the server answers what the first did and
 * nothing happens twice. An object created again under the same name has another uid, hence
 * another key: deleting it is a new request, as it should be. (A key of kind/namespace/name only
 * would replay the old answer and leave the new object alone; a random key would make every retry
 * a new request.)
 */
export function deleteDeliveryId(kind: KindDefinition, namespace: string, name: string, uid: string): string {
  return `delete-${sha256(canonicalJson({ kind: kind.kind, namespace, name, uid }))}`;
}

/** The object a delete argument names: a name in the namespace, a Jangar id, or (for `runs`) a run id. */
async function targetOf(
  ctx: Context,
  kindName: string,
  arg: string,
  namespace: string,
): Promise<{ kind: KindDefinition; object: ResourceView | undefined; label: string }> {
  const target = resolveKind(kindName);
  if (target.type === 'runs') {
    const id = runIdOf(arg);
    let run;
    try {
      run = await getRun(ctx.client, id);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return { kind: kindByName('AgentRun')!, object: undefined, label: `run "${id}"` };
      throw err;
    }
    const kind = kindByName(run.type)!;
    return { kind, object: await findResource(ctx.client, kind, run.namespace, run.name), label: `${kindRef(kind)} "${run.name}"` };
  }
  const kind = target.kind;
  return { kind, object: await findResource(ctx.client, kind, namespace, arg), label: `${kindRef(kind)} "${arg}"` };
}

async function deleteCommand(ctx: Context, kindArg: string, nameArgs: string[], opts: DeleteOptions): Promise<void> {
  const { kind: kindName, names } = splitKindArg(kindArg, nameArgs);
  if (names.length === 0) throw new UsageError(`delete ${kindName} needs at least one name`);
  resolveKind(kindName);
  const namespace = objectNamespace(opts, ctx.settings);
  let exit: ExitCode = EXIT.ok;
  for (const name of names) {
    const { kind, object, label } = await targetOf(ctx, kindName, name, namespace);
    if (!object) {
      if (opts.ignoreNotFound) continue;
      ctx.io.err(`error: ${label} not found${isId(name) ? '' : ` in namespace "${namespace}"`} (not_found)`);
      if (exit === EXIT.ok) exit = EXIT.notFound;
      continue;
    }
    const { namespace: ns, name: objectName, uid } = object.metadata;
    try {
      const answer = await ctx.client.request('DELETE', resourcePath(kind, ns, objectName), {
        headers: { 'idempotency-key': deleteDeliveryId(kind, ns, objectName, uid) },
      });
      const ref = `${kindRef(kind)} "${objectName}"`;
      ctx.io.out(answer.status === 202 ? `${ref} deletion started (finalizers hold it until its work is cleaned up)` : `${ref} deleted`);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (err.status === 404 && opts.ignoreNotFound) continue;
      for (const line of formatProblem(err.problem, `${kindRef(kind)}/${objectName}`)) ctx.io.err(line);
      if (exit === EXIT.ok) exit = exitCodeOf(err);
    }
  }
  if (exit !== EXIT.ok) throw new ReportedFailure(exit);
}

export function deleteCommandOf(rt: Runtime): Command {
  return new Command('delete')
    .description('delete resources by name (a running run is cancelled first)')
    .argument('<kind>', 'a kind (agents, agent, agt, ar …), kind/name, or runs (takes run ids)')
    .argument('[names...]', 'names, Jangar ids, or run ids')
    .option('-n, --namespace <namespace>', 'the namespace (default: $JANGAR_NAMESPACE, the config file\'s, else "jangar")')
    .option('--ignore-not-found', 'exit 0 when an object does not exist')
    .addHelpText(
      'after',
      `
Each delete reads the object first and sends the key "delete-" + sha256(kind, namespace, name, uid):
running the same command again (after a timeout, or while finalizers hold the object) is the same
request, answered as the first one was, and never deletes twice; an object created again under the
same name has a new uid and is deleted by a new request. A name that does not exist is exit 4
(0 with --ignore-not-found).`,
    )
    .action(async (kindArg: string, names: string[], opts: DeleteOptions, cmd: Command) =>
      deleteCommand(await contextOf(cmd, rt), kindArg, names, opts),
    );
}
