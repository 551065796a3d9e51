/**
 * The web UI at /ui: the Vite build of packages/ui, served as static files. The files need no
 * token (they hold no data); every API call the UI makes carries the operator's bearer token.
 * Client routes (/ui/agents, /ui/runs/<id>) answer index.html so a reload or a shared link opens
 * the same view; a missing file under /ui/assets/ stays a 404 rather than index.html, so a stale
 * tab asking for an old bundle fails visibly instead of parsing HTML as script.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_CONTENT_TYPE, problemFor } from './problems.js';

/** Where the UI lives in the gateway's URL space. */
export const UI_PATH = '/ui';

const ASSETS = `${UI_PATH}/assets/`;
// Vite names every asset by its content hash, so a cached copy is never stale; index.html is
// revalidated each time so a new build is picked up at once.
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * Sent with every file of the UI. The UI keeps the operator's bearer token in the browser, so a
 * script that got in could send it anywhere: the policy lets in only the UI's own files and its
 * calls to this origin (the build has no inline script or style), and no other site may frame it.
 */
export const UI_SECURITY_HEADERS = {
  'content-security-policy': [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; '),
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
} as const;

/** Serves the built UI from `root` (packages/ui/dist); without a build, /ui says how to make one. */
export async function registerUi(app: FastifyInstance, root: string | undefined): Promise<void> {
  if (!root || !existsSync(path.join(root, 'index.html'))) {
    const notBuilt = (req: FastifyRequest, reply: FastifyReply) => {
      const detail = `the web UI is not built${root ? ` (no index.html in ${root})` : ''}: run \`npm run build -w @jangar/ui\` and restart the gateway`;
      const body = problemFor('not_found', detail, { instance: req.url });
      return reply.code(404).type(PROBLEM_CONTENT_TYPE).send(body);
    };
    app.get(UI_PATH, notBuilt);
    app.get(`${UI_PATH}/*`, notBuilt);
    return;
  }

  await app.register(fastifyStatic, {
    root,
    prefix: `${UI_PATH}/`,
    // One route per built file, found at startup; everything else under /ui/ is a client route.
    wildcard: false,
    index: false,
    cacheControl: false,
    setHeaders: (reply, file) => {
      reply.header('cache-control', file.includes(`${path.sep}assets${path.sep}`) ? IMMUTABLE : 'no-cache');
      for (const [name, value] of Object.entries(UI_SECURITY_HEADERS)) reply.header(name, value);
    },
  });
  app.get(UI_PATH, (_req, reply) => reply.redirect(`${UI_PATH}/`));
  app.get(`${UI_PATH}/*`, (req, reply) => {
    if (req.url.startsWith(ASSETS)) {
      const body = problemFor('not_found', `no UI asset ${req.url.split('?')[0]}; reload the page to get the current build`, {
        instance: req.url,
      });
      return reply.code(404).type(PROBLEM_CONTENT_TYPE).send(body);
    }
    return reply.header('cache-control', 'no-cache').headers(UI_SECURITY_HEADERS).sendFile('index.html');
  });
}
