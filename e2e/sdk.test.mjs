// The browser SDK end to end: real Chromium on the demo site, the real
// `fovea` server, assertions through the query API (docs/api.md).
//
//   (cd sdk && npm ci && npm run build) && cargo build -p fovea
//   cd e2e && npm ci && node --test sdk.test.mjs
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { createApp, freePort, launchBrowser, leave, poll, startDemo, startFovea } from './harness.mjs';

const SDK_FILE = new URL('../sdk/dist/fovea.min.js', import.meta.url);
const DOCS = new URL('../docs/sdk.md', import.meta.url);
const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;

let fovea;
let app;
let demo;
let browser;

/** The Fovea session id of a browser context (the SDK's first-party cookie). */
async function sessionId(context, url) {
  const c = (await context.cookies(url)).find((x) => x.name === 'fovea_s');
  assert.ok(c, 'the SDK set its session cookie');
  return c.value.split('|')[0];
}

/** A page that records CSP violations and uncaught page errors. */
async function recordedPage(context) {
  const page = await context.newPage();
  const log = { csp: [], errors: [] };
  page.on('pageerror', (e) => log.errors.push(e.message));
  page.on('console', (m) => {
    if (m.text().startsWith('csp-violation ')) log.csp.push(m.text());
  });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      console.log(`csp-violation ${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`),
    );
  });
  return { page, log };
}

/** The latest version of every view, from a session's events. */
const viewsOf = (events) => {
  const m = new Map();
  for (const e of events.filter((x) => x.type === 'view')) if (!m.has(e.view_id) || (m.get(e.view_id).version ?? 0) < (e.version ?? 0)) m.set(e.view_id, e);
  return [...m.values()];
};

before(async () => {
  fovea = await startFovea();
  const port = await freePort();
  app = await createApp(fovea, 'sdk-e2e', [`http://127.0.0.1:${port}`]);
  demo = await startDemo({ fovea, key: app.ingest_key, port });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await demo?.stop();
  await fovea?.stop();
});

describe('browser SDK on the demo site', () => {
  let sid;
  let session; // GET /sessions/{id}
  let traceparent; // what /api/slow saw
  let pageErrors;

  before(async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const { page, log } = await recordedPage(context);
    pageErrors = log.errors;
    const d = demo.url;

    // page 1: home (LCP image), a named action
    await page.goto(`${d}/`);
    await page.waitForFunction(() => document.getElementById('hero').complete);
    await page.waitForTimeout(500);
    await page.click('#newsletter');

    // page 2: products, "add to cart" (data-fovea-action) through XHR
    await page.goto(`${d}/products`);
    await page.waitForSelector('#products button');
    await page.click('#products .card:first-child button');
    await page.waitForFunction(() => document.getElementById('cart-count').textContent === '1');

    // page 3: the error lab
    await page.goto(`${d}/lab`);
    await page.waitForSelector('#promo'); // the late banner: a layout shift
    for (const id of ['throw', 'reject', 'broken-image', 'fetch-500', 'fetch-down', 'xhr-500', 'console-error', 'custom-error', 'custom-action']) {
      await page.click(`#${id}`);
      await page.waitForTimeout(150);
    }
    await page.click('#traced');
    await page.waitForFunction(() => /server saw traceparent 00-/.test(document.getElementById('log').textContent));
    traceparent = (await page.textContent('#log')).match(/server saw traceparent (00-[0-9a-f-]+)/)[1];
    await page.click('#slow'); // 350 ms handler: INP
    await page.waitForTimeout(1200);
    for (let i = 0; i < 4; i++) await page.click('#rage', { delay: 10 }); // rage
    await page.waitForTimeout(1200);
    await page.click('#dead'); // dead
    await page.waitForTimeout(1300);

    // page 4: the SPA, three client-side routes
    await page.goto(`${d}/spa/`);
    await page.waitForSelector('#view h1');
    await page.click('a[href="/spa/orders"]');
    await page.waitForSelector('a[href="/spa/orders/42"]:not(nav a)');
    await page.click('#view a[href="/spa/orders/42"]');
    await page.waitForSelector('#view h1:text("Order #42")');
    await page.click('a[href="/spa/settings"]');
    await page.waitForSelector('#save');
    await page.waitForTimeout(500);

    sid = await sessionId(context, d);
    await leave(page, context); // pagehide: final view updates by sendBeacon

    session = await poll(
      async () => {
        const s = await fovea.api(`/apps/${app.id}/sessions/${sid}`);
        const views = viewsOf(s.events);
        const done = views.some((v) => v.route === '/spa/settings') && s.events.some((e) => e.type === 'action' && e.frustration?.includes('dead'));
        return done && s;
      },
      { timeout: 45000, message: `session ${sid} with all its events` },
    );
  });

  test('one session spans the four pages and the SPA routes', async () => {
    const views = viewsOf(session.events);
    const paths = views.map((v) => new URL(v.url).pathname);
    for (const p of ['/', '/products', '/lab', '/spa/', '/spa/orders', '/spa/orders/42', '/spa/settings']) assert.ok(paths.includes(p), `view of ${p} in ${paths}`);
    assert.deepEqual(
      views.filter((v) => v.loading_type === 'route_change').map((v) => v.route),
      ['/spa/orders', '/spa/orders/:id', '/spa/settings'],
      'SPA views carry the routeName given at init',
    );
    assert.equal(views.filter((v) => v.loading_type === 'initial_load').length, 4);
    const list = await fovea.api(`/apps/${app.id}/sessions?limit=50`);
    const s = list.sessions.find((x) => x.id === sid);
    assert.ok(s, 'the session is listed');
    assert.equal(s.views, 7);
    assert.ok(s.errors >= 8, `errors ${s.errors}`);
    assert.ok(s.frustrations >= 2, `frustrations ${s.frustrations}`);
    assert.equal(new URL(s.first_url).pathname, '/');
    assert.equal(s.browser, 'Chrome');
    assert.equal(s.device, 'desktop');
  });

  test('page loads carry LCP, FCP, CLS, TTFB and Navigation Timing; INP where there was an interaction', () => {
    const views = viewsOf(session.events);
    const loads = views.filter((v) => v.loading_type === 'initial_load');
    for (const v of loads) {
      for (const k of ['fcp', 'lcp', 'ttfb', 'dcl', 'load']) assert.ok(typeof v[k] === 'number' && v[k] >= 0, `${k} of ${v.url}: ${v[k]}`);
      assert.ok(typeof v.cls === 'number', `cls of ${v.url}`);
      assert.ok(v.lcp >= v.fcp, `lcp ${v.lcp} >= fcp ${v.fcp} on ${v.url}`);
      assert.ok(v.time_spent > 0, `time_spent of ${v.url}`);
    }
    const home = loads.find((v) => new URL(v.url).pathname === '/');
    assert.equal(home.lcp_element, '#hero', 'the hero image is the LCP element');
    assert.match(home.lcp_resource_url, /\/img\/hero\.svg$/);
    const lab = loads.find((v) => new URL(v.url).pathname === '/lab');
    assert.ok(lab.cls > 0, `the late banner shifts the lab page: cls ${lab.cls}`);
    assert.match(lab.cls_target ?? '', /lab/, `cls_target ${lab.cls_target}`);
    assert.ok(lab.inp >= 300, `the 350 ms handler is the lab's INP: ${lab.inp}`);
    assert.equal(lab.inp_type, 'pointer');
    assert.ok(lab.inp_target, 'inp_target');
    assert.ok(lab.error_count >= 8 && lab.action_count >= 10 && lab.frustration_count >= 2, JSON.stringify(lab));
    // SPA routes measured as soft navigations (Chromium): their own FCP/LCP
    const routes = views.filter((v) => v.loading_type === 'route_change');
    assert.ok(routes.some((v) => typeof v.lcp === 'number'), 'route views have soft-navigation LCP');
    assert.ok(routes.every((v) => v.ttfb == null), 'no TTFB on route views');
  });

  test('every error kind is stored, and grouped into issues', async () => {
    const errors = session.events.filter((e) => e.type === 'error');
    const has = (pred, what) => assert.ok(errors.some(pred), `${what} in ${JSON.stringify(errors.map((e) => [e.source, e.kind, e.message]))}`);
    has((e) => e.source === 'source' && e.kind === 'TypeError' && /reading 'total'/.test(e.message) && /demo\.js/.test(e.stack), 'uncaught TypeError with stack');
    has((e) => e.source === 'source' && e.message === 'checkout service unavailable', 'unhandled rejection');
    has((e) => e.source === 'resource' && /missing\.png/.test(e.resource_url), 'broken image');
    has((e) => e.source === 'network' && e.status === 500 && /\/api\/fail/.test(e.resource_url), 'fetch 500');
    has((e) => e.source === 'network' && e.status === 0 && /127\.0\.0\.1:9/.test(e.resource_url), 'network failure');
    has((e) => e.source === 'network' && e.status === 500 && /via=xhr/.test(e.resource_url), 'XHR 500');
    has((e) => e.source === 'console' && /payment widget failed/.test(e.message), 'console.error');
    has((e) => e.source === 'custom' && e.kind === 'SyntaxError' && e.handled === true, 'addError');
    assert.ok(!errors.some((e) => /token=secret/.test(JSON.stringify(e))), 'query values are scrubbed');

    const { issues } = await fovea.api(`/apps/${app.id}/issues`);
    const sources = new Set(issues.map((i) => i.source));
    for (const s of ['source', 'resource', 'network', 'console', 'custom']) assert.ok(sources.has(s), `an issue of source ${s}: ${[...sources]}`);
    const te = issues.find((i) => i.kind === 'TypeError');
    assert.ok(te && te.count >= 1 && te.sessions >= 1, JSON.stringify(te));
    assert.deepEqual(
      [...pageErrors].sort(),
      ["Cannot read properties of undefined (reading 'total')", 'checkout service unavailable'],
      'the page saw the two errors the lab throws on purpose, and none from the SDK',
    );
  });

  test('named actions, a rage click, a dead click and an error click', () => {
    const actions = session.events.filter((e) => e.type === 'action');
    const named = (n) => actions.find((a) => a.name === n);
    assert.equal(named('open newsletter')?.action_type, 'click', 'data-fovea-action on the home page');
    assert.equal(named('add to cart')?.action_type, 'click');
    assert.equal(named('newsletter signup')?.action_type, 'custom');
    assert.equal(named('coupon viewed')?.action_type, 'custom');
    assert.deepEqual(named('coupon viewed').attrs, { coupon: 'SPRING' });
    const rage = named('Apply coupon');
    assert.ok(rage?.frustration?.includes('rage'), `rage: ${JSON.stringify(rage)}`);
    assert.match(rage.target, /button#rage/);
    const dead = actions.find((a) => /Shipping information/.test(a.name ?? ''));
    assert.deepEqual(dead?.frustration, ['dead'], `dead: ${JSON.stringify(dead)}`);
    const thrown = named('Throw a TypeError (uncaught)');
    assert.ok(thrown?.frustration?.includes('error'), `error click: ${JSON.stringify(thrown)}`);
    assert.ok(typeof thrown.x === 'number' && typeof thrown.y === 'number');
  });

  test('the actions API lists the frustration hot spots with example sessions', async () => {
    const { actions } = await fovea.api(`/apps/${app.id}/actions?order=frustration`);
    const rage = actions.find((a) => a.name === 'Apply coupon');
    assert.ok(rage, JSON.stringify(actions));
    assert.ok(rage.rage >= 1 && rage.frustrated >= 1 && rage.frustration_rate > 0);
    assert.match(rage.target, /button#rage/);
    // an example session is one where it happened, frustrated
    const example = await fovea.api(`/apps/${app.id}/sessions/${encodeURIComponent(rage.example_sessions[0])}`);
    assert.ok(example.events.some((e) => e.type === 'action' && e.name === 'Apply coupon' && e.frustration?.includes('rage')));
    assert.ok(actions.every((a) => a.frustrated > 0), 'hot spots are frustrated actions only');
    const { actions: used } = await fovea.api(`/apps/${app.id}/actions`);
    assert.ok(used.some((a) => a.name === 'add to cart'), 'calm actions are listed too');
    assert.ok(used.every((a, i) => i === 0 || used[i - 1].count >= a.count), 'most used first');
  });

  test('fetch and XHR resources carry method, status and the propagated trace ids', async () => {
    const res = session.events.filter((e) => e.type === 'resource');
    const [, traceId, spanId] = traceparent.split('-');
    const slow = res.find((r) => /\/api\/slow/.test(r.resource_url));
    assert.ok(slow, 'the traced fetch is a resource');
    assert.equal(slow.kind, 'fetch');
    assert.equal(slow.method, 'GET');
    assert.equal(slow.status, 200);
    assert.equal(slow.trace_id, traceId, 'the trace id the server received');
    assert.equal(slow.span_id, spanId);
    assert.ok(slow.duration >= 380, `duration ${slow.duration}`);
    const xhr = res.find((r) => r.kind === 'xhr' && /cart=add/.test(r.resource_url));
    assert.equal(xhr?.method, 'POST');
    assert.match(xhr.trace_id, HEX32);
    assert.match(xhr.span_id, HEX16);
    const down = res.find((r) => /127\.0\.0\.1:9/.test(r.resource_url));
    assert.ok(down, 'the failed request is a resource');
    assert.equal(down.trace_id ?? null, null, 'URLs outside allowedTracingUrls get no traceparent');
    assert.ok(res.some((r) => r.kind === 'document'), 'navigations are document resources');
    assert.ok(res.some((r) => r.kind === 'img' && /hero\.svg/.test(r.resource_url) && r.duration > 0), 'Resource Timing images');
    assert.ok(res.some((r) => r.kind === 'script' && /fovea\.min\.js/.test(r.resource_url)));

    const slowest = await fovea.api(`/apps/${app.id}/resources?order=slowest&kind=fetch`);
    assert.ok(slowest.resources.some((r) => /\/api\/slow$/.test(r.url) && r.method === 'GET'), JSON.stringify(slowest.resources.slice(0, 5)));
    const failing = await fovea.api(`/apps/${app.id}/resources?order=failing`);
    const fail = failing.resources.find((r) => /\/api\/fail$/.test(r.url));
    assert.ok(fail && fail.failures >= 1, JSON.stringify(failing.resources.slice(0, 5)));
  });

  test('the vitals endpoints see the SDK views', async () => {
    const lcp = await fovea.api(`/apps/${app.id}/vitals?metric=lcp&p=75&by=page`);
    const keys = lcp.groups.map((g) => g.key);
    for (const k of ['/', '/products', '/lab', '/spa/']) assert.ok(keys.includes(k), `LCP group ${k} in ${keys}`);
    for (const metric of ['fcp', 'ttfb', 'cls', 'inp', 'load']) {
      const r = await fovea.api(`/apps/${app.id}/vitals?metric=${metric}&by=none`);
      assert.ok(r.groups[0]?.count >= 1, `${metric}: ${JSON.stringify(r)}`);
    }
  });
});

describe('back/forward cache', () => {
  test('a page restored from the bfcache is a bf_cache view with its own paint timings', async () => {
    // playwright turns the bfcache off by default; this browser keeps it
    const bfBrowser = await launchBrowser({ ignoreDefaultArgs: ['--disable-back-forward-cache'] });
    try {
      const context = await bfBrowser.newContext();
      const page = await context.newPage();
      await page.goto(`${demo.url}/`);
      await page.waitForTimeout(800);
      await page.goto(`${demo.url}/products`);
      await page.waitForTimeout(800);
      await page.goBack({ waitUntil: 'commit' });
      await page.waitForTimeout(1000);
      const restored = await page.evaluate(() => performance.getEntriesByType('navigation')[0].type);
      const sid = await sessionId(context, demo.url);
      await leave(page, context);
      const s = await poll(async () => {
        const r = await fovea.api(`/apps/${app.id}/sessions/${sid}`);
        return viewsOf(r.events).some((v) => v.loading_type === 'bf_cache' && typeof v.fcp === 'number') && r;
      }, { timeout: 30000, message: `a bf_cache view (navigation type ${restored})` });
      const views = viewsOf(s.events);
      assert.deepEqual(
        views.map((v) => [v.loading_type, new URL(v.url).pathname]),
        [
          ['initial_load', '/'],
          ['initial_load', '/products'],
          ['bf_cache', '/'],
        ],
      );
      const bf = views[2];
      assert.ok(bf.lcp >= bf.fcp && bf.fcp >= 0, JSON.stringify(bf));
    } finally {
      await bfBrowser.close();
    }
  });
});

describe('the script-tag snippet from docs/sdk.md', () => {
  test('pasted into a plain page, it sends data that appears in Fovea', async () => {
    const md = readFileSync(DOCS, 'utf8');
    const snippet = md.match(/<!-- snippet:start -->\s*```html\n([\s\S]*?)```\s*<!-- snippet:end -->/)?.[1];
    assert.ok(snippet, 'docs/sdk.md has the marked snippet');
    assert.match(snippet, /src="https:\/\/fovea\.example\.com\/sdk\/fovea\.min\.js"/, 'the snippet loads the SDK from the Fovea server');

    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const plain = await createApp(fovea, { name: 'snippet', origins: [origin] });
    const html = `<!doctype html><html><head><meta charset="utf-8"><title>Plain</title>\n${snippet
      .replaceAll('https://fovea.example.com', fovea.url)
      .replaceAll('YOUR_INGEST_KEY', plain.ingest_key)}</head><body><h1>A plain page</h1><p>Nothing but the snippet.</p><button>Buy</button></body></html>`;
    const server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(html);
    });
    await new Promise((r) => server.listen(port, '127.0.0.1', r));
    try {
      // the server embeds the SDK build it was compiled with
      const served = await fetch(`${fovea.url}/sdk/fovea.min.js`);
      assert.equal(served.status, 200);
      assert.equal(await served.text(), readFileSync(SDK_FILE, 'utf8'), 'GET /sdk/fovea.min.js is this checkout\'s build');
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${origin}/`);
      await page.click('button');
      // an aborted fetch and a no-cors one (an opaque answer from another origin): no failures
      await page.evaluate(async (other) => {
        const c = new AbortController();
        const aborted = fetch('/aborted', { signal: c.signal }).catch(() => 0);
        c.abort();
        await aborted;
        await fetch(`${other}/healthz`, { mode: 'no-cors' });
      }, fovea.url);
      await page.waitForTimeout(1200);
      // a URL with an id: no routeName on this page, so the server groups it under its template
      await page.goto(`${origin}/orders/1234/items?ref=mail`);
      await page.waitForTimeout(500);
      const sid = await sessionId(context, origin);
      await leave(page, context);
      const s = await poll(async () => {
        const r = await fovea.api(`/apps/${plain.id}/sessions/${sid}`);
        const views = viewsOf(r.events);
        const fetches = r.events.filter((e) => e.type === 'resource' && e.kind === 'fetch').length;
        return views.length === 2 && fetches >= 2 && views.some((v) => typeof v.fcp === 'number') && r.events.some((e) => e.type === 'action') && r;
      }, { timeout: 30000, message: 'the snippet page session' });
      const [v, order] = viewsOf(s.events);
      assert.equal(v.url, `${origin}/`);
      assert.equal(s.events.find((e) => e.type === 'action').name, 'Buy');
      assert.equal(order.route, '/orders/:id/items');
      assert.equal(order.url, `${origin}/orders/1234/items?ref=mail`, 'the URL keeps the id');
      const fetched = s.events.filter((e) => e.type === 'resource' && e.kind === 'fetch');
      const aborted = fetched.find((e) => e.resource_url.endsWith('/aborted'));
      const opaque = fetched.find((e) => e.resource_url.endsWith('/healthz'));
      assert.ok(aborted && opaque, JSON.stringify(fetched));
      assert.equal(aborted.status ?? null, null, 'an aborted request has no status');
      assert.equal(opaque.status ?? null, null, 'an opaque response has no status');
      assert.ok(!s.events.some((e) => e.type === 'error' && e.source === 'network'), 'neither is a network error');
      const failing = await fovea.api(`/apps/${plain.id}/resources?order=failing`);
      assert.deepEqual(failing.resources.filter((r) => r.failures > 0), [], 'nothing counts as failing');
      const pages = await fovea.api(`/apps/${plain.id}/vitals?metric=fcp&by=page`);
      assert.ok(pages.groups.some((g) => g.key === '/orders/:id/items'), JSON.stringify(pages.groups));
    } finally {
      server.close();
    }
  });
});

describe('strict CSP', () => {
  test('no CSP violation and no SDK page error, on a Trusted Types page and on every demo page', async () => {
    const context = await browser.newContext();
    const { page, log } = await recordedPage(context);
    await page.goto(`${demo.url}/csp.html`);
    await page.waitForTimeout(300);
    await page.click('#csp-fetch');
    await page.waitForFunction(() => /traceparent 00-/.test(document.getElementById('log').textContent));
    await page.click('#csp-action');
    await page.click('#csp-route');
    await page.waitForTimeout(1200);
    const sid = await sessionId(context, demo.url);
    for (const p of ['/', '/products', '/spa/', '/lab']) {
      await page.goto(demo.url + p);
      await page.waitForTimeout(700);
    }
    await leave(page, context);
    assert.deepEqual(log.csp, [], 'no CSP violation');
    assert.deepEqual(log.errors, [], 'no page error');
    // and it all arrived, under the strictest policy
    let last;
    const s = await poll(async () => {
      const r = await fovea.api(`/apps/${app.id}/sessions/${sid}`).catch((e) => ({ events: [], e: String(e) }));
      last = r;
      return r.events.some((e) => e.type === 'action' && e.name === 'csp custom action') && viewsOf(r.events).length >= 6 && r;
    }, { timeout: 30000, message: 'the CSP session' }).catch((e) => {
      // What did arrive, to tell a lost beacon from a slow store.
      const views = last.e ?? viewsOf(last.events).map((v) => [v.url, v.version, v.loading_type]);
      const actions = last.events?.filter((x) => x.type == 'action').map((x) => x.name);
      throw new Error(`${e.message}: session ${sid}, views ${JSON.stringify(views)}, actions ${JSON.stringify(actions)}`);
    });
    const traced = s.events.find((e) => e.type === 'resource' && /from=csp/.test(e.resource_url));
    assert.match(traced?.trace_id ?? '', HEX32);
    assert.ok(viewsOf(s.events).some((v) => new URL(v.url).pathname === '/csp-step-2' && v.loading_type === 'route_change'));
  });
});
