/**
 * The web UI in a real browser (Debian's chromium driven by playwright-core) against the whole
 * control plane: every resource is created through the REST API, every check waits on what the
 * page shows. Each page is saved as a screenshot under test-results/ui/ for review.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOrInstallTool } from '@jangar/devstack';
import { REPO_ROOT } from '@jangar/stack';
import { CHROMIUM } from '../../scripts/tools.js';
import { ensureUiBuilt } from '../../scripts/ui-build.js';
import { api, eventually, testStack } from '../support/stack.js';

const NS = 'ui-team';
const SCENARIO = 'jangar.proompteng.ai/sim-scenario';
const SHOTS = path.join(REPO_ROOT, 'test-results', 'ui');
// Scripts that run in the page are strings: this file is typed for Node, not the DOM.
const storeToken = (token: string) => ({ content: `localStorage.setItem('jangar.token', ${JSON.stringify(token)})` });

let stack: Awaited<ReturnType<typeof testStack>>;
let dev: ReturnType<typeof api>;
let browser: Browser;
let context: BrowserContext;
const policyViolations: string[] = [];

const runSpec = { agentRef: { name: 'coder' }, runtime: { type: 'job' }, implementation: { inline: { text: 'Tidy the README' } } };

async function create(route: string, name: string, spec: unknown, labels: Record<string, string>, annotations?: Record<string, string>) {
  const res = await dev.post(`/v1/${route}`, {
    deliveryId: `ui-${route}-${name}`,
    metadata: { namespace: NS, name, labels, ...(annotations ? { annotations } : {}) },
    spec,
  });
  if (res.status !== 201) throw new Error(`creating ${route} ${name} answered ${res.status}: ${res.text}`);
  return res.json as { id: string };
}

async function runPhase(name: string): Promise<string | undefined> {
  return (await dev.get(`/v1/agent-runs/${NS}/${name}`)).json?.status?.phase as string | undefined;
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

async function open(url: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${stack.gatewayUrl}${url}`);
  return page;
}

/** The rows of the list table, by the resource name in their first cell. */
function row(page: Page, name: string) {
  return page.locator('tbody tr').filter({ has: page.getByRole('rowheader').getByRole('link', { name, exact: true }) });
}

beforeAll(async () => {
  ensureUiBuilt();
  await mkdir(SHOTS, { recursive: true });
  stack = await testStack();
  dev = api(stack.gatewayUrl, stack.devToken);

  await create('agents', 'coder', { providerRef: { name: 'codex' } }, { suite: 'ui', tier: 'gold' });
  await create('agents', 'helper', { providerRef: { name: 'codex' } }, { suite: 'ui', tier: 'silver' });
  await create('memories', 'notes', { type: 'postgres', connection: { secretRef: { name: 'notes-db' } } }, { suite: 'ui' });
  await create(
    'orchestrations',
    'pipeline',
    { steps: [{ name: 'implement', kind: 'AgentRun', agentRef: { name: 'coder' } }] },
    { suite: 'ui' },
  );
  await create('orchestration-runs', 'pipeline-1', { orchestrationRef: { name: 'pipeline' } }, { suite: 'ui' });
  await create('agent-runs', 'ui-done', runSpec, { suite: 'ui', app: 'web' });
  await create('agent-runs', 'ui-stuck', runSpec, { suite: 'ui', app: 'api' }, { [SCENARIO]: 'stuck' });
  await create('agent-runs', 'elsewhere', runSpec, { suite: 'other', app: 'web' });
  await eventually('the listed runs to settle', async () =>
    (await runPhase('ui-done')) === 'Succeeded' && (await runPhase('ui-stuck')) === 'Running' ? true : undefined,
  );

  browser = await chromium.launch({
    executablePath: await findOrInstallTool(CHROMIUM),
    headless: true,
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking'],
  });
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // What the browser refused under the UI's Content-Security-Policy, on any page of the suite.
  context.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) policyViolations.push(message.text());
  });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.gatewayUrl });
  // The operator has entered the development token once; it lives in localStorage from then on.
  await context.addInitScript(storeToken(stack.devToken));
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe('the web UI', () => {
  it('lists every kind with phase badges that carry text, labels as chips and the provider', async () => {
    const pages = ['agents', 'agent-runs', 'memories', 'orchestrations', 'orchestration-runs'] as const;
    const expected = {
      agents: 'coder',
      'agent-runs': 'ui-done',
      memories: 'notes',
      orchestrations: 'pipeline',
      'orchestration-runs': 'pipeline-1',
    };
    for (const route of pages) {
      const page = await open(`/ui/${route}?namespace=${NS}`);
      await row(page, expected[route]).waitFor();
      await shot(page, `list-${route}`);
      if (route === 'agents') {
        const coder = row(page, 'coder');
        // The labels people chose as chips; the ones Jangar sets summarized.
        expect(await coder.getByRole('listitem').allTextContents()).toEqual(['suite=ui', 'tier=gold', '+3 system']);
        expect(await coder.locator('td').nth(3).textContent()).toBe('codex');
      }
      if (route === 'agent-runs') {
        const badge = row(page, 'ui-done').locator('.badge');
        expect(await badge.getAttribute('class')).toContain('badge-success');
        expect((await badge.textContent())?.trim()).toBe('✔ Succeeded');
      }
      await page.close();
    }
  });

  it('filters by label and phase, keeps the filters in the URL, and a reload shows the same view', async () => {
    const page = await open('/ui/agent-runs');
    await row(page, 'elsewhere').waitFor();

    const selector = page.getByRole('textbox', { name: 'Label selector' });
    await selector.fill('suite=ui');
    await selector.press('Enter');
    await row(page, 'elsewhere').waitFor({ state: 'detached' });
    await row(page, 'ui-done').waitFor();
    expect(new URL(page.url()).searchParams.get('selector')).toBe('suite=ui');
    expect(await page.getByTestId('selector-syntax').textContent()).toBe('suite=ui');

    // The box shows the URL's filter, which the click changes a moment later (a router navigation),
    // so the click is followed by waiting for its effect, not by `check()`'s immediate look.
    const running = page.getByRole('checkbox', { name: 'Running' });
    await running.click();
    await row(page, 'ui-done').waitFor({ state: 'detached' });
    await row(page, 'ui-stuck').waitFor();
    expect(await running.isChecked()).toBe(true);
    const url = new URL(page.url());
    expect(url.searchParams.get('phase')).toBe('Running');
    expect(url.searchParams.get('selector')).toBe('suite=ui');
    await shot(page, 'list-agent-runs-filtered');

    await page.reload();
    await row(page, 'ui-stuck').waitFor();
    expect(await page.getByRole('checkbox', { name: 'Running' }).isChecked()).toBe(true);
    expect(await page.getByRole('list', { name: 'selector requirements' }).locator('li > span').allTextContents()).toEqual(['suite=ui']);
    expect(await page.locator('tbody tr').count()).toBe(1);

    // Removing the chip widens the view again; the phase filter stays.
    await page.getByRole('button', { name: 'Remove suite=ui' }).click();
    await page.waitForURL((u) => !u.searchParams.has('selector'));
    expect(new URL(page.url()).searchParams.get('phase')).toBe('Running');
    await page.close();
  });

  it("pages through a long list with the API's continue token, back and forth", async () => {
    // Four agent runs in the namespace (ui-done, ui-stuck, elsewhere, the pipeline's step): two pages of two.
    const page = await open(`/ui/agent-runs?namespace=${NS}&limit=2`);
    const names = () => page.locator('tbody tr th a:first-child').allTextContents();
    await page.locator('tbody tr').nth(1).waitFor();
    const first = await names();
    expect(first).toHaveLength(2);

    await page.getByRole('button', { name: 'Next page' }).click();
    await page.waitForURL((u) => u.searchParams.has('continue'));
    await page.locator('tbody tr').first().filter({ hasNotText: first[0]! }).waitFor();
    const second = await names();
    expect(second.length).toBeGreaterThan(0);
    expect(second.filter((n) => first.includes(n))).toEqual([]);
    expect(new URL(page.url()).searchParams.get('limit')).toBe('2');

    // The second page, opened from its link in a new tab: nothing to go back to but the first page.
    const shared = await open(page.url().replace(/^.*?\/ui\//, '/ui/'));
    await shared.locator('tbody tr').first().waitFor();
    expect(await shared.getByRole('button', { name: 'Previous' }).isDisabled()).toBe(true);
    expect(await shared.getByRole('button', { name: 'First page' }).isEnabled()).toBe(true);
    await shared.close();

    await page.getByRole('button', { name: 'Previous' }).click();
    await page.waitForURL((u) => !u.searchParams.has('continue'));
    await page.locator('tbody tr').first().filter({ hasText: first[0]! }).waitFor();
    expect(await names()).toEqual(first);

    await page.getByRole('button', { name: 'Next page' }).click();
    await page.waitForURL((u) => u.searchParams.has('continue'));
    await page.getByRole('button', { name: 'First page' }).click();
    await page.waitForURL((u) => !u.searchParams.has('continue'));
    await page.locator('tbody tr').first().filter({ hasText: first[0]! }).waitFor();
    expect(await names()).toEqual(first);
    await page.close();
  });

  it('says what to do when a selector matches nothing', async () => {
    const page = await open(`/ui/agent-runs?selector=${encodeURIComponent('suite=none')}`);
    await page.getByText('No agent runs match these filters').waitFor();
    await shot(page, 'list-empty-filtered');
    await page.close();
  });

  it('asks for a token when there is none', async () => {
    const fresh = await browser.newContext();
    const page = await fresh.newPage();
    await page.goto(`${stack.gatewayUrl}/ui/agents`);
    await page.getByRole('alert').getByText('No valid token').waitFor();
    await shot(page, 'no-token');
    await page.getByRole('link', { name: 'token settings' }).click();
    await page.getByRole('textbox', { name: 'Token' }).fill(stack.devToken);
    await page.getByRole('button', { name: 'Save' }).click();
    await row(page, 'coder').waitFor();
    await fresh.close();
  });

  it('inspects a resource as YAML: spec apart from status, managed fields only on request, copyable', async () => {
    const page = await open(`/ui/agent-runs/${NS}/ui-done`);
    await page.getByRole('button', { name: 'YAML' }).click();
    const spec = page.getByLabel('Spec YAML', { exact: true });
    await spec.waitFor();
    const specText = (await spec.textContent()) ?? '';
    expect(specText).toContain('agentRef:');
    expect(specText).not.toContain('resourceVersion');
    expect(specText).not.toContain('phase: Succeeded');
    expect(await page.getByLabel('Status YAML', { exact: true }).textContent()).toContain('phase: Succeeded');
    // Highlighted by highlight.js's yaml grammar.
    expect(await spec.locator('.hljs-attr').count()).toBeGreaterThan(0);

    await page.getByLabel(/Show managed fields/).check();
    await spec.getByText('resourceVersion', { exact: false }).first().waitFor();
    await shot(page, 'yaml-inspector');

    await page.getByRole('button', { name: 'Copy Spec YAML' }).click();
    await page.getByRole('button', { name: 'Copy Spec YAML' }).getByText('Copied').waitFor();
    const copied = await page.evaluate<string>('navigator.clipboard.readText()');
    expect(copied).toContain('kind: AgentRun');
    expect(copied).toContain('resourceVersion');
    await page.close();
  });

  it('lists revisions with who, when and deliveryId, and diffs two of them', async () => {
    const patched = await dev.patch(`/v1/agents/${NS}/coder`, { spec: { defaults: { timeoutSeconds: 600 } } }, 'ui-patch-coder');
    expect(patched.status, patched.text).toBe(200);

    const page = await open(`/ui/agents/${NS}/coder?tab=revisions`);
    const timeline = page.getByRole('group', { name: /Revisions/ });
    await timeline.getByText('Revision 2').waitFor();
    expect(await timeline.getByText('deliveryId ui-patch-coder').count()).toBe(1);
    expect(await timeline.getByText('deliveryId ui-agents-coder').count()).toBe(1);

    const diff = page.getByRole('figure', { name: /Revision 1 → 2/ });
    await diff.waitFor();
    expect((await diff.locator('ins').allTextContents()).map((t) => t.trim())).toEqual(expect.arrayContaining(['timeoutSeconds: 600']));
    await shot(page, 'revisions-diff');
    await page.close();
  });

  it('follows a run live over SSE until it succeeds, with its history and audit trail', async () => {
    const { id } = await create('agent-runs', 'ui-live', runSpec, { suite: 'ui' }, { [SCENARIO]: 'stuck' });
    await eventually('ui-live to run', async () => ((await runPhase('ui-live')) === 'Running' ? true : undefined));

    const page = await open(`/ui/runs/${id}`);
    const heading = page.getByRole('heading', { level: 1 });
    await heading.locator('[data-phase="Running"]').waitFor();
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    await shot(page, 'run-running');

    // The simulated runtime finishes a run once its scenario allows it: the page sees it over SSE.
    const released = await dev.patch(
      `/v1/agent-runs/${NS}/ui-live`,
      { metadata: { annotations: { [SCENARIO]: 'success' } } },
      'ui-release-live',
    );
    expect(released.status, released.text).toBe(200);
    await heading.locator('[data-phase="Succeeded"]').waitFor();
    await page.getByText('Final state').waitFor();
    const updates = Number(await page.locator('[data-updates]').getAttribute('data-updates'));
    expect(updates).toBeGreaterThanOrEqual(2);

    const history = page.getByRole('list', { name: 'lifecycle history' });
    await history.locator('[data-phase="Succeeded"]').first().waitFor();
    await page.getByRole('table', { name: 'audit trail' }).getByRole('row').nth(1).waitFor();
    await shot(page, 'run-succeeded');
    await page.close();
  });

  it('shows an orchestration run with its step progress', async () => {
    const runs = (await dev.get(`/v1/orchestration-runs/${NS}/pipeline-1`)).json as { id: string };
    const page = await open(`/ui/runs/${runs.id}`);
    await page.getByText('1 of 1 done').waitFor();
    await shot(page, 'run-orchestration');
    // Its step's AgentRun, through the label every run a step starts carries.
    await page.getByRole('link', { name: 'Runs its steps started' }).click();
    await row(page, 'pipeline-1-implement').waitFor();
    expect(await page.locator('tbody tr').count()).toBe(1);
    await page.close();
  });

  it('breaks no rule of its Content-Security-Policy on any page above (checked after them)', () => {
    expect(policyViolations).toEqual([]);
  });

  it('fits a phone screen without sideways scrolling of the page', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await phone.addInitScript(storeToken(stack.devToken));
    const page = await phone.newPage();
    await page.goto(`${stack.gatewayUrl}/ui/agent-runs?namespace=${NS}`);
    await row(page, 'ui-done').waitFor();
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    await shot(page, 'phone-list');
    await phone.close();
  });
});
