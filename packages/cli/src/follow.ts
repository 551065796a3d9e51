import { isTerminalPhase, type NormalizedRun } from '@jangar/contracts';
import type { Context } from './context.js';
import { ApiError, ConnectionError, Interrupted } from './errors.js';
import { runPath } from './resources.js';
import { sleep } from './signals.js';
import { sseEvents } from './sse.js';

/** Connections in a row that bring no event before following gives up. */
const MAX_EMPTY_CONNECTIONS = 5;

/**
 * Follows a run's Server-Sent Events (`GET /v1/runs/{id}/events`) until it is terminal, calling
 * `onRun` with every state the stream sends (the current one first). A stream that breaks or ends
 * early is opened again with `Last-Event-ID`, so no transition is lost or seen twice.
 */
export async function followRun(ctx: Context, id: string, onRun: (run: NormalizedRun) => void): Promise<NormalizedRun> {
  let lastEventId: string | undefined;
  let last: NormalizedRun | undefined;
  let empty = 0;
  for (;;) {
    let received = false;
    let failure: unknown;
    try {
      const body = await ctx.client.openStream(`${runPath(id)}/events`, lastEventId ? { lastEventId } : {});
      for await (const event of sseEvents(body)) {
        if (event.event !== 'status') continue;
        const run = JSON.parse(event.data) as NormalizedRun;
        if (event.id) lastEventId = event.id;
        last = run;
        received = true;
        onRun(run);
      }
    } catch (err) {
      if (ctx.signal.aborted) throw new Interrupted();
      if (err instanceof ApiError && err.status < 500) throw err;
      failure = err;
    }
    if (last && isTerminalPhase(last.phase)) return last;
    empty = received ? 0 : empty + 1;
    if (empty >= MAX_EMPTY_CONNECTIONS) {
      if (failure instanceof ApiError || failure instanceof ConnectionError) throw failure;
      const why = failure ? `broke: ${(failure as Error).message}` : 'keeps ending before the run does';
      throw new ConnectionError(ctx.client.server, `the event stream of run ${id} ${why}`, { cause: failure });
    }
    // The stream ended before the run did (a gateway restart, a proxy timeout): reconnect from the last event.
    await sleep(received ? 200 : 1000 * empty, ctx.signal);
  }
}
