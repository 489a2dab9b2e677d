// The dashboard against a real `fovea` with demo traffic, in real Chromium.
//
//   (cd dashboard && npm ci && npm run build) && cargo build -p fovea
//   cd e2e && npm ci && node --test dashboard.test.mjs
//
// What it proves: every page renders under the server's CSP without a
// violation; the numbers on screen are the query API's numbers; links lead
// from an issue to its session; a 401 anywhere ends on the login page; and
// strings posted by a browser (HTML, script, `javascript:` URLs) are shown as
// text and run nothing. Screenshots land in e2e/artifacts/ (not committed).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { CHROME_UA, createApp, launchBrowser, login, poll, postKnownSession, startDemo, startFovea } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = path.join(here, 'artifacts');
fs.mkdirSync(ARTIFACTS, { recursive: true });

// ---- formatting, as dashboard/src/lib/format.ts does it ------------------------

function fmtMs(ms) {
  if (ms == null) return '—';
  const abs = Math.abs(ms);
  if (abs < 1000) return `${Math.round(ms)} ms`;
  if (abs < 10_000) return `${(ms / 1000).toFixed(2)} s`;
  if (abs < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return null; // minutes: not expected for a p75 in demo traffic
}
const fmtMetric = (metric, v) => (v == null ? '—' : metric === 'cls' ? String(Number(v.toFixed(3))) : fmtMs(v));
const fmtCount = (n) => new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 }).format(n);
function fmtCompact(n) {
  if (Math.abs(n) < 10_000) return fmtCount(n);
  const t = (x) => (x >= 100 ? String(Math.round(x)) : String(Number(x.toFixed(1))));
  return Math.abs(n) < 1_000_000 ? `${t(n / 1000)}k` : `${t(n / 1_000_000)}M`;
}
function fmtPercent(share) {
  const p = share * 100;
  if (p === 0) return '0%';
  if (p > 0 && p < 0.1) return '<0.1%';
  if (p < 10) return `${p.toFixed(1)}%`;
  return `${Math.round(p)}%`;
}

/** The dashboard's formatHighShare: floored to 0.01%, never 100% before it is. */
function fmtHighShare(share) {
  if (share >= 1) return '100%';
  return `${Number((Math.floor(share * 10000 + 1e-6) / 100).toFixed(2))}%`;
}

// ---- fixtures -------------------------------------------------------------------

let fovea; // the harness's server: { url, password, token, api(), stop() }
let app; // App from the API
let demo;
let browser;
const cleanups = [];

/** The query API with the admin bearer token (JSON in and out; throws on non-2xx). */
const api = (pathname, init) => fovea.api(pathname, init);

/** A browser page that records dialogs, CSP violations, page errors and every request. */
async function newPage(context) {
  const page = await context.newPage();
  const log = { dialogs: [], csp: [], errors: [], requests: [] };
  page.on('dialog', (d) => {
    log.dialogs.push(d.message());
    d.dismiss().catch(() => {});
  });
  page.on('pageerror', (e) => log.errors.push(e.message));
  page.on('request', (r) => log.requests.push(r.url()));
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) log.csp.push(m.text());
  });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`Content Security Policy violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  return { page, log };
}

async function shot(page, name) {
  await page.waitForTimeout(250); // charts size themselves on the next frame
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Opens `url` and returns the query string of the first API request to `endpoint` it made. */
async function openAndCapture(page, url, endpoint) {
  const req = page.waitForRequest((r) => {
    const p = new URL(r.url()).pathname;
    return p.startsWith('/api/v1/') && p.endsWith(endpoint); // not the page's own URL (/apps/x/sessions)
  });
  await page.goto(url);
  return new URL((await req).url()).searchParams;
}

function windowOf(params) {
  return `from=${params.get('from')}&to=${params.get('to')}`;
}

before(async () => {
  fovea = await startFovea();
  cleanups.push(() => fovea.stop());
  app = await createApp(fovea, { name: 'dash-e2e', origins: ['*'] });
  // real browsers walking the demo shop, the SPA and the error lab
  demo = await startDemo(fovea, app, { sessions: 6 });
  cleanups.push(() => demo.stop());
  // and one known session, so an issue with breadcrumbs exists whatever journeys the demo drew
  await postKnownSession(fovea, app);
  browser = await launchBrowser();
  cleanups.push(() => browser.close());
  // demo traffic has been written when the overview has views, vitals, errors and sessions
  await poll(async () => {
    const s = await api(`/apps/${app.id}/summary`);
    const issues = await api(`/apps/${app.id}/issues`);
    return s.views > 0 && s.vitals?.lcp?.count > 0 && s.sessions > 0 && issues.issues.length > 0;
  }, { timeout: 60_000, message: 'demo traffic in the query API' });
});

after(async () => {
  for (const c of cleanups.reverse()) await c();
});

// ---- tests ------------------------------------------------------------------------

describe('dashboard', () => {
  test('login, then the overview shows the query API numbers', async () => {
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    const { page, log } = await newPage(context);
    // a deep link survives the login round trip
    await page.goto(`${fovea.url}/apps/${app.id}?range=24h`);
    await page.waitForSelector('input[name=password]');
    assert.match(page.url(), /\/login\?next=/);
    await shot(page, 'login');
    await page.fill('input[name=password]', fovea.password);
    const summaryReq = page.waitForRequest((r) => new URL(r.url()).pathname.endsWith('/summary'));
    await page.click('button[type=submit]');
    await page.waitForURL((u) => u.pathname === `/apps/${app.id}`);
    const params = new URL((await summaryReq).url()).searchParams;
    await page.waitForSelector('[data-testid=card-lcp] .vital');

    const w = windowOf(params);
    const lcp = (await api(`/apps/${app.id}/vitals?metric=lcp&p=75&by=none&${w}`)).groups[0];
    const card = await page.textContent('[data-testid=card-lcp] .card-value');
    assert.equal(card.trim(), fmtMetric('lcp', lcp.value), 'LCP card = /vitals?metric=lcp&p=75&by=none');
    assert.match(await page.textContent('[data-testid=card-lcp] .card-meta'), new RegExp(`${fmtCount(lcp.count)} views`));

    const summary = await api(`/apps/${app.id}/summary?${w}`);
    for (const m of ['inp', 'cls', 'fcp', 'ttfb', 'load']) {
      const text = (await page.textContent(`[data-testid=card-${m}] .card-value`)).trim();
      assert.equal(text, fmtMetric(m, summary.vitals[m]?.value), `${m} card = summary`);
    }
    assert.equal((await page.textContent('[data-testid=count-views] .card-value')).trim(), fmtCompact(summary.views));
    assert.equal((await page.textContent('[data-testid=count-sessions] .card-value')).trim(), fmtCompact(summary.sessions));
    assert.equal((await page.textContent('[data-testid=count-errors] .card-value')).trim(), fmtCompact(summary.errors));
    assert.equal((await page.textContent('[data-testid=count-error-rate] .card-value')).trim(), fmtPercent(summary.error_rate));
    assert.equal((await page.textContent('[data-testid=count-crash-free] .card-value')).trim(), fmtHighShare(summary.crash_free_sessions));

    // the rating bar shows the API's shares
    const label = await page.getAttribute('[data-testid=card-lcp] .rating-bar', 'aria-label');
    assert.equal(label, `Good ${fmtPercent(lcp.good)}, Needs improvement ${fmtPercent(lcp.ni)}, Poor ${fmtPercent(lcp.poor)}`);

    // top pages: the LCP p75 per page from /vitals?by=page
    const byPage = await api(`/apps/${app.id}/vitals?metric=lcp&p=75&by=page&${w}`);
    await page.waitForSelector('[data-testid=top-pages] tbody tr');
    const rows = await page.$$eval('[data-testid=top-pages] tbody tr', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent.trim())),
    );
    assert.equal(rows.length, Math.min(15, byPage.groups.length));
    const first = byPage.groups[0];
    assert.deepEqual(rows[0].slice(0, 3), [first.key, fmtCount(first.count), fmtMetric('lcp', first.value)]);

    await page.waitForSelector('[data-testid=card-lcp] .sparkline canvas, [data-testid=card-lcp] .empty-spark');
    await shot(page, 'overview');
    assert.deepEqual(log.csp, [], 'no CSP violation');
    assert.deepEqual(log.errors, [], 'no page error');
    await context.close();
  });

  test('vitals explorer: percentile, grouping, distribution and slow views', async () => {
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    const { page, log } = await newPage(context);
    await login(page, fovea);
    const params = await openAndCapture(page, `${fovea.url}/apps/${app.id}/vitals?metric=lcp&p=90&by=browser`, '/histogram');
    const w = windowOf(params);
    const total = (await api(`/apps/${app.id}/vitals?metric=lcp&p=90&by=none&${w}`)).groups[0];
    await page.waitForSelector('[data-testid=vital-total] .vital');
    assert.equal((await page.textContent('[data-testid=vital-total]')).trim(), fmtMetric('lcp', total.value), 'p90 headline');

    const groups = await api(`/apps/${app.id}/vitals?metric=lcp&p=90&by=browser&${w}`);
    await page.waitForSelector('[data-testid=vital-groups] tbody tr');
    const rows = await page.$$eval('[data-testid=vital-groups] tbody tr', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 3).map((td) => td.textContent.trim())),
    );
    assert.deepEqual(
      rows,
      groups.groups.map((g) => [g.key || '(unknown)', fmtMetric('lcp', g.value), fmtCount(g.count)]),
    );
    await page.waitForSelector('.chart canvas');
    assert.ok((await page.$$('.chart canvas')).length >= 2, 'histogram and time series drawn');

    const views = await api(`/apps/${app.id}/views?metric=lcp&limit=20&${w}`);
    if (views.views.length > 0) {
      await page.waitForSelector('[data-testid=slow-views] li');
      assert.equal((await page.$$('[data-testid=slow-views] li')).length, views.views.length);
      const firstValue = (await page.textContent('[data-testid=slow-views] li .example-value')).trim();
      assert.equal(firstValue, fmtMetric('lcp', views.views[0].lcp));
    }
    await shot(page, 'vitals');

    // "Filter" on a group row puts the filter in the URL and in every query
    const key = groups.groups.find((g) => g.key)?.key;
    if (key) {
      const filtered = page.waitForRequest((r) => {
        const u = new URL(r.url());
        return u.pathname.endsWith('/vitals') && u.searchParams.get('by') === 'none' && u.searchParams.get('browser') === key;
      });
      await page.click(`[data-testid=vital-groups] tbody tr:has(td.key-cell > a:text-is("${key}")) a:has-text("Filter")`);
      const fp = new URL((await filtered).url()).searchParams;
      assert.equal(new URL(page.url()).searchParams.get('browser'), key);
      const one = (await api(`/apps/${app.id}/vitals?metric=lcp&p=90&by=none&browser=${encodeURIComponent(key)}&${windowOf(fp)}`)).groups[0];
      await page.waitForFunction(
        (want) => document.querySelector('[data-testid=vital-total]')?.textContent.trim() === want,
        fmtMetric('lcp', one.value),
      );
      assert.equal(await page.textContent('.chip[data-filter=browser] .chip-value'), key);
      await page.click('.chip[data-filter=browser] .chip-x');
      await page.waitForURL((u) => !u.searchParams.has('browser'));
    }

    // the time range is in the URL and in the queries
    // (a histogram request for the previous range may still be starting
    // when the button is clicked: wait for the one the 7d range makes)
    const span = (r) => {
      const q = new URL(r.url()).searchParams;
      return Number(q.get('to')) - Number(q.get('from'));
    };
    const weekReq = page.waitForRequest(
      (r) => new URL(r.url()).pathname.endsWith('/histogram') && span(r) === 7 * 86_400_000,
    );
    await page.click('.range-picker button:has-text("7d")');
    assert.equal(span(await weekReq), 7 * 86_400_000);
    assert.equal(new URL(page.url()).searchParams.get('range'), '7d');

    // switching metric is a history entry: back returns to LCP
    await page.click('.metric-tabs button:has-text("INP")');
    await page.waitForURL((u) => u.searchParams.get('metric') === 'inp');
    await page.goBack();
    await page.waitForURL((u) => u.searchParams.get('metric') === 'lcp');
    await page.goBack();
    await page.waitForURL((u) => !u.searchParams.has('range'));
    assert.deepEqual(log.csp, []);
    assert.deepEqual(log.errors, []);
    await context.close();
  });

  test('errors: issues match the API, an issue leads to its session timeline', async () => {
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    const { page, log } = await newPage(context);
    await login(page, fovea);
    const params = await openAndCapture(page, `${fovea.url}/apps/${app.id}/errors`, '/issues');
    const issues = (await api(`/apps/${app.id}/issues?${windowOf(params)}`)).issues;
    assert.ok(issues.length > 0, 'demo traffic has errors');
    await page.waitForSelector('[data-testid=issues] tbody tr');
    const rows = await page.$$eval('[data-testid=issues] tbody tr', (trs) =>
      trs.map((tr) => ({
        message: tr.querySelector('.issue-message').textContent,
        count: tr.querySelectorAll('td')[1].textContent.trim(),
      })),
    );
    assert.deepEqual(
      rows,
      issues.map((i) => ({ message: i.message, count: fmtCount(i.count) })),
    );
    // every row draws its trend: real counts per bucket from the API
    const trends = await page.$$eval('[data-testid=issues] tbody tr .trend-col [role=img]', (els) => els.map((e) => e.getAttribute('aria-label')));
    assert.deepEqual(
      trends,
      issues.map((i) => `${fmtCount(i.count)} events over the time range`),
    );
    await shot(page, 'errors');

    await Promise.all([page.waitForURL(/\/errors\/[^/]+$/), page.click('[data-testid=issues] tbody tr:first-child .issue-link')]);
    const fingerprint = decodeURIComponent(new URL(page.url()).pathname.split('/').pop());
    assert.equal(fingerprint, issues[0].fingerprint);
    const detail = await api(`/apps/${app.id}/issues/${encodeURIComponent(fingerprint)}?${windowOf(params)}`);
    await page.waitForSelector('[data-testid=issue-message]');
    assert.equal(await page.textContent('[data-testid=issue-message]'), detail.issue.message);
    if (detail.stack) assert.equal(await page.textContent('[data-testid=stack]'), detail.stack);
    await page.waitForSelector('[data-testid=issue-sessions] a');
    assert.equal((await page.$$('[data-testid=issue-sessions] li')).length, detail.sessions.length);
    // Each occurrence's session also opens its replay at the error's time.
    const watch = await page.getAttribute('[data-testid=issue-sessions] li:first-child a[title^="Open the replay"]', 'href');
    assert.equal(watch, `/apps/${app.id}/sessions/${encodeURIComponent(detail.sessions[0].id)}?t=${detail.sessions[0].ts}`);
    await shot(page, 'issue');

    await Promise.all([page.waitForURL(/\/sessions\/[^/]+$/), page.click('[data-testid=issue-sessions] li:first-child a.mono')]);
    const sessionId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop());
    assert.equal(sessionId, detail.sessions[0].id);
    const session = await api(`/apps/${app.id}/sessions/${encodeURIComponent(sessionId)}`);
    await page.waitForSelector('[data-testid=timeline] .tl-row');
    const shown = await page.$$eval('[data-testid=timeline] .tl-row', (rs) => rs.length);
    assert.equal(shown, Math.min(400, session.events.length), 'one timeline row per event');
    assert.ok(session.events.some((e) => e.type === 'error'), 'the session holds the error');
    assert.ok((await page.$$('[data-testid=timeline] .tl-row.error')).length > 0, 'the error is on the timeline');
    await shot(page, 'session');
    // a page load's row opens its waterfall: the navigation phases, then the markers and requests
    assert.equal(session.events.find((e) => e.type === 'view')?.loading_type, 'initial_load');
    await page.click('[data-testid=timeline] .tl-row.view .tl-row-main');
    await page.waitForSelector('[data-testid=page-load] [data-testid=page-load-row]');
    const phases = await page.$$eval("[data-testid=page-load] [data-testid=page-load-row]", (rs) => rs.map((r) => r.textContent));
    assert.ok(phases.some((r) => /Request/.test(r)) && phases.some((r) => /Response/.test(r)), `navigation phases: ${phases}`);
    assert.ok(phases.some((r) => /Load/.test(r)), `the load marker: ${phases}`);
    await shot(page, 'page-load');

    // the back button returns to the issue
    await page.goBack();
    await page.waitForURL(/\/errors\/[^/]+$/);
    assert.deepEqual(log.csp, []);
    assert.deepEqual(log.errors, []);
    await context.close();
  });

  test('sessions, resources and actions lists match the API', async () => {
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    const { page, log } = await newPage(context);
    await login(page, fovea);
    let params = await openAndCapture(page, `${fovea.url}/apps/${app.id}/sessions`, '/sessions');
    const sessions = (await api(`/apps/${app.id}/sessions?limit=50&${windowOf(params)}`)).sessions;
    await page.waitForSelector('[data-testid=sessions] tbody tr');
    const ids = await page.$$eval('[data-testid=sessions] a.session-link', (as) => as.map((a) => decodeURIComponent(a.getAttribute('href').split('/').pop())));
    assert.deepEqual(ids, sessions.map((s) => s.id));
    await shot(page, 'sessions');

    // the errors toggle narrows the list, through the URL
    await page.check('label.toggle:has-text("With errors") input');
    await page.waitForURL((u) => u.searchParams.get('has_errors') === 'true');
    const withErrors = (await api(`/apps/${app.id}/sessions?limit=50&has_errors=true&${windowOf(params)}`)).sessions;
    if (withErrors.length > 0) {
      await page.waitForFunction((n) => document.querySelectorAll('[data-testid=sessions] tbody tr').length === n, withErrors.length);
    }

    params = await openAndCapture(page, `${fovea.url}/apps/${app.id}/resources`, '/resources');
    const resources = (await api(`/apps/${app.id}/resources?order=slowest&${windowOf(params)}`)).resources;
    if (resources.length > 0) {
      await page.waitForSelector('[data-testid=resources] tbody tr');
      const rows = await page.$$eval('[data-testid=resources] tbody tr', (trs) => trs.map((tr) => tr.querySelectorAll('td')[3].textContent.trim()));
      assert.deepEqual(rows, resources.map((r) => fmtMs(r.p75_duration) ?? rows[0]));
    } else {
      await page.waitForSelector('.state.empty');
    }
    await shot(page, 'resources');

    // actions: the frustration hot spots (the known session's rage click at least) in the API's order
    params = await openAndCapture(page, `${fovea.url}/apps/${app.id}/actions`, '/actions');
    const hot = (await api(`/apps/${app.id}/actions?order=frustration&limit=10&${windowOf(params)}`)).actions;
    assert.ok(hot.some((a) => a.name === 'Checkout' && a.rage >= 1), JSON.stringify(hot));
    await page.waitForSelector('[data-testid=hot-spots] tbody tr');
    const spots = await page.$$eval('[data-testid=hot-spots] tbody tr', (trs) => trs.map((tr) => tr.querySelectorAll('td')[0].textContent.trim()));
    assert.deepEqual(spots, hot.map((a) => a.route || '—'));
    await page.waitForSelector('[data-testid=actions] tbody tr');
    await shot(page, 'actions');
    assert.deepEqual(log.csp, []);
    assert.deepEqual(log.errors, []);
    await context.close();
  });

  test('settings save through PATCH, new apps through POST, both with the CSRF header', async () => {
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    const { page, log } = await newPage(context);
    await login(page, fovea);
    await page.goto(`${fovea.url}/apps/${app.id}/settings`);
    await page.waitForSelector('[data-testid=settings-form]');
    assert.equal((await page.textContent('[data-testid=ingest-key]')).trim(), app.ingest_key);
    const snippet = await page.textContent('.code-block pre');
    assert.ok(snippet.includes(`endpoint: '${fovea.url}',`), snippet);
    assert.ok(snippet.includes(`key: '${app.ingest_key}',`), snippet);
    // the script the snippet loads is served by this fovea
    const src = snippet.match(/<script src="([^"]+)"/)[1];
    assert.equal(src, `${fovea.url}/sdk/fovea.min.js`);
    const sdk = await fetch(src);
    assert.equal(sdk.status, 200);
    assert.match(sdk.headers.get('content-type'), /javascript/);
    assert.match(await sdk.text(), /Fovea/);
    await shot(page, 'settings');

    const patch = page.waitForRequest((r) => r.method() === 'PATCH');
    assert.notEqual(app.retention_days, 45);
    await page.fill('input[name=retention_days]', '45');
    await page.click('[data-testid=settings-form] button[type=submit]');
    const req = await patch;
    assert.equal(req.headers()['x-fovea-csrf'], '1');
    await page.waitForSelector('.form-ok');
    assert.equal((await api(`/apps/${app.id}`)).retention_days, 45);

    await page.goto(`${fovea.url}/apps/new`);
    await page.fill('input[name=name]', 'created-from-ui');
    await page.fill('textarea[name=origins]', 'https://ui.example');
    const post = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/api/v1/apps'));
    await page.click('button[type=submit]');
    assert.equal((await post).headers()['x-fovea-csrf'], '1');
    await page.waitForURL(/\/settings\?created=1$/);
    const created = (await api('/apps')).apps.find((a) => a.name === 'created-from-ui');
    assert.ok(created, 'the app exists');
    assert.deepEqual(created.origins, ['https://ui.example']);
    // a new app has no data: the overview says how to install the SDK
    await page.goto(`${fovea.url}/apps/${created.id}`);
    await page.waitForSelector('[data-testid=ingest-key]');
    await shot(page, 'empty-app');
    assert.deepEqual(log.csp, []);
    assert.deepEqual(log.errors, []);
    await context.close();
  });

  test('phone width: every section is reachable and nothing overflows', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const { page, log } = await newPage(context);
    await login(page, fovea, `/apps/${app.id}`);
    await page.waitForSelector('[data-testid=card-lcp] .vital');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `page is ${overflow}px wider than the screen`);
    await shot(page, 'overview-phone');
    await page.goto(`${fovea.url}/apps/${app.id}/sessions`);
    await page.waitForSelector('[data-testid=sessions] tbody tr');
    await Promise.all([page.waitForURL(/\/sessions\/[^/]+$/), page.click('[data-testid=sessions] a.session-link >> nth=0')]);
    await page.waitForSelector('[data-testid=timeline] .tl-row');
    assert.ok((await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)) <= 1);
    await shot(page, 'session-phone');
    assert.deepEqual(log.csp, []);
    await context.close();
  });

  test('logout ends the session', async () => {
    const context = await browser.newContext();
    const { page } = await newPage(context);
    await login(page, fovea, `/apps/${app.id}`);
    await page.click('[data-testid=logout]');
    await page.waitForURL(/\/login/);
    const status = await page.evaluate(async () => (await fetch('/api/v1/me')).status);
    assert.equal(status, 401);
    await context.close();
  });
});

describe('access without a session', () => {
  test('every API route answers 401', async () => {
    const s = (await api(`/apps/${app.id}/sessions?limit=1`)).sessions[0];
    const issue = (await api(`/apps/${app.id}/issues`)).issues[0];
    const a = `/api/v1/apps/${app.id}`;
    const routes = [
      ['GET', '/api/v1/me'],
      ['POST', '/api/v1/logout'],
      ['GET', '/api/v1/apps'],
      ['POST', '/api/v1/apps', { name: 'nope' }],
      ['GET', a],
      ['PATCH', a, { retention_days: 1 }],
      ['GET', `${a}/summary`],
      ['GET', `${a}/vitals?metric=lcp`],
      ['GET', `${a}/timeseries?metric=lcp`],
      ['GET', `${a}/histogram?metric=lcp`],
      ['GET', `${a}/views?metric=lcp`],
      ['GET', `${a}/sessions`],
      ['GET', `${a}/sessions/${encodeURIComponent(s?.id ?? 'x')}`],
      ['GET', `${a}/issues`],
      ['GET', `${a}/issues/${encodeURIComponent(issue?.fingerprint ?? 'x')}`],
      ['GET', `${a}/resources`],
      ['GET', `${a}/actions`],
    ];
    for (const [method, url, body] of routes) {
      for (const headers of [{}, { authorization: 'Bearer wrong-token' }, { cookie: 'fovea_session=forged', 'x-fovea-csrf': '1' }]) {
        const res = await fetch(`${fovea.url}${url}`, {
          method,
          headers: { 'content-type': 'application/json', ...headers },
          body: body ? JSON.stringify(body) : undefined,
        });
        assert.equal(res.status, 401, `${method} ${url} with ${JSON.stringify(headers)}`);
      }
    }
    // nothing was changed by those calls
    assert.notEqual((await api(`/apps/${app.id}`)).retention_days, 1);
  });

  test('every page shows the login form and keeps the address', async () => {
    const context = await browser.newContext();
    const { page, log } = await newPage(context);
    const pages = ['/', `/apps/${app.id}`, `/apps/${app.id}/vitals?metric=inp`, `/apps/${app.id}/errors`, `/apps/${app.id}/errors/x`,
      `/apps/${app.id}/sessions`, `/apps/${app.id}/sessions/x`, `/apps/${app.id}/resources`, `/apps/${app.id}/actions`, `/apps/${app.id}/settings`, '/apps/new', '/no/such/page'];
    for (const p of pages) {
      await page.goto(`${fovea.url}${p}`);
      await page.waitForSelector('input[name=password]');
      const u = new URL(page.url());
      assert.equal(u.pathname, '/login', p);
      if (p !== '/no/such/page') assert.equal(u.searchParams.get('next'), p, `next for ${p}`);
      assert.equal(await page.$('[data-testid=ingest-key]'), null, 'no app data leaks onto the page');
    }
    // and the login page itself does not follow an off-site next
    await page.goto(`${fovea.url}/login?next=${encodeURIComponent('//evil.example/')}`);
    await page.fill('input[name=password]', fovea.password);
    await Promise.all([page.waitForURL((u) => u.pathname !== '/login'), page.click('button[type=submit]')]);
    assert.equal(new URL(page.url()).origin, fovea.url);
    assert.deepEqual(log.csp, []);
    await context.close();
  });
});

describe('injection', () => {
  test('HTML, script and javascript: payloads from the intake are shown as text and run nothing', async () => {
    const IMG = '<img src=x onerror=alert(1)>';
    const SCRIPT = "<script>fetch('http://127.0.0.1:9/x')</script>";
    const JS_URL = 'javascript:alert(1)';
    const marker = randomUUID().slice(0, 8);
    const message = `pwned ${marker} ${IMG}${SCRIPT}`;
    const sessionId = randomUUID();
    const viewId = randomUUID();
    const now = Date.now();
    const body = {
      sdk: { name: 'e2e', version: '1' },
      session: { id: sessionId, user_id: `${IMG}user` },
      sent_at: now,
      events: [
        {
          type: 'view', event_id: randomUUID(), view_id: viewId, version: 1, ts: now - 2000, url: JS_URL,
          route: `/inj${SCRIPT}`, lcp: 5000, fcp: 900, ttfb: 100, cls: 0.5, inp: 900,
          lcp_element: IMG, lcp_resource_url: JS_URL, inp_target: SCRIPT, cls_target: IMG,
        },
        { type: 'action', event_id: randomUUID(), view_id: viewId, ts: now - 1500, action_type: 'click', name: IMG, target: SCRIPT, url: JS_URL },
        {
          type: 'error', event_id: randomUUID(), view_id: viewId, ts: now - 1000, url: JS_URL, source: 'source',
          kind: `Type${IMG}`, message, stack: `Error: ${IMG}\n    at x (${JS_URL}:1:1)\n${SCRIPT}`, resource_url: JS_URL,
        },
        { type: 'resource', event_id: randomUUID(), view_id: viewId, ts: now - 900, url: JS_URL, resource_url: JS_URL, kind: 'fetch', method: 'GET', status: 500, duration: 30 },
      ],
    };
    const res = await fetch(`${fovea.url}/api/v1/intake?key=${encodeURIComponent(app.ingest_key)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': CHROME_UA },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 202, await res.text());
    const issue = await poll(async () => (await api(`/apps/${app.id}/issues`)).issues.find((i) => i.message.includes(marker)), {
      timeout: 30_000,
      message: 'the injected error as an issue',
    });
    await poll(async () => (await api(`/apps/${app.id}/sessions/${sessionId}`).catch(() => null))?.events?.length >= 4, {
      timeout: 30_000,
      message: 'the injected session',
    });

    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    const { page, log } = await newPage(context);
    await login(page, fovea);
    const visits = [
      [`/apps/${app.id}/errors`, '[data-testid=issues] tbody tr'],
      [`/apps/${app.id}/errors/${encodeURIComponent(issue.fingerprint)}`, '[data-testid=issue-message]'],
      [`/apps/${app.id}/sessions/${sessionId}`, '[data-testid=timeline] .tl-row'],
      [`/apps/${app.id}/vitals?metric=lcp`, '[data-testid=slow-views] li'],
      [`/apps/${app.id}/sessions`, '[data-testid=sessions] tbody tr'],
    ];
    for (const [url, selector] of visits) {
      await page.goto(`${fovea.url}${url}`);
      await page.waitForSelector(selector);
      await page.waitForTimeout(300);
    }
    // the issue page shows the message verbatim, as text
    await page.goto(`${fovea.url}/apps/${app.id}/errors/${encodeURIComponent(issue.fingerprint)}`);
    await page.waitForSelector('[data-testid=issue-message]');
    assert.equal(await page.textContent('[data-testid=issue-message]'), issue.message);
    assert.ok(issue.message.includes(IMG) || issue.message.includes('onerror'), 'the server kept the payload, so the test means something');
    await shot(page, 'injection-issue');
    // the session page: expand every row so attribution and URLs render too
    await page.goto(`${fovea.url}/apps/${app.id}/sessions/${sessionId}`);
    await page.waitForSelector('[data-testid=timeline] .tl-row');
    for (const b of await page.$$('[data-testid=timeline] .tl-row-main')) {
      await b.click();
      await page.waitForTimeout(50);
    }
    const text = await page.textContent('[data-testid=timeline]');
    assert.ok(text.includes(marker), 'the error message is on the timeline as text');
    await shot(page, 'injection-session');

    assert.deepEqual(log.dialogs, [], 'no alert() ran');
    assert.deepEqual(log.requests.filter((u) => u.startsWith('http://127.0.0.1:9/')), [], 'the payload fetch never ran');
    assert.deepEqual(log.requests.filter((u) => new URL(u).pathname === '/x'), [], 'no <img src=x> was created');
    for (const [url] of visits) {
      await page.goto(`${fovea.url}${url}`);
      await page.waitForLoadState('networkidle');
      const bad = await page.evaluate(() => ({
        img: document.querySelectorAll('img[src="x"], img[onerror]').length,
        scripts: [...document.scripts].filter((s) => !s.src).length,
        js: [...document.querySelectorAll('a[href]')].filter((a) => !/^https?:$/.test(new URL(a.href, location.href).protocol)).length,
      }));
      assert.deepEqual(bad, { img: 0, scripts: 0, js: 0 }, url);
    }
    assert.deepEqual(log.dialogs, []);
    assert.deepEqual(log.csp, []);
    await context.close();
  });
});
