import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { ApiError, methodNotAllowed } from './api-error.js';
import { handleCollection } from './collection-handlers.js';
import { coreResources, coreVersions, group, groupList, resourceList, versionInfo } from './discovery.js';
import { sendError, sendJson, sendText } from './http-util.js';
import { getNamespace, listNamespaces, NAMESPACE_RESOURCE } from './namespaces.js';
import { handleObject } from './object-handlers.js';
import { groupVersionDocument, openApiIndex } from './openapi.js';
import { kubeTimestamp } from './object-meta.js';
import type { ResourceRegistry } from './resources.js';
import { resolveRoute } from './routes.js';
import type { ObjectStore } from './store.js';
import { tableRequest, toTable } from './table.js';
import type { TemporalSim } from './temporal-sim.js';
import { WatchHub } from './watch.js';

/** Options for {@link startApiServer}. */
export interface ApiServerOptions {
  host: string;
  port: number;
  registry: ResourceRegistry;
  store: ObjectStore;
  bookmarkIntervalMs: number;
  /** Also serves the simulated Temporal HTTP API under `/api/v1/namespaces/{namespace}/workflows/`. */
  temporal?: TemporalSim;
  logger?: Logger;
}

/** A listening API server. */
export interface ApiServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

interface Context extends ApiServerOptions {
  hub: WatchHub;
  address: string;
  startedAt: string;
}

async function dispatch(ctx: Context, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://kube-dev');
  const query = url.searchParams;
  if (ctx.temporal?.handle(req, res, url.pathname)) return;
  const route = resolveRoute(ctx.registry, url.pathname);
  if (route.kind !== 'collection' && route.kind !== 'object' && route.kind !== 'unknown' && req.method !== 'GET' && req.method !== 'HEAD') {
    throw methodNotAllowed(req.method ?? '');
  }
  switch (route.kind) {
    case 'probe':
      return sendText(res, 200, 'ok');
    case 'version':
      return sendJson(res, 200, versionInfo());
    case 'openapiIndex':
      return sendJson(res, 200, openApiIndex(ctx.registry));
    case 'openapiGroupVersion':
      return sendJson(res, 200, groupVersionDocument(ctx.registry, route.group, route.version));
    case 'coreVersions':
      return sendJson(res, 200, coreVersions(ctx.address));
    case 'coreResources':
      return sendJson(res, 200, coreResources());
    case 'groups':
      return sendJson(res, 200, groupList(ctx.registry));
    case 'group':
      return sendJson(res, 200, group(ctx.registry, route.group));
    case 'groupVersion':
      return sendJson(res, 200, resourceList(ctx.registry, route.group, route.version));
    case 'namespaces': {
      if (route.watch || query.get('watch') === 'true' || query.get('watch') === '1') throw methodNotAllowed('WATCH');
      const items = listNamespaces(ctx.store, ctx.startedAt);
      const metadata = { resourceVersion: String(ctx.store.resourceVersion) };
      const table = tableRequest(req, query.get('includeObject'));
      if (table) return sendJson(res, 200, toTable(NAMESPACE_RESOURCE, items, table, metadata));
      return sendJson(res, 200, { kind: 'NamespaceList', apiVersion: 'v1', metadata, items });
    }
    case 'namespace': {
      const ns = getNamespace(route.name, ctx.startedAt);
      const table = tableRequest(req, query.get('includeObject'));
      if (table) return sendJson(res, 200, toTable(NAMESPACE_RESOURCE, [ns], table, { resourceVersion: ns.metadata.resourceVersion }));
      return sendJson(res, 200, ns);
    }
    case 'collection':
      return handleCollection(ctx.store, ctx.hub, req, res, route, query);
    case 'object':
      return handleObject(ctx.store, req, res, route, query);
    case 'unknown':
      throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  }
}

/** Starts the HTTP server that speaks the Kubernetes REST and watch protocol. */
export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const { logger } = options;
  const hub = new WatchHub(options.store, { bookmarkIntervalMs: options.bookmarkIntervalMs, logger });
  const ctx: Context = { ...options, hub, address: '', startedAt: kubeTimestamp(new Date()) };
  const server = createServer((req, res) => {
    dispatch(ctx, req, res).catch((err: unknown) => {
      const apiError = sendError(res, err);
      const fields = { method: req.method, url: req.url, code: apiError.code, reason: apiError.reason };
      if (apiError.code >= 500) logger?.error({ ...fields, err }, 'request failed');
      else logger?.debug(fields, apiError.message);
    });
  });
  // Watches are long-lived; the default request timeout would cut them off.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  ctx.address = `${host}:${port}`;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        hub.closeAll();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
