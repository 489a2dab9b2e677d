// Accessibility of the dashboard against a real `fovea` with demo traffic:
// axe-core's WCAG 2.0/2.1/2.2 A and AA rules on every page, in the light and
// the dark theme, and the keyboard paths a rule engine cannot see (tabs,
// Escape out of popovers, the theme switch).
//
//   (cd dashboard && npm ci && npm run build) && cargo build -p fovea
//   cd e2e && npm ci && node --test a11y.test.mjs
//
// axe goes into the page through page.evaluate (the DevTools protocol), not a
// <script> tag: the dashboard's CSP allows no inline script, and an evaluated
// one is not subject to it.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createApp, launchBrowser, login, poll, postKnownSession, startDemo, startFovea } from './harness.mjs';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
/** WCAG 2.0, 2.1 and 2.2, levels A and AA. */
const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
/** What fails the test; axe's "moderate" and "minor" findings are left to review. */
const BLOCKING = ['serious', 'critical'];
const VIEWPORT = { width: 1360, height: 900 };

let fovea;
let app;
let demo;
let browser;
let known; // the session postKnownSession sent: { sessionId, viewId }
let issue; // its error's issue
let replayed; // a demo session with a replay
let traced; // a slow request whose backend spans arrived
const cleanups = [];

before(async () => {
  fovea = await startFovea();
  cleanups.push(() => fovea.stop());
  app = await createApp(fovea, { name: 'a11y-e2e', origins: ['*'] });
  // the demo records every session, so the session page has a player to check; its backend
  // exports spans, so the trace and services pages have rows
  demo = await startDemo(fovea, app, { sessions: 3, serverKey: app.server_key });
  cleanups.push(() => demo.stop());
  known = await postKnownSession(fovea, app);
  browser = await launchBrowser();
  cleanups.push(() => browser.close());
  await poll(
    async () => {
      const s = await fovea.api(`/apps/${app.id}/summary`);
      issue = (await fovea.api(`/apps/${app.id}/issues`)).issues.find((i) => i.message === 'cart.total is undefined');
      replayed = (await fovea.api(`/apps/${app.id}/sessions`)).sessions.find((x) => x.has_replay);
      const session = await fovea.api(`/apps/${app.id}/sessions/${encodeURIComponent(known.sessionId)}`).catch(() => null);
      traced = (await fovea.api(`/apps/${app.id}/slow-requests`)).requests.find((r) => r.bottleneck);
      return s.views > 0 && s.vitals?.lcp?.count > 0 && issue && replayed && session?.events?.length >= 6 && traced;
    },
    { timeout: 60_000, message: 'demo traffic, the known session, a replay and a trace in the query API' },
  );
});

after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** Every page, where it is, what shows it has loaded, and what to open first so axe sees it too. */
const PAGES = [
  { name: 'Overview', path: () => `/apps/${app.id}`, ready: '[data-testid=card-lcp] .vital' },
  { name: 'Web vitals', path: () => `/apps/${app.id}/vitals`, ready: '[data-testid=vital-total]' },
  { name: 'Errors', path: () => `/apps/${app.id}/errors`, ready: '[data-testid=issues] tbody tr' },
  {
    name: 'Issue',
    path: () => `/apps/${app.id}/errors/${encodeURIComponent(issue.fingerprint)}`,
    ready: '[data-testid=issue-message]',
    open: (page) => page.evaluate(() => document.querySelectorAll('details').forEach((d) => (d.open = true))),
  },
  { name: 'Sessions', path: () => `/apps/${app.id}/sessions`, ready: '[data-testid=sessions] tbody tr' },
  {
    name: 'Session',
    path: () => `/apps/${app.id}/sessions/${encodeURIComponent(known.sessionId)}`,
    ready: '[data-testid=timeline] .tl-row',
    open: (page) => page.click('[data-testid=timeline] .tl-row.error .tl-row-main'),
  },
  {
    name: 'Session with a replay',
    path: () => `/apps/${app.id}/sessions/${encodeURIComponent(replayed.id)}`,
    ready: '[data-testid=replay-player] .rp-play:not([disabled])',
  },
  { name: 'Actions', path: () => `/apps/${app.id}/actions`, ready: '[data-testid=hot-spots] tbody tr' },
  { name: 'Resources', path: () => `/apps/${app.id}/resources`, ready: '[data-testid=slow-requests] tbody tr' },
  { name: 'Services', path: () => `/apps/${app.id}/services`, ready: '[data-testid=services] tbody tr' },
  {
    name: 'Trace',
    path: () => `/apps/${app.id}/traces/${traced.trace_id}`,
    ready: '[data-testid=trace-row]',
    open: (page) => page.click('[data-testid=trace-row] .wf-main'),
  },
  { name: 'Settings', path: () => `/apps/${app.id}/settings`, ready: '[data-testid=settings-form]' },
  { name: 'Usage & cost', path: () => `/apps/${app.id}/usage`, ready: '[data-testid=usage-days]' },
  { name: 'Users', path: () => '/admin/users', ready: '[data-testid=users-table]' },
  { name: 'API tokens', path: () => '/account/tokens', ready: '[data-testid=token-add-form]' },
  { name: 'Audit log', path: () => '/admin/audit', ready: '[data-testid=audit-row]' },
];

/** Opens a page and waits until nothing on it is loading. */
async function visit(page, p) {
  await page.goto(`${fovea.url}${p.path()}`);
  await page.waitForSelector(p.ready);
  await page.waitForFunction(() => document.querySelector('.state.loading') == null);
  if (p.open) await p.open(page);
}

/** The page's serious and critical WCAG violations, as axe reports them (empty when there are none). */
async function axe(page) {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(
    // the replay's iframe holds a recorded page, not the dashboard (and is inert)
    (tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'], iframes: false }).then((r) => r.violations),
    WCAG,
  );
  return violations
    .filter((v) => BLOCKING.includes(v.impact))
    .map((v) => ({
      rule: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')}: ${n.failureSummary.replace(/\s+/g, ' ')}`),
    }));
}

for (const theme of ['light', 'dark']) {
  describe(`axe, ${theme} theme`, () => {
    let context;
    let page;
    before(async () => {
      // no stored choice: the dashboard follows the system's scheme
      context = await browser.newContext({ viewport: VIEWPORT, colorScheme: theme });
      page = await context.newPage();
      await login(page, fovea);
    });
    after(() => context?.close());

    for (const p of PAGES) {
      test(p.name, async () => {
        await visit(page, p);
        assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), theme);
        const found = await axe(page);
        assert.deepEqual(found, [], `${p.name} (${theme}):\n${JSON.stringify(found, null, 2)}`);
      });
    }
  });
}

describe('keyboard and screen readers', () => {
  let context;
  let page;
  before(async () => {
    context = await browser.newContext({ viewport: VIEWPORT, colorScheme: 'light' });
    page = await context.newPage();
    await login(page, fovea);
  });
  after(() => context?.close());

  /** What has focus: its role or tag, and its text. */
  const focused = () => page.evaluate(() => ({ role: document.activeElement?.getAttribute('role') ?? document.activeElement?.tagName.toLowerCase(), text: document.activeElement?.textContent.trim() }));

  test('the metric tabs move with the arrow keys, Home and End, and name their panel', async () => {
    await visit(page, PAGES[1]);
    const tab = page.locator('[role=tablist][aria-label=Metric] [role=tab][aria-selected=true]');
    assert.equal(await tab.textContent(), 'LCP');
    // one tab stop: the selected tab
    assert.deepEqual(await page.$$eval('[role=tablist][aria-label=Metric] [role=tab]', (ts) => ts.map((t) => t.tabIndex).filter((i) => i === 0)), [0]);
    const panel = await tab.getAttribute('aria-controls');
    assert.equal(await page.getAttribute(`#${panel}`, 'role'), 'tabpanel');
    assert.equal(await page.getAttribute(`#${panel}`, 'aria-labelledby'), await tab.getAttribute('id'));

    await tab.focus();
    await page.keyboard.press('ArrowRight');
    await page.waitForURL((u) => u.searchParams.get('metric') === 'inp');
    assert.deepEqual(await focused(), { role: 'tab', text: 'INP' });
    assert.equal(await page.getAttribute('[role=tab]:text-is("INP")', 'aria-selected'), 'true');
    await page.keyboard.press('End');
    await page.waitForURL((u) => u.searchParams.get('metric') === 'tti');
    await page.keyboard.press('ArrowRight'); // wraps
    await page.waitForURL((u) => u.searchParams.get('metric') === 'lcp');
    await page.keyboard.press('ArrowLeft');
    await page.waitForURL((u) => u.searchParams.get('metric') === 'tti');
    await page.keyboard.press('Home');
    await page.waitForURL((u) => u.searchParams.get('metric') === 'lcp');
    assert.deepEqual(await focused(), { role: 'tab', text: 'LCP' });
  });

  test('the nav marks the current page', async () => {
    await visit(page, PAGES[4]);
    assert.deepEqual(await page.$$eval('nav [aria-current=page]', (as) => as.map((a) => a.textContent.trim())), ['Sessions']);
  });

  test('Escape closes the custom range and the filter form, and focus goes back to what opened them', async () => {
    await visit(page, PAGES[0]);
    await page.click('.range-picker button:text-is("Custom")');
    await page.waitForSelector('.custom-range');
    assert.equal(await page.evaluate(() => document.activeElement?.closest('.custom-range') != null), true, 'focus moved into the popover');
    await page.keyboard.press('Escape');
    await page.waitForSelector('.custom-range', { state: 'detached' });
    assert.deepEqual(await focused(), { role: 'button', text: 'Custom' });

    await page.click('.filterbar button:text-is("+ Filter")');
    await page.waitForSelector('.filter-form');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Value');
    await page.keyboard.press('Escape');
    await page.waitForSelector('.filter-form', { state: 'detached' });
    assert.deepEqual(await focused(), { role: 'button', text: '+ Filter' });
  });

  test('charts say what they show', async () => {
    await visit(page, PAGES[0]);
    const label = await page.getAttribute('.chart[role=img]', 'aria-label');
    assert.match(label, /^Page views, (\d[\d,]* points?, max [\d,]+ at .+, latest [\d,]+|no data)$/);
  });

  test('the theme switch overrides the system and is remembered', async () => {
    await visit(page, PAGES[0]);
    const theme = () => page.evaluate(() => [document.documentElement.dataset.theme, localStorage.getItem('fovea_theme')]);
    assert.deepEqual(await theme(), ['light', null]);
    await page.waitForSelector('.chart canvas');
    await page.evaluate(() => (window.lightCanvas = document.querySelector('.chart canvas')));
    await page.selectOption('[data-testid=theme]', 'dark');
    assert.deepEqual(await theme(), ['dark', 'dark']);
    // uPlot paints with fixed colours: the charts are drawn again, in the dark palette
    await page.waitForFunction(() => document.querySelector('.chart canvas') !== window.lightCanvas);
    await page.reload();
    await page.waitForSelector(PAGES[0].ready);
    assert.deepEqual(await theme(), ['dark', 'dark']);
    assert.equal(await page.inputValue('[data-testid=theme]'), 'dark');
    await page.selectOption('[data-testid=theme]', 'system');
    assert.deepEqual(await theme(), ['light', null]);
  });
});
