import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { compareResourceVersions, isTerminalPhase, NormalizedRun, RPCS, statusView, SUBJECTS, type RunHistory } from '@jangar/contracts';
import { canonicalJson, DomainError } from '@jangar/service-kit';
import { mayAccess } from '../auth.js';
import type { GatewayDeps } from '../deps.js';
import { parseQuery } from '../query.js';
import { openSse, type SseStream } from '../sse.js';
import { findRun } from './find-run.js';

/** How often an idle stream sends a comment, so proxies keep the connection open. */
export const HEARTBEAT_MS = 15_000;

/**
 * How often the stream of a run that does not exist yet reads it again. A queued or held run that
 * is refused, expires or is cancelled never becomes an object, so no status message says so; its
 * delivery does, and reading it costs one indexed select.
 */
export const UNCREATED_POLL_MS = 1_000;

const EventsQuery = z.strictObject({ lastEventId: z.string().min(1).optional() });

/** True when resourceVersion `rv` is later than `ref`; Kubernetes versions are integers in practice, else any other version counts as later. */
export function isLaterVersion(rv: string, ref: string | undefined): boolean {
  if (ref === undefined) return true;
  const order = compareResourceVersions(rv, ref);
  return order === undefined ? rv !== ref : order > 0;
}

/**
 * The run as it was at each recorded transition after `after`. The audit history keeps phase and
 * conditions per resourceVersion, so the rest of the run comes from its current state, minus the
 * fields that only a later phase sets.
 */
function replayAfter(history: RunHistory | undefined, current: NormalizedRun, after: string): NormalizedRun[] {
  if (!history) return [];
  return history.items.flatMap((entry) => {
    if (!isLaterVersion(entry.resourceVersion, after)) return [];
    const { finishedAt: _f, error: _e, startedAt, ...rest } = current;
    const parsed = NormalizedRun.safeParse({
      ...rest,
      ...(entry.phase === 'Pending' ? {} : { startedAt }),
      ...(isTerminalPhase(entry.phase) ? { finishedAt: current.finishedAt, error: current.error } : {}),
      phase: entry.phase,
      conditions: entry.conditions,
      resourceVersion: entry.resourceVersion,
      updatedAt: entry.observedAt,
    });
    return parsed.success ? [parsed.data] : [];
  });
}

/** The run's whole recorded history, every page of it; undefined when none is recorded. */
async function historyOf(deps: GatewayDeps, id: string): Promise<RunHistory | undefined> {
  try {
    const first = await deps.call(RPCS.runHistory, { id, limit: 500 });
    const items = [...first.items];
    for (let next = first.continue; next !== undefined;) {
      const page = await deps.call(RPCS.runHistory, { id, limit: 500, continue: next });
      items.push(...page.items);
      next = page.continue;
    }
    return { ...first, items };
  } catch (err) {
    if (err instanceof DomainError && err.code === 'not_found') return undefined;
    throw err;
  }
}

/** `GET /v1/runs/{id}/events`: every status change of a run as Server-Sent Events, until it is terminal; a change of its provider alone repeats the version's event id. */
export function registerRunEventsRoute(app: FastifyInstance, deps: GatewayDeps): void {
  const open = new Set<SseStream>();
  // Open streams would hold the server's close until their runs finish.
  app.addHook('preClose', async () => {
    for (const stream of open) stream.close();
  });

  app.get<{ Params: { id: string } }>('/v1/runs/:id/events', async (req, reply) => {
    const { id } = req.params;
    const q = parseQuery(EventsQuery, req.query);
    const header = req.headers['last-event-id'];
    const lastEventId = q.lastEventId ?? (typeof header === 'string' && header !== '' ? header : undefined);

    const known = await findRun(deps, id);
    if (!known || !mayAccess(req.caller!, known.namespace)) throw new DomainError('not_found', `no run with id "${id}"`);

    // Subscribe before reading the current state, so a change between the read and the
    // subscription cannot be missed; changes that arrive before the stream opens wait in `early`.
    const early: NormalizedRun[] = [];
    let deliver: (run: NormalizedRun) => void = (run) => {
      early.push(run);
    };
    const subject = SUBJECTS.runStatus.filter({ namespace: known.namespace, type: known.type.toLowerCase(), name: known.name });
    const unsubscribe = await deps.subscribe(subject, (data) => {
      const parsed = SUBJECTS.runStatus.schema.safeParse(data);
      // By id, not uid: a run not created yet has none, and one deleted and created again under the
      // same name has another id.
      if (parsed.success && parsed.data.payload.run.id === known.id) deliver(parsed.data.payload.run);
    });
    let current: NormalizedRun;
    let replay: NormalizedRun[];
    try {
      current = (await findRun(deps, id)) ?? known;
      replay = lastEventId === undefined ? [] : replayAfter(await historyOf(deps, current.id), current, lastEventId);
    } catch (err) {
      unsubscribe();
      throw err;
    }

    let poll: NodeJS.Timeout | undefined;
    const stream = openSse(reply, {
      heartbeatMs: HEARTBEAT_MS,
      onClose: () => {
        clearInterval(poll);
        unsubscribe();
        open.delete(stream);
      },
    });
    open.add(stream);
    // Versions only move forward: anything older than what the client has is a duplicate, and so is
    // the same version unless its status changed since it was sent (its provider moved alone).
    let last = lastEventId;
    let lastView: string | undefined;
    // A run not created yet has no version: its states are told apart by what they say, and carry
    // no event id (so a reconnect replays from the client's last real version, if any).
    let lastUncreated: string | undefined;
    const send = (run: NormalizedRun) => {
      if (stream.closed) return;
      if (run.uid === '') {
        const state = JSON.stringify([run.phase, run.conditions]);
        if (poll === undefined || state === lastUncreated) return;
        lastUncreated = state;
        stream.event({ event: 'status', data: JSON.stringify(run) });
      } else {
        const view = canonicalJson(statusView(run));
        const news = run.resourceVersion === last ? lastView !== undefined && view !== lastView : isLaterVersion(run.resourceVersion, last);
        if (!news) return;
        last = run.resourceVersion;
        lastView = view;
        // Created: from here on the run's own status messages tell every change.
        clearInterval(poll);
        poll = undefined;
        stream.event({ id: run.resourceVersion, event: 'status', data: JSON.stringify(run) });
      }
      if (isTerminalPhase(run.phase)) stream.close();
    };
    if (current.uid === '') {
      poll = setInterval(() => {
        findRun(deps, id).then(
          (run) => run && send(run),
          (err: unknown) => req.log.warn({ err }, 'reading a run not created yet failed; the next poll tries again'),
        );
      }, UNCREATED_POLL_MS);
    }
    for (const run of [...replay, current]) send(run);
    // Resumed at the version the run still has: nothing was sent, and what the client saw of it is
    // taken to be the run as it is now, so a later change of its provider alone is news.
    if (lastView === undefined && current.uid !== '' && current.resourceVersion === last) lastView = canonicalJson(statusView(current));
    for (const run of early) send(run);
    deliver = send;
    // A terminal run changes no more; with Last-Event-ID at its last version nothing was sent above.
    if (isTerminalPhase(current.phase)) stream.close();
  });
}
