import { ApiError, ConnectionError, Interrupted } from './errors.js';
import { problemOf } from './problem.js';
import { sleep } from './signals.js';

export interface ClientOptions {
  server: string;
  token: string | undefined;
  /** How long one request may take, answer body included (default 60 s). */
  timeoutMs?: number;
  /** How many times a request the server asks to retry (503, 409 request_in_progress) is sent again (default 3). */
  retries?: number;
  /** Aborts every request and stream of this client (Ctrl-C). */
  signal?: AbortSignal;
  /** How long an event stream may bring nothing, not even a heartbeat, before it is dropped (default `STREAM_IDLE_TIMEOUT_MS`). */
  streamIdleTimeoutMs?: number;
}

export type Query = Record<string, string | number | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface Answer<T> {
  status: number;
  headers: Headers;
  body: T;
}

/** A page of a list endpoint. */
export interface Page<T> {
  items: T[];
  continue?: string;
}

const USER_AGENT = 'jangar-cli/0.1.0';
/** Longest the client waits when told to retry later. */
const MAX_RETRY_WAIT_MS = 5_000;
/**
 * The gateway sends a `: heartbeat` comment every 15 s on an event stream; three missed in a row
 * mean the connection is half-open (a dead peer, a NAT that forgot it), which TCP alone may not
 * notice for hours. The stream is dropped then, and its follower reconnects with Last-Event-ID.
 */
export const STREAM_IDLE_TIMEOUT_MS = 45_000;

/** A URL path segment. */
export const seg = (s: string) => encodeURIComponent(s);

/** The path with its query string; undefined values are left out. */
export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, String(v));
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

/** What went wrong with a fetch that got no answer, in words. */
function describeFailure(err: unknown, server: string, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return `no answer from ${server} within ${Math.round(timeoutMs / 1000)}s`;
  const code = e.cause?.code;
  if (code === 'ECONNREFUSED') return `cannot reach ${server}: connection refused (is the server running? set JANGAR_URL or --server)`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `cannot reach ${server}: host not found`;
  return `cannot reach ${server}: ${e.cause?.message ?? e.message ?? String(err)}`;
}

/** True for a connection that broke mid-request (not a refused one): worth sending again. */
function isTransient(err: unknown): boolean {
  const code = (err as { cause?: { code?: string } }).cause?.code;
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET';
}

/**
 * The REST client: JSON in and out, bearer token, problem+json failures as `ApiError`, no answer as
 * `ConnectionError`. Every request the CLI sends is safe to repeat (reads, and writes with a
 * deliveryId), so it retries what the server asks it to retry and connections that broke.
 */
export class ApiClient {
  readonly server: string;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly signal: AbortSignal | undefined;
  private readonly streamIdleTimeoutMs: number;

  constructor(opts: ClientOptions) {
    this.server = opts.server;
    this.token = opts.token;
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.retries = opts.retries ?? 3;
    this.signal = opts.signal;
    this.streamIdleTimeoutMs = opts.streamIdleTimeoutMs ?? STREAM_IDLE_TIMEOUT_MS;
  }

  private headers(extra: Record<string, string> = {}, json = false): Record<string, string> {
    return {
      'user-agent': USER_AGENT,
      accept: 'application/json, application/problem+json',
      ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
      ...(json ? { 'content-type': 'application/json' } : {}),
      ...extra,
    };
  }

  /** The caller's signal and the client's (Ctrl-C), whichever aborts first. */
  private abortSignal(own: AbortSignal | undefined): AbortSignal | undefined {
    const signals = [own, this.signal].filter((s): s is AbortSignal => s !== undefined);
    return signals.length > 1 ? AbortSignal.any(signals) : signals[0];
  }

  /** Sends one request and reads its JSON answer; a non-2xx answer throws `ApiError`. */
  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<Answer<T>> {
    const url = `${this.server}${withQuery(path, opts.query)}`;
    const abort = this.abortSignal(opts.signal);
    for (let attempt = 1; ; attempt++) {
      const timeout = AbortSignal.timeout(this.timeoutMs);
      let res: Response;
      let text: string;
      try {
        res = await fetch(url, {
          method,
          headers: this.headers(opts.headers, opts.body !== undefined),
          body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
          signal: abort ? AbortSignal.any([abort, timeout]) : timeout,
        });
        text = await res.text();
      } catch (err) {
        if (abort?.aborted) throw new Interrupted();
        if (attempt <= this.retries && isTransient(err)) continue;
        throw new ConnectionError(this.server, describeFailure(err, this.server, this.timeoutMs), { cause: err });
      }
      if (res.ok) {
        try {
          return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as T };
        } catch {
          throw new ConnectionError(
            this.server,
            `${this.server} answered ${method} ${path} with ${res.status} and a body that is not JSON`,
          );
        }
      }
      const problem = problemOf(res.status, res.statusText, text);
      const retryable = res.status === 503 || (res.status === 409 && problem.code === 'request_in_progress');
      if (retryable && attempt <= this.retries) {
        const after = Number(res.headers.get('retry-after'));
        await sleep(Math.min(MAX_RETRY_WAIT_MS, Number.isFinite(after) && after > 0 ? after * 1000 : 500 * attempt), abort);
        continue;
      }
      throw new ApiError(res.status, problem, method, path, res.headers);
    }
  }

  async get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> {
    return (await this.request<T>('GET', path, { ...(query ? { query } : {}), ...(signal ? { signal } : {}) })).body;
  }

  /**
   * Every item of a list endpoint, following `continue` until the last page or until `max` items;
   * pages are as large as the server allows (500) or `max`.
   */
  async list<T>(path: string, query: Query = {}, max?: number): Promise<T[]> {
    const items: T[] = [];
    let token: string | undefined;
    do {
      const limit = Math.min(500, max === undefined ? 500 : max - items.length);
      const page = await this.get<Page<T>>(path, { ...query, limit, continue: token });
      items.push(...page.items);
      token = page.continue;
    } while (token && (max === undefined || items.length < max));
    return max === undefined ? items : items.slice(0, max);
  }

  /**
   * Opens a Server-Sent Events stream; a non-2xx answer throws `ApiError`. The stream has no overall
   * timeout, but one that brings no byte (event or heartbeat) for `streamIdleTimeoutMs`, from the
   * request on, is aborted: connecting throws, reading fails, with a `ConnectionError` saying so.
   */
  async openStream(path: string, opts: { lastEventId?: string; signal?: AbortSignal } = {}): Promise<ReadableStream<Uint8Array>> {
    const url = `${this.server}${path}`;
    const abort = this.abortSignal(opts.signal);
    const idle = new AbortController();
    const idleMs = this.streamIdleTimeoutMs;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const disarm = () => clearTimeout(timer);
    const arm = () => {
      disarm();
      timer = setTimeout(
        () => idle.abort(new ConnectionError(this.server, `the event stream ${path} was silent for ${Math.round(idleMs / 1000)}s`)),
        idleMs,
      );
      // A stream its reader gave up on must not keep the process alive.
      timer.unref?.();
    };
    arm();
    let res: Response;
    try {
      res = await fetch(url, {
        headers: this.headers({
          accept: 'text/event-stream, application/problem+json',
          ...(opts.lastEventId ? { 'last-event-id': opts.lastEventId } : {}),
        }),
        signal: abort ? AbortSignal.any([abort, idle.signal]) : idle.signal,
      });
    } catch (err) {
      disarm();
      if (abort?.aborted) throw new Interrupted();
      if (idle.signal.aborted) throw idle.signal.reason as ConnectionError;
      throw new ConnectionError(this.server, describeFailure(err, this.server, this.timeoutMs), { cause: err });
    }
    if (!res.ok || !res.body) {
      disarm();
      throw new ApiError(res.status, problemOf(res.status, res.statusText, await res.text()), 'GET', path, res.headers);
    }
    const reader = res.body.getReader();
    // Every chunk, a heartbeat comment included, proves the connection alive and re-arms the timer.
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) {
            disarm();
            controller.close();
            return;
          }
          arm();
          controller.enqueue(value);
        } catch (err) {
          disarm();
          controller.error(idle.signal.aborted && !abort?.aborted ? idle.signal.reason : err);
        }
      },
      cancel(reason) {
        disarm();
        return reader.cancel(reason);
      },
    });
  }
}
