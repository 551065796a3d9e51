import { Command } from 'commander';
import { kindByName, type Approval, type KindDefinition, type QueueEntryView, type ResourceView } from '@jangar/contracts';
import { canonicalJson, sha256 } from '../canonical.js';
import { contextOf, objectNamespace, type Context, type Runtime } from '../context.js';
import { ApiError, EXIT, exitCodeOf, ReportedFailure, UsageError, type ExitCode } from '../errors.js';
import { kindRef, resolveKind } from '../kinds.js';
import { formatProblem } from '../problem.js';
import { safeText } from '../output/text.js';
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

/** What a delete argument names: the object, or — for a run not created yet — where it would be. */
interface Target {
  kind: KindDefinition;
  object: ResourceView | undefined;
  label: string;
  /** The namespace and name of a run the argument named but that does not exist (it may wait in its queue or for approval). */
  missingRun?: { namespace: string; name: string };
}

/** The object a delete argument names: a name in the namespace, a Jangar id, or (for `runs`) a run id. */
async function targetOf(ctx: Context, kindName: string, arg: string, namespace: string): Promise<Target> {
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
    const object = await findResource(ctx.client, kind, run.namespace, run.name);
    const missingRun = object ? undefined : { namespace: run.namespace, name: run.name };
    return { kind, object, label: `${kindRef(kind)} "${run.name}"`, ...(missingRun ? { missingRun } : {}) };
  }
  const kind = target.kind;
  const object = await findResource(ctx.client, kind, namespace, arg);
  const missingRun = !object && kind.isRun && !isId(arg) ? { namespace, name: arg } : undefined;
  return { kind, object, label: `${kindRef(kind)} "${arg}"`, ...(missingRun ? { missingRun } : {}) };
}

/**
 * A run not created yet that a delete cancels: where it is, what stands in for its uid in the
 * delete's key (`queued:<entry id>`, `approval:<approval id>`), and what it was waiting for.
 */
interface WaitingRun {
  namespace: string;
  name: string;
  keyPart: string;
  waitingFor: 'in its queue' | 'for approval';
}

/** The run of this name that waits for a limit in its queue, or else for approval, if one does. */
async function waitingRun(ctx: Context, kind: KindDefinition, at: { namespace: string; name: string }): Promise<WaitingRun | undefined> {
  const queued = (await ctx.client.list<QueueEntryView>('/v1/queue', { namespace: at.namespace })).find(
    (e) => e.kind === kind.kind && e.name === at.name,
  );
  if (queued) return { namespace: queued.namespace, name: at.name, keyPart: `queued:${queued.id}`, waitingFor: 'in its queue' };
  const held = (await ctx.client.list<Approval>('/v1/approvals', { namespace: at.namespace, state: 'Pending' })).find(
    (a) => a.kind === kind.kind && a.verb === 'create' && a.name === at.name,
  );
  if (held) return { namespace: held.namespace, name: at.name, keyPart: `approval:${held.id}`, waitingFor: 'for approval' };
  return undefined;
}

/** Where a delete goes, and what its key takes besides kind, namespace and name: the object's uid, or a waiting run's stand-in. */
type DeleteTarget = Omit<WaitingRun, 'waitingFor'> & Partial<Pick<WaitingRun, 'waitingFor'>>;

/**
 * Sends the delete. A run still waiting in its queue or for approval has no uid: its key takes the
 * queue entry's or the approval's id instead, so running the command again is the same request,
 * and a later run of the same name is a new one.
 */
async function sendDelete(ctx: Context, kind: KindDefinition, { namespace, name, keyPart, waitingFor }: DeleteTarget): Promise<void> {
  const answer = await ctx.client.request<ResourceView>('DELETE', resourcePath(kind, namespace, name), {
    headers: { 'idempotency-key': deleteDeliveryId(kind, namespace, name, keyPart) },
  });
  const ref = safeText(`${kindRef(kind)} "${name}"`);
  const phase = (answer.body?.status as { phase?: string } | undefined)?.phase;
  if (answer.status === 202) ctx.io.out(`${ref} deletion started (finalizers hold it until its work is cleaned up)`);
  else if (phase === 'Cancelled' && answer.body?.metadata.uid === '')
    ctx.io.out(`${ref} cancelled (it was waiting ${waitingFor ?? 'to start'})`);
  else ctx.io.out(`${ref} deleted`);
}

async function deleteCommand(ctx: Context, kindArg: string, nameArgs: string[], opts: DeleteOptions): Promise<void> {
  const { kind: kindName, names } = splitKindArg(kindArg, nameArgs);
  if (names.length === 0) throw new UsageError(`delete ${kindName} needs at least one name`);
  resolveKind(kindName);
  const namespace = objectNamespace(opts, ctx.settings);
  let exit: ExitCode = EXIT.ok;
  for (const name of names) {
    const { kind, object, label, missingRun } = await targetOf(ctx, kindName, name, namespace);
    const waiting = !object && missingRun ? await waitingRun(ctx, kind, missingRun) : undefined;
    if (!object && !waiting) {
      if (opts.ignoreNotFound) continue;
      ctx.io.err(`error: ${label} not found${isId(name) ? '' : ` in namespace "${namespace}"`} (not_found)`);
      if (exit === EXIT.ok) exit = EXIT.notFound;
      continue;
    }
    const to: DeleteTarget = object
      ? { namespace: object.metadata.namespace, name: object.metadata.name, keyPart: object.metadata.uid }
      : waiting!;
    try {
      await sendDelete(ctx, kind, to);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (err.status === 404 && opts.ignoreNotFound) continue;
      for (const line of formatProblem(err.problem, `${kindRef(kind)}/${to.name}`)) ctx.io.err(line);
      if (exit === EXIT.ok) exit = exitCodeOf(err);
    }
  }
  if (exit !== EXIT.ok) throw new ReportedFailure(exit);
}

export function deleteCommandOf(rt: Runtime): Command {
  return new Command('delete')
    .description(
      'delete resources by name (a running run is cancelled first; one queued or held for approval is cancelled before it starts)',
    )
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
same name has a new uid and is deleted by a new request. A run still waiting in its queue or for
approval has no uid yet: its key takes the queue entry's or the approval's id, and the delete
cancels it there (an approval it cancels can no longer be approved). A name that does not exist is
exit 4 (0 with --ignore-not-found).`,
    )
    .action(async (kindArg: string, names: string[], opts: DeleteOptions, cmd: Command) =>
      deleteCommand(await contextOf(cmd, rt), kindArg, names, opts),
    );
}
