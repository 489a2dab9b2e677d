// Session replay end to end: the SDK's rrweb chunk in real Chromium on the
// demo site, the real `fovea` server (DuckDB, or ClickHouse with
// FOVEA_E2E_STORE=clickhouse), the dashboard's player.
//
//   (cd sdk && npm ci && npm run build) && (cd dashboard && npm ci && npm run build) && cargo build
//   cd e2e && npm ci && node --test replay.test.mjs
//
// What it proves: what a user types is masked in the browser, so neither the
// API nor any file in the data dir (the spool holds uploads as sent) ever
// holds it; a session across two full page loads is one recording; the
// dashboard plays it in a sandbox where a recorded page's scripts, event
// handlers and javascript: URLs never run; the on-error mode uploads nothing
// until an error happens. Screenshots land in e2e/artifacts/.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { createApp, freePort, launchBrowser, leave, poll, startDemo, startFovea } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = path.join(here, 'artifacts');
fs.mkdirSync(ARTIFACTS, { recursive: true });

let fovea;
let app;
let demo;
let browser;
let hostile; // { url, close() }: a page without CSP whose DOM carries script payloads

/** A browser context on the demo whose SDK gets `options` (demo/site/init.js reads them). */
async function demoContext(options) {
  const context = await browser.newContext();
  await context.addInitScript(
    ([origin, json]) => {
      if (location.origin === origin) localStorage.setItem('demo_fovea', json);
    },
    [new URL(demo.url).origin, JSON.stringify(options)],
  );
  return context;
}

/** A page that records its page errors. */
async function recordedPage(context) {
  const page = await context.newPage();
  const log = { errors: [] };
  page.on('pageerror', (e) => log.errors.push(e.message));
  return { page, log };
}

/**
 * Replay segments the server has acknowledged so far, from /metrics: the
 * SDK sends with fetch and, when a page is left, with sendBeacon, which
 * Playwright's request events do not show.
 */
async function segmentsAccepted() {
  const text = await (await fovea.request('/metrics')).text();
  const line = text.split('\n').find((l) => l.startsWith('fovea_replay_segments_accepted_total '));
  return line ? Number(line.split(' ')[1]) : 0;
}

/** The Fovea session id of a context (the SDK's first-party cookie). */
async function sessionId(context, url) {
  const c = (await context.cookies(url)).find((x) => x.name === 'fovea_s');
  assert.ok(c, 'the SDK set its session cookie');
  return c.value.split('|')[0];
}

/** Every rrweb event of a session's replay, through the API, in index order. */
async function recording(sid) {
  const { segments } = await fovea.api(`/apps/${app.id}/sessions/${sid}/replay`);
  const events = [];
  for (const s of segments) events.push(...(await fovea.api(`/apps/${app.id}/sessions/${sid}/replay/${s.index}`)));
  return { segments, events };
}

/** Paths of every file under `dir`. */
function filesUnder(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : [p];
  });
}

async function login(page, next) {
  await page.goto(`${fovea.url}/login?next=${encodeURIComponent(next)}`);
  await page.fill('input[name=username]', 'admin');
  await page.fill('input[name=password]', fovea.password);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.click('button[type=submit]')]);
}

/** The page a recording plays in: rrweb's iframe inside the player. */
async function replayFrame(page) {
  const iframe = page.locator('[data-testid="replay-player"] iframe');
  await iframe.waitFor({ state: 'attached', timeout: 20000 });
  const handle = await iframe.elementHandle();
  return { iframe, frame: await handle.contentFrame() };
}

/** The player's play/pause button, by its accessible name. */
const playButton = (page, name) => page.locator('[data-testid="replay-player"]').getByRole('button', { name, exact: true });

/** Serves one hostile page that loads the SDK (and so its replay chunk) from the Fovea server. */
function serveHostile(port) {
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>hostile</title>
<script src="${fovea.url}/sdk/fovea.min.js"></script>
<script src="/init.js"></script></head>
<body><h1>Hostile page</h1>
<p>Recorded payloads follow.</p>
<img id="img" src="/missing.png" onerror="top.__pwned = 'img onerror'" alt="broken">
<a id="js" href="javascript:top.__pwned='javascript url'">a javascript: link</a>
<div onmouseover="top.__pwned='mouseover'">hover me</div>
<iframe id="srcdoc" srcdoc="<script>top.__pwned='srcdoc script'</script>"></iframe>
<script>window.__pageScriptRan = (window.__pageScriptRan || 0) + 1; top.__inline = 1;</script>
</body></html>`;
  const init = `Fovea.init({ endpoint: ${JSON.stringify(fovea.url)}, key: ${JSON.stringify(app.ingest_key)},
  replaySampleRate: 100, flushInterval: 1000 });`;
  const server = createServer((req, res) => {
    const p = new URL(req.url, 'http://x').pathname;
    if (p === '/init.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(init);
    if (p === '/') return res.writeHead(200, { 'content-type': 'text/html' }).end(html);
    res.writeHead(404).end();
  });
  return new Promise((resolve) =>
    server.listen(port, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${port}/`, close: () => server.close() })),
  );
}

before(async () => {
  fovea = await startFovea();
  app = await createApp(fovea, 'replay', ['*']);
  demo = await startDemo({ fovea, key: app.ingest_key, sessions: 0 });
  browser = await launchBrowser();
  hostile = await serveHostile(await freePort());
});

after(async () => {
  await browser?.close();
  hostile?.close();
  await demo?.stop();
  await fovea?.stop();
});

describe('session replay', () => {
  test('typed text is masked in the browser: the API and the data dir never hold it; two page loads are one recording', async () => {
    const context = await demoContext({ replaySampleRate: 100 });
    const { page, log } = await recordedPage(context);
    const tag = randomUUID().slice(0, 8);
    const secrets = {
      name: `Zebulon${tag}`,
      password: `Pw${tag}secret`,
      notes: `Notes${tag}`,
      gift: `Gift${tag}`,
    };
    await page.goto(`${demo.url}/checkout`, { waitUntil: 'load' });
    await page.fill('#name', secrets.name);
    await page.fill('#card', '4111 1111 1111 1111');
    await page.fill('#password', secrets.password);
    await page.fill('#notes', secrets.notes);
    await page.click('#gift');
    await page.keyboard.type(secrets.gift);
    await page.click('#place-order');
    await page.waitForTimeout(1500);
    // A second full page load of the same session.
    await page.goto(`${demo.url}/products`, { waitUntil: 'load' });
    await page.waitForTimeout(1500);
    const sid = await sessionId(context, demo.url);
    await leave(page, context);
    assert.deepEqual(log.errors, [], 'the recorder threw nothing into the page');

    const { segments, events } = await poll(
      async () => {
        const r = await recording(sid);
        const pages = r.events.filter((e) => e.type === 4).map((e) => new URL(e.data.href).pathname);
        return pages.includes('/checkout') && pages.includes('/products') ? r : null;
      },
      { timeout: 30000, message: 'a recording of both page loads' },
    );
    assert.deepEqual(
      segments.map((s) => s.index),
      segments.map((_, i) => i),
      'one recording: the second page went on numbering the segments of the session',
    );
    assert.ok(segments.filter((s) => s.full_snapshot).length >= 2, 'each page load starts with a full snapshot');
    for (let i = 1; i < events.length; i++) assert.ok(events[i].timestamp >= events[i - 1].timestamp - 1000, 'in time order');
    const text = JSON.stringify(events);
    assert.ok(text.includes('Checkout'), 'the page text is recorded (mask-inputs keeps text visible)');
    for (const [field, value] of Object.entries(secrets)) assert.ok(!text.includes(value), `typed ${field} is not in the replay`);
    // Not a bare '4111': timestamps and node ids in the JSON contain it by chance.
    assert.ok(!/4111[ -]?1111/.test(text), 'the card number is not in the replay');
    assert.ok(!text.includes('12 Example Street'), 'data-fovea-privacy="mask" text is masked');
    assert.ok(!text.includes('Third-party payment widget'), 'data-fovea-privacy="block" content is not recorded');

    const detail = await fovea.api(`/apps/${app.id}/sessions/${sid}`);
    assert.equal(detail.session.has_replay, true);

    // Every file of the data dir, raw: the spool keeps uploads as the browser sent them.
    const files = filesUnder(fovea.dataDir);
    assert.ok(files.length > 0);
    for (const f of files) {
      const bytes = fs.readFileSync(f);
      for (const value of [...Object.values(secrets), '4111 1111']) {
        assert.ok(!bytes.includes(value), `${path.relative(fovea.dataDir, f)} holds typed text ${value}`);
      }
    }
  });

  test('the dashboard plays a recording in a sandbox where its scripts, handlers and javascript: URLs never run', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(hostile.url, { waitUntil: 'load' });
    await page.hover('text=hover me');
    await page.waitForTimeout(1500);
    const sid = await sessionId(context, hostile.url);
    await leave(page, context);
    // The chunk came from the Fovea server (/sdk/), imported across origins.
    await poll(async () => (await fovea.api(`/apps/${app.id}/sessions/${sid}/replay`)).segments.some((s) => s.full_snapshot), {
      timeout: 30000,
      message: 'the hostile page recorded',
    });

    const viewer = await browser.newContext();
    const dash = await viewer.newPage();
    const dialogs = [];
    const cspViolations = [];
    dash.on('dialog', (d) => {
      dialogs.push(d.message());
      d.dismiss().catch(() => {});
    });
    dash.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text()) && /script-src/.test(m.text())) cspViolations.push(m.text());
    });
    await login(dash, `/apps/${app.id}/sessions/${sid}`);
    await dash.waitForURL((u) => u.pathname === `/apps/${app.id}/sessions/${sid}`);
    const { iframe, frame } = await replayFrame(dash);
    const sandbox = await iframe.getAttribute('sandbox');
    assert.ok(sandbox !== null && !/allow-scripts/.test(sandbox), `the replay iframe is sandboxed without scripts: ${sandbox}`);
    await poll(async () => /Hostile page/.test(await frame.evaluate(() => document.body?.innerText ?? '')), {
      timeout: 20000,
      message: 'the recorded page rendered in the player',
    });
    await playButton(dash, 'Play').click();
    await dash.waitForTimeout(3000);
    await dash.screenshot({ path: path.join(ARTIFACTS, 'replay-hostile.png'), fullPage: true });
    // Hover over and click what the recording holds, as a curious viewer would.
    await frame.locator('#js').click({ force: true }).catch(() => {});
    await frame.locator('#img').hover({ force: true }).catch(() => {});
    await dash.waitForTimeout(500);

    assert.deepEqual(dialogs, []);
    assert.equal(await dash.evaluate(() => window.__pwned ?? null), null, 'no payload ran in the dashboard');
    assert.equal(await dash.evaluate(() => window.__inline ?? null), null, 'the recorded inline script did not run');
    assert.equal(await frame.evaluate(() => window.__pageScriptRan ?? null), null, 'no script ran in the replay frame');
    assert.equal(await frame.evaluate(() => document.querySelectorAll('script').length), 0, 'recorded scripts are not rebuilt as scripts');
    const handlers = await frame.evaluate(() =>
      [...document.querySelectorAll('*')].flatMap((e) => [...e.attributes].map((a) => a.name)).filter((n) => n.startsWith('on')),
    );
    assert.deepEqual(handlers, [], 'no event-handler attribute reached the player');
    assert.deepEqual(cspViolations, [], 'the player needs no script exception to the CSP');
    await viewer.close();
  });

  test('the replay plays in the dashboard: the player shows the recorded page and moves', async () => {
    const context = await demoContext({ replaySampleRate: 100 });
    const { page } = await recordedPage(context);
    await page.goto(`${demo.url}/`, { waitUntil: 'load' });
    await page.click('#newsletter');
    await page.waitForTimeout(6000); // more than one segment
    await page.click('a[href="/products"]');
    await page.waitForLoadState('load');
    await page.waitForTimeout(1000);
    const sid = await sessionId(context, demo.url);
    await leave(page, context);
    await poll(async () => (await fovea.api(`/apps/${app.id}/sessions/${sid}/replay`)).segments.length >= 2, {
      timeout: 30000,
      message: 'segments stored',
    });

    const viewer = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const dash = await viewer.newPage();
    const errors = [];
    dash.on('pageerror', (e) => errors.push(e.message));
    await login(dash, `/apps/${app.id}/sessions`);
    // The sessions list marks the session as having a replay.
    const row = dash.locator(`tr:has(a[href$="/sessions/${sid}"])`).first();
    await row.waitFor({ timeout: 20000 });
    assert.match(await row.innerText(), /replay/i);
    await dash.goto(`${fovea.url}/apps/${app.id}/sessions/${sid}`);
    const { frame } = await replayFrame(dash);
    await poll(async () => /Summer sale/.test(await frame.evaluate(() => document.body?.innerText ?? '')), {
      timeout: 20000,
      message: 'the home page rendered in the player',
    });
    const slider = dash.locator('[data-testid="replay-player"] input[type="range"]');
    const before = Number(await slider.inputValue());
    await playButton(dash, 'Play').click();
    await poll(async () => Number(await slider.inputValue()) > before, { timeout: 15000, message: 'the playhead moved' });
    await playButton(dash, 'Pause').waitFor();
    await dash.waitForTimeout(1000);
    await dash.screenshot({ path: path.join(ARTIFACTS, 'replay.png'), fullPage: true });
    assert.deepEqual(errors, []);
    await viewer.close();
  });

  test('on-error mode uploads nothing before an error, then the minute before it', async () => {
    const context = await demoContext({ replaySampleRate: 0, replayOnErrorSampleRate: 100 });
    const { page } = await recordedPage(context);
    const accepted = await segmentsAccepted();
    await page.goto(`${demo.url}/lab`, { waitUntil: 'load' });
    await page.click('#slow').catch(() => {});
    await page.waitForTimeout(7000); // past the 5 s segment period
    const sid = await sessionId(context, demo.url);
    assert.equal(await segmentsAccepted(), accepted, 'nothing uploaded before an error');
    assert.deepEqual((await fovea.api(`/apps/${app.id}/sessions/${sid}/replay`)).segments, []);

    const errorAt = Date.now();
    await page.click('#throw');
    await poll(async () => (await segmentsAccepted()) > accepted, { timeout: 15000, message: 'an upload after the error' });
    await page.waitForTimeout(1000);
    await leave(page, context);
    const { segments, events } = await poll(
      async () => {
        const r = await recording(sid);
        return r.segments.length ? r : null;
      },
      { timeout: 30000, message: 'the buffered recording stored' },
    );
    assert.ok(segments[0].full_snapshot, 'the buffer starts with a full snapshot');
    assert.ok(segments[0].start < errorAt - 5000, 'it holds the time before the error');
    assert.ok(errorAt - segments[0].start <= 65000, 'at most about a minute before it');
    assert.ok(events.some((e) => e.type === 4 && new URL(e.data.href).pathname === '/lab'));
  });
});
