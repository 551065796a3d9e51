import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { badRequest, expired } from './api-error.js';
import type { StoreEvent } from './event-log.js';
import { apiVersionOf } from './resources.js';
import type { ResourceDefinition } from './resources.js';
import type { ObjectFilter } from './selectors.js';
import type { ObjectStore } from './store.js';
import { toTable } from './table.js';
import type { TableRequest } from './table.js';
import type { KubeObject } from './types.js';

/** The event types on the wire. */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** A parsed watch request. */
export interface WatchRequest {
  res: ResourceDefinition;
  namespace: string | undefined;
  filter: ObjectFilter;
  query: URLSearchParams;
  table: TableRequest | undefined;
}

/** Options for {@link WatchHub}. */
export interface WatchHubOptions {
  bookmarkIntervalMs: number;
  logger?: Logger;
}

// A client this far behind is not reading; kube-apiserver drops such watchers too.
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

/** Decides what a watcher with a filter sees for a write: selection changes become ADDED/DELETED. */
export function visibleEvent(event: StoreEvent, filter: ObjectFilter): StoreEvent['type'] | undefined {
  const now = filter(event.object);
  if (event.type === 'ADDED') return now ? 'ADDED' : undefined;
  if (event.type === 'DELETED') return (event.previous ? filter(event.previous) : now) ? 'DELETED' : undefined;
  const before = event.previous ? filter(event.previous) : false;
  if (now) return before ? 'MODIFIED' : 'ADDED';
  return before ? 'DELETED' : undefined;
}

function parseResourceVersion(raw: string | null): number | undefined {
  if (raw === null || raw === '' || raw === '0') return undefined;
  if (!/^\d+$/.test(raw)) throw badRequest(`invalid resource version ${JSON.stringify(raw)}`);
  return Number(raw);
}

function parseTimeout(raw: string | null): number | undefined {
  if (raw === null || raw === '') return undefined;
  if (!/^\d+$/.test(raw)) throw badRequest(`invalid timeoutSeconds ${JSON.stringify(raw)}`);
  return Number(raw) * 1000;
}

/** Streams watch responses and tracks them so the server can end them on close. */
export class WatchHub {
  private readonly open = new Set<ServerResponse>();

  constructor(
    private readonly store: ObjectStore,
    private readonly options: WatchHubOptions,
  ) {}

  /** Number of watch streams currently open. */
  get size(): number {
    return this.open.size;
  }

  /** Serves one watch request until the client leaves, the timeout passes or the server closes. */
  serve(res: ServerResponse, watch: WatchRequest): void {
    const fromRv = parseResourceVersion(watch.query.get('resourceVersion'));
    const timeoutMs = parseTimeout(watch.query.get('timeoutSeconds'));
    const bookmarks = watch.query.get('allowWatchBookmarks') === 'true';
    const initialEventsEnd = watch.query.get('sendInitialEvents') === 'true';
    const replay = fromRv === undefined ? [] : this.store.eventsSince(fromRv);

    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();

    const send = (type: WatchEventType, object: unknown): void => {
      if (res.writableEnded || res.destroyed) return;
      res.write(`${JSON.stringify({ type, object })}\n`);
      if (res.writableLength > MAX_BUFFERED_BYTES) {
        this.options.logger?.warn({ resource: watch.res.plural }, 'dropping a watcher that stopped reading');
        res.destroy();
      }
    };
    const render = (obj: KubeObject): unknown =>
      watch.table ? toTable(watch.res, [obj], watch.table, { resourceVersion: obj.metadata.resourceVersion }) : obj;
    const bookmark = (annotations?: Record<string, string>): void => {
      const metadata = { resourceVersion: String(this.store.resourceVersion), ...(annotations ? { annotations } : {}) };
      send('BOOKMARK', { kind: watch.res.kind, apiVersion: apiVersionOf(watch.res), metadata });
    };
    const deliver = (event: StoreEvent): void => {
      if (event.resource.group !== watch.res.group || event.resource.plural !== watch.res.plural) return;
      if (watch.namespace !== undefined && event.object.metadata.namespace !== watch.namespace) return;
      const type = visibleEvent(event, watch.filter);
      if (type) send(type, render(event.object));
    };

    if (replay === undefined) {
      send('ERROR', expired(`too old resource version: ${fromRv} (${this.store.oldestResumableVersion})`).toStatus());
      res.end();
      return;
    }

    // Replay and subscription happen in one synchronous step, so no write can fall between them.
    if (fromRv === undefined) {
      for (const [, obj] of this.store.scan(watch.res, { namespace: watch.namespace })) {
        if (watch.filter(obj)) send('ADDED', render(obj));
      }
      if (initialEventsEnd && bookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' });
    } else {
      for (const event of replay) deliver(event);
    }
    const unsubscribe = this.store.subscribe(deliver);
    this.open.add(res);

    const timers: NodeJS.Timeout[] = [];
    if (bookmarks) timers.push(setInterval(() => bookmark(), this.options.bookmarkIntervalMs).unref());
    if (timeoutMs !== undefined) timers.push(setTimeout(() => res.end(), timeoutMs).unref());
    const cleanup = (): void => {
      unsubscribe();
      for (const timer of timers) clearTimeout(timer);
      this.open.delete(res);
    };
    // `res` closes both when we end it and when the client goes away; `req` closes as soon as it is read.
    res.on('close', cleanup);
  }

  /** Ends every open watch stream. */
  closeAll(): void {
    for (const res of this.open) res.end();
  }
}
