import autocannon from 'autocannon';
import type { Instance, Request } from 'autocannon';
import { summarize, type Latency } from './stats.js';

export type { Latency } from './stats.js';

/** What every load step has: where, with what token, how many connections, how long. */
export interface StepSpec {
  gatewayUrl: string;
  token: string;
  connections: number;
  durationSec: number;
  /** Aborting ends the step early (Ctrl-C). */
  signal?: AbortSignal;
}

export interface LoadSpec extends StepSpec {
  path: string;
  /** The deliveryId the next request carries; called once per request. */
  nextDeliveryId: () => string;
  /** The JSON body for a deliveryId; must be the same apart from the id, or a replay is a 409. */
  body: (deliveryId: string) => string;
  /** Sees every answer, with the deliveryId it belongs to. */
  onAnswer?: (deliveryId: string, status: number, replayed: boolean) => void;
}

/** A GET step: each request asks for the path `nextPath` returns (a random run, a page). */
export interface ReadSpec extends StepSpec {
  nextPath: () => string;
}

export interface LoadResult {
  connections: number;
  /** Seconds the step actually ran. */
  durationSec: number;
  /** Requests written; those still in flight when the step ended are in `sent` but not in `answered`. */
  sent: number;
  /** HTTP answers received. */
  answered: number;
  /** 2xx answers: 201 (outcome within the wait budget) and 202 (accepted, still processing). */
  accepted: number;
  acceptedPerSec: number;
  non2xx: number;
  /** Connection errors and timeouts: requests that got no HTTP answer at all. */
  errors: number;
  timeouts: number;
  /** Answers carrying `Idempotent-Replayed: true`. */
  replayed: number;
  statusCounts: Record<string, number>;
  /** Milliseconds over every answer, 2xx or not. */
  latencyMs: Latency;
}

/** autocannon passes raw header names, in whatever case the server wrote them. */
function headerValue(headers: Request['headers'], name: string): unknown {
  for (const [key, value] of Object.entries(headers ?? {})) if (key.toLowerCase() === name) return value;
  return undefined;
}

interface RequestContext {
  deliveryId?: string;
}

/** Runs one closed-loop load step with autocannon and summarizes it. */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  let replayed = 0;
  const request: Request = {
    method: 'POST',
    path: spec.path,
    setupRequest: (req, context) => {
      const deliveryId = spec.nextDeliveryId();
      // With one request in flight per connection, the context still holds this id when its answer arrives.
      (context as RequestContext).deliveryId = deliveryId;
      return { ...req, body: spec.body(deliveryId) };
    },
    onResponse: (status, _body, context, headers) => {
      const isReplay = headerValue(headers, 'idempotent-replayed') === 'true';
      if (isReplay) replayed += 1;
      const deliveryId = (context as RequestContext).deliveryId;
      if (deliveryId !== undefined) spec.onAnswer?.(deliveryId, status, isReplay);
    },
  };
  const { result } = await measure(spec, request, { 'content-type': 'application/json' });
  return { ...result, replayed };
}

/** A {@link LoadResult} with the mean size of an answer's body, for reads whose pages are large. */
export interface ReadLoadResult extends LoadResult {
  meanAnswerBytes: number;
}

/** Runs one closed-loop GET step; `replayed` is always 0. */
export async function runReadLoad(spec: ReadSpec): Promise<ReadLoadResult> {
  const request: Request = { method: 'GET', setupRequest: (req) => ({ ...req, path: spec.nextPath() }) };
  const { result, bytes } = await measure(spec, request, {});
  return { ...result, meanAnswerBytes: result.answered > 0 ? Math.round(bytes / result.answered) : 0 };
}

/** One autocannon run of `request`; `replayed` is left 0 for the caller to fill. */
function measure(spec: StepSpec, request: Request, headers: Record<string, string>): Promise<{ result: LoadResult; bytes: number }> {
  // autocannon's own histogram keeps whole milliseconds, too coarse for replays that take a few ms,
  // so the exact per-response times from its `response` event are kept instead.
  const samples: number[] = [];
  let bytes = 0;
  return new Promise((resolve, reject) => {
    let instance: Instance | undefined = undefined;
    const onAbort = () => instance?.stop();
    instance = autocannon(
      {
        url: spec.gatewayUrl,
        connections: spec.connections,
        pipelining: 1,
        duration: spec.durationSec,
        // Longer than the gateway's 2 s wait budget, so a slow answer is measured rather than dropped.
        timeout: 30,
        headers: { authorization: `Bearer ${spec.token}`, ...headers },
        requests: [request],
      },
      (err, result) => {
        spec.signal?.removeEventListener('abort', onAbort);
        if (err) return reject(err instanceof Error ? err : new Error(String(err)));
        const statusCounts: Record<string, number> = {};
        for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statusCounts[code] = stat.count ?? 0;
        const answered = Object.values(statusCounts).reduce((s, n) => s + n, 0);
        resolve({
          bytes,
          result: {
            connections: spec.connections,
            durationSec: result.duration,
            sent: result.requests.sent,
            answered,
            accepted: result['2xx'],
            acceptedPerSec: Math.round((result['2xx'] / (result.duration || spec.durationSec)) * 10) / 10,
            non2xx: result.non2xx,
            errors: result.errors,
            timeouts: result.timeouts,
            replayed: 0,
            statusCounts,
            latencyMs: summarize(samples),
          },
        });
      },
    );
    instance.on('response', (_client, _status, resBytes, responseTime) => {
      samples.push(responseTime);
      bytes += resBytes;
    });
    if (spec.signal?.aborted) instance.stop();
    else spec.signal?.addEventListener('abort', onAbort, { once: true });
  });
}
