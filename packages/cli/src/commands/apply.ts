import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { Command, Option } from 'commander';
import { DEFAULT_NAMESPACE, type AcceptedView, type AwaitingApprovalView, type QueuedView, type ResourceView } from '@jangar/contracts';
import type { Answer } from '../client.js';
import { contextOf, type Context, type Runtime } from '../context.js';
import { ApiError, EXIT, exitCodeOf, ReportedFailure, UsageError, type ExitCode } from '../errors.js';
import { kindRef } from '../kinds.js';
import { createDeliveryId, isUnchanged, keyAt, parseManifests, updateDeliveryId, userEntries, type Manifest } from '../manifest.js';
import { printValue } from '../output/print.js';
import { safeText } from '../output/text.js';
import { formatProblem } from '../problem.js';
import { findResource, resourcePath } from '../resources.js';

interface ApplyOptions {
  filename: string[];
  namespace?: string;
  output?: 'name' | 'json' | 'yaml';
}

/** What applying one manifest did. */
export type ApplyResult = 'created' | 'configured' | 'unchanged' | 'accepted' | 'held' | 'queued';

type Answered = ResourceView | AcceptedView | AwaitingApprovalView | QueuedView;

/** A 202: still being applied, held until an approver decides, or waiting in its queue for a limit. */
const pending = (body: Answered): ApplyResult => {
  const status = 'status' in body ? body.status : undefined;
  return status === 'AwaitingApproval' ? 'held' : status === 'Queued' ? 'queued' : 'accepted';
};

/** A manifest with its namespace settled. */
type Placed = Manifest & { namespace: string };

/** How many times an update that lost a race (409 conflict) reads the object again and retries. */
const CONFLICT_RETRIES = 3;
/** How far an apply walks a key sequence past stored answers that no longer hold. */
const MAX_KEYS = 50;

/** Reads with `read`; a failure (EISDIR, EACCES, ENOENT …) is a usage error naming `name`: the file is what to fix, and nothing was sent. */
async function readOrRefuse<T>(name: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a directory, not a file' : ((err as Error).message ?? String(err));
    throw new UsageError(`cannot read ${name}: ${why}`);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function readSource(file: string): Promise<Array<{ text: string; name: string }>> {
  if (file === '-') return [{ text: await readOrRefuse('stdin', readStdin), name: 'stdin' }];
  const info = await readOrRefuse(file, () => stat(file));
  if (info.isDirectory()) {
    const names = (await readOrRefuse(file, () => readdir(file))).filter((n) => /\.(ya?ml|json)$/.test(n)).sort();
    const out: Array<{ text: string; name: string }> = [];
    for (const n of names) {
      const name = path.join(file, n);
      out.push({ text: await readOrRefuse(name, () => readFile(name, 'utf8')), name });
    }
    return out;
  }
  return [{ text: await readOrRefuse(file, () => readFile(file, 'utf8')), name: file }];
}

/** The namespace of a manifest: its own, else `-n`, else the configured one, else the API's default; a document and `-n` that disagree is a usage error. */
function place(m: Manifest, flag: string | undefined, configured: string | undefined): Placed {
  if (m.namespace && flag && m.namespace !== flag)
    throw new UsageError(`${m.source}: the document's namespace "${m.namespace}" does not match -n ${flag}`);
  return { ...m, namespace: m.namespace ?? flag ?? configured ?? DEFAULT_NAMESPACE };
}

const bodyMetadata = (m: Placed) => ({
  namespace: m.namespace,
  ...(m.name ? { name: m.name } : {}),
  labels: m.labels,
  ...(m.annotations ? { annotations: m.annotations } : {}),
});

type Outcome = { result: ApplyResult; object: Answered };

/** A write refused earlier and stored under its key: the refusal may no longer hold (the Agent exists now), so it is asked again. */
const isReplayedRefusal = (err: unknown) =>
  err instanceof ApiError && err.replayed && err.status >= 400 && err.status < 500 && err.problem.code !== 'request_in_progress';

/**
 * Sends a write under the key sequence of `base` (see `keyAt`): a stored answer that no longer
 * describes the present — a replayed refusal, or what `stale` rejects — moves on to the next key.
 */
async function sendWithFreshKey(
  base: string,
  send: (deliveryId: string) => Promise<Answer<Answered>>,
  present: (answer: Answer<Answered>) => Promise<Outcome | undefined>,
): Promise<Outcome> {
  for (let n = 0; n < MAX_KEYS; n++) {
    let answer: Answer<Answered>;
    try {
      answer = await send(keyAt(base, n));
    } catch (err) {
      if (isReplayedRefusal(err)) continue;
      throw err;
    }
    const outcome = await present(answer);
    if (outcome) return outcome;
  }
  throw new Error(`the server holds ${MAX_KEYS} earlier answers for this exact content; change it (a label will do) to apply it afresh`);
}

/** Creates the object. A replayed create whose object is gone (deleted since) is sent again under the next key. */
function create(ctx: Context, m: Placed): Promise<Outcome> {
  return sendWithFreshKey(
    createDeliveryId(m),
    (deliveryId) => ctx.client.request('POST', `/v1/${m.kind.route}`, { body: { deliveryId, metadata: bodyMetadata(m), spec: m.spec } }),
    async (answer) => {
      if (answer.status === 202) return { result: pending(answer.body), object: answer.body };
      const created = answer.body as ResourceView;
      if (answer.headers.get('idempotent-replayed') !== 'true') return { result: 'created', object: created };
      // The same content was applied before, and the server answered what it did then.
      const now = await findResource(ctx.client, m.kind, created.metadata.namespace, created.metadata.name);
      return now ? { result: 'unchanged', object: now } : undefined;
    },
  );
}

/** Replaces labels, annotations and spec of the object at `current`'s resourceVersion. */
function replace(ctx: Context, m: Placed & { name: string }, current: ResourceView): Promise<Outcome> {
  const rv = current.metadata.resourceVersion;
  return sendWithFreshKey(
    updateDeliveryId(m, rv),
    (deliveryId) =>
      ctx.client.request('PUT', resourcePath(m.kind, m.namespace, m.name), {
        body: {
          deliveryId,
          metadata: {
            resourceVersion: rv,
            labels: m.labels,
            // A document without annotations leaves the object's own alone.
            annotations: m.annotations ?? userEntries(current.metadata.annotations, 'annotations'),
          },
          spec: m.spec,
        },
      }),
    async (answer) => ({ result: answer.status === 202 ? pending(answer.body) : 'configured', object: answer.body }),
  );
}

/** Applies one manifest: create when absent, replace at its resourceVersion when different, nothing when equal. */
export async function applyOne(ctx: Context, m: Placed): Promise<Outcome> {
  if (!m.name) return create(ctx, m);
  const named = { ...m, name: m.name };
  for (let attempt = 0; ; attempt++) {
    const current = await findResource(ctx.client, m.kind, m.namespace, m.name);
    if (!current) return create(ctx, m);
    if (isUnchanged(m, current)) return { result: 'unchanged', object: current };
    try {
      return await replace(ctx, named, current);
    } catch (err) {
      // Someone changed it between our read and our write: read again and decide again, as kubectl apply does.
      if (err instanceof ApiError && err.status === 409 && err.problem.code === 'conflict' && attempt < CONFLICT_RETRIES) continue;
      throw err;
    }
  }
}

/** What apply prints for one object: `agent.agents.proompteng.ai/coder created`; one line, safe for a terminal. */
export function resultLine(m: Placed, result: ApplyResult, object: Answered): string {
  return safeText(resultText(m, result, object));
}

function resultText(m: Placed, result: ApplyResult, object: Answered): string {
  const name = 'metadata' in object ? object.metadata.name : (m.name ?? `(id ${object.id})`);
  const ref = `${kindRef(m.kind)}/${name}`;
  if (result === 'held' && 'approval' in object)
    return `${ref} held for approval ${object.approval.id} (${object.approval.approverRole} role: jangar approve ${object.approval.id})`;
  if (result === 'queued' && 'queue' in object) return `${ref} queued (${object.queue.reason}: ${object.queue.message})`;
  return result === 'accepted' ? `${ref} created (accepted; the server is still applying it)` : `${ref} ${result}`;
}

async function applyCommand(ctx: Context, opts: ApplyOptions): Promise<void> {
  if (opts.filename.length === 0) throw new UsageError('apply needs -f <file> (or -f - for stdin)');
  if (opts.filename.filter((f) => f === '-').length > 1) throw new UsageError('-f - (stdin) can be given once');
  // Every file is read and checked before anything is sent: a typo in the third document sends nothing.
  const manifests: Placed[] = [];
  for (const file of opts.filename) {
    for (const source of await readSource(file)) {
      for (const m of parseManifests(source.text, source.name)) manifests.push(place(m, opts.namespace, ctx.settings.namespace));
    }
  }
  if (manifests.length === 0) throw new UsageError('no objects to apply');

  let exit: ExitCode = EXIT.ok;
  const objects: unknown[] = [];
  for (const m of manifests) {
    try {
      const { result, object } = await applyOne(ctx, m);
      objects.push(object);
      if (opts.output === 'name')
        ctx.io.out(safeText(`${kindRef(m.kind)}/${'metadata' in object ? object.metadata.name : (m.name ?? object.id)}`));
      else if (!opts.output) ctx.io.out(resultLine(m, result, object));
    } catch (err) {
      // The server's refusal of one object does not stop the others; an unreachable server does.
      if (!(err instanceof ApiError)) throw err;
      const ref = `${kindRef(m.kind)}/${m.name ?? '(generated name)'}`;
      for (const line of formatProblem(err.problem, `${ref} (${m.source})`)) ctx.io.err(line);
      if (exit === EXIT.ok) exit = exitCodeOf(err);
    }
  }
  if (opts.output === 'json' || opts.output === 'yaml')
    printValue(ctx.io, opts.output, objects.length === 1 ? objects[0] : { items: objects });
  if (exit !== EXIT.ok) throw new ReportedFailure(exit);
}

export function applyCommandOf(rt: Runtime): Command {
  return new Command('apply')
    .description('create or update resources from YAML (or JSON) files: one or many documents with apiVersion, kind, metadata and spec')
    .requiredOption(
      '-f, --filename <file>',
      'a file, a directory of *.yaml/*.yml/*.json, or - for stdin (repeatable)',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option(
      '-n, --namespace <namespace>',
      'namespace of documents that name none (default: $JANGAR_NAMESPACE, the config file\'s, else "jangar")',
    )
    .addOption(new Option('-o, --output <format>', 'print the objects instead of what was done').choices(['name', 'json', 'yaml']))
    .addHelpText(
      'after',
      `
For each document in order: read the object; absent → create it; present → replace its labels,
annotations (when the document has any) and spec at the resourceVersion read, or nothing at all when
they already are as written. Prints kubectl's "<kind>.<group>/<name> created|configured|unchanged".

Every write carries a deliveryId derived from the content: "apply-" + sha256 of the canonical JSON of
kind, namespace, name, spec and labels (an update also digests the resourceVersion it replaces). So
re-running an apply that timed out, or applying the same file twice, never creates or changes an object
twice; a document without metadata.name gets its name from the server, derived from that key, so it
too is created once. When the server's stored answer for a key no longer holds (a refusal, say an
Agent that did not exist then; or an object deleted since), the next key of the sequence
(<key>.1, <key>.2 …) is sent. A refusal of one document is printed with its field paths and the
rest are still applied; exit 1 (4 for 404) then.`,
    )
    .action(async (opts: ApplyOptions, cmd: Command) => applyCommand(await contextOf(cmd, rt), opts));
}
