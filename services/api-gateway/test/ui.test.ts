import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayDeps } from '../src/deps.js';
import { testApp } from './fake-deps.js';

let dist: string;
const INDEX = '<!doctype html><div id="root"></div>';

const withUi = (dir: string | undefined) =>
  testApp({ config: { JANGAR_BODY_LIMIT_BYTES: 4096, JANGAR_UI_DIR: dir } as GatewayDeps['config'] });

beforeAll(async () => {
  dist = await mkdtemp(path.join(os.tmpdir(), 'jangar-ui-'));
  await mkdir(path.join(dist, 'assets'));
  await writeFile(path.join(dist, 'index.html'), INDEX);
  await writeFile(path.join(dist, 'assets', 'index-abc123.js'), 'console.log(1)');
});
afterAll(() => rm(dist, { recursive: true, force: true }));

describe('the web UI at /ui', () => {
  it('serves index.html without a token, revalidated on every load', async () => {
    const res = await withUi(dist).inject({ method: 'GET', url: '/ui/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.body).toBe(INDEX);
  });

  it('redirects /ui to /ui/', async () => {
    const res = await withUi(dist).inject({ method: 'GET', url: '/ui' });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('/ui/');
  });

  it('answers client routes with index.html, so a reload or shared link opens the same view', async () => {
    for (const url of ['/ui/agent-runs?selector=app%3Dweb&phase=Running', '/ui/runs/0b7c', '/ui/agents/team-a/coder?tab=yaml']) {
      const res = await withUi(dist).inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.body, url).toBe(INDEX);
    }
  });

  it('sends a content security policy and no-framing headers with the page, its client routes and its assets', async () => {
    for (const url of ['/ui/', '/ui/runs/0b7c', '/ui/assets/index-abc123.js']) {
      const res = await withUi(dist).inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-security-policy'], url).toContain("script-src 'self'");
      expect(res.headers['content-security-policy'], url).toContain("frame-ancestors 'none'");
      expect(res.headers['x-frame-options'], url).toBe('DENY');
      expect(res.headers['x-content-type-options'], url).toBe('nosniff');
      expect(res.headers['referrer-policy'], url).toBe('no-referrer');
    }
  });

  it('serves hashed assets as immutable', async () => {
    const res = await withUi(dist).inject({ method: 'GET', url: '/ui/assets/index-abc123.js' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('javascript');
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  it('answers a missing asset 404, never index.html', async () => {
    const res = await withUi(dist).inject({ method: 'GET', url: '/ui/assets/index-old.js' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'not_found' });
  });

  it('says how to build the UI when there is no build', async () => {
    const res = await withUi(path.join(dist, 'missing')).inject({ method: 'GET', url: '/ui/agents' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().detail).toContain('npm run build -w @jangar/ui');
  });

  it('leaves the API behind its token', async () => {
    const res = await withUi(dist).inject({ method: 'GET', url: '/v1/agents' });
    expect(res.statusCode).toBe(401);
  });
});
