// Cost control end to end, on the store the suite runs with: sampling rules
// changed through the API apply from the next page load without touching
// the site; a sampled-out session sends nothing until it reaches a key
// page; over its daily quota an app's intake answers 429 and the SDK stops
// sending, on the next pages too; the usage API counts what was sent.
//
//   (cd sdk && npm ci && npm run build) && cargo build
//   cd e2e && npm ci && node --test sampling.test.mjs

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createApp, freePort, launchBrowser, leave, poll, startFovea } from './harness.mjs';

const SDK = readFileSync(new URL('../sdk/dist/fovea.min.js', import.meta.url), 'utf8');

let fovea;
let browser;
let site;

/** A site of plain pages carrying the SDK for the app whose key is in the query (`?k=`). */
async function startSite() {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const server = createServer((req, res) => {
    const url = new URL(req.url, origin);
    if (url.pathname == '/fovea.min.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      return res.end(SDK);
    }
    const key = url.searchParams.get('k');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html><head><meta charset="utf-8"><title>${url.pathname}</title>
<script src="/fovea.min.js"></script>
<script>Fovea.init({ endpoint: ${JSON.stringify(fovea.url)}, key: ${JSON.stringify(key)}, env: 'prod', release: '1' });</script>
</head><body><h1>${url.pathname}</h1><button>Buy</button></body></html>`);
  });
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  return { origin, close: () => server.close() };
}

/**
 * Opens `paths` one after another in one browser context, clicking on each
 * and sending what the SDK holds (then running `more(page)`); counts the
 * intake's answers.
 */
async function visit(app, paths, context, more) {
  const own = !context;
  context ??= await browser.newContext();
  const page = await context.newPage();
  const sent = { intake: [], config: 0 };
  page.on('response', (r) => {
    const u = r.url();
    if (u.includes('/api/v1/intake')) sent.intake.push(r.status());
    if (u.includes('/api/v1/sdk-config')) sent.config++;
  });
  for (const path of paths) {
    await page.goto(`${site.origin}${path}?k=${app.ingest_key}`);
    await page.click('button');
    // sent now, with fetch, whose answer the page sees (a beacon's, at the
    // leave, it does not; the SDK's own next send would be 5 s away)
    await page.evaluate(() => Fovea.flush());
    await more?.(page);
    await sleep(300);
  }
  const cookie = (await context.cookies(site.origin)).find((c) => c.name == 'fovea_s');
  if (own) await leave(page, context);
  else {
    await page.goto('about:blank');
    await sleep(500);
  }
  return { ...sent, session: cookie?.value.split('|')[0] };
}

const sampling = (app, body) => fovea.api(`/apps/${app.id}/sampling`, { method: 'PUT', body: JSON.stringify(body) });
const sessions = async (app) => (await fovea.api(`/apps/${app.id}/sessions`)).sessions;

before(async () => {
  fovea = await startFovea();
  browser = await launchBrowser();
  site = await startSite();
});

after(async () => {
  site?.close();
  await browser?.close();
  await fovea?.stop();
});

test('rules changed through the API apply from the next page load, without touching the site', async () => {
  const app = await createApp(fovea, { name: 'rules', origins: [site.origin] });
  await sampling(app, { default: { session_rate: 0, replay_rate: 0 } });
  const none = await visit(app, ['/', '/about']);
  assert.ok(none.config >= 1, 'the SDK asked for its configuration');
  assert.deepEqual(none.intake, [], 'a session sampled out at 0 % sends nothing');

  await sampling(app, { default: { session_rate: 100, replay_rate: 0 } });
  const all = await visit(app, ['/']);
  assert.ok(all.intake.length >= 1 && all.intake.every((s) => s == 202), JSON.stringify(all.intake));
  const stored = await poll(async () => (await sessions(app)).find((s) => s.id == all.session), {
    timeout: 30000,
    message: 'the session kept at 100 % is stored',
  });
  assert.ok(stored);
  assert.equal((await sessions(app)).length, 1, 'the sampled-out session left nothing');
});

test('a sampled-out session sends nothing until it reaches a key page, then is kept from there on', async () => {
  const app = await createApp(fovea, { name: 'key pages', origins: [site.origin] });
  await sampling(app, {
    rules: [{ match: { route: '/checkout*' }, session_rate: 0, keep: true }],
    default: { session_rate: 0, replay_rate: 0 },
  });
  const context = await browser.newContext();
  const before = await visit(app, ['/', '/products'], context);
  assert.deepEqual(before.intake, [], 'nothing before the key page');
  const after = await visit(app, ['/checkout', '/thanks'], context);
  await context.close();
  assert.equal(after.session, before.session, 'one session throughout');
  assert.ok(after.intake.length >= 1 && after.intake.every((s) => s == 202), JSON.stringify(after.intake));
  const detail = await poll(
    async () => {
      const d = await fovea.api(`/apps/${app.id}/sessions/${after.session}`).catch(() => null);
      const routes = new Set(d?.events.filter((e) => e.type == 'view').map((e) => e.route));
      return routes.has('/checkout') && routes.has('/thanks') && d;
    },
    { timeout: 30000, message: 'the key page and the page after it are stored' },
  );
  const routes = new Set(detail.events.map((e) => e.route));
  assert.ok(!routes.has('/') && !routes.has('/products'), `nothing from before the key page: ${[...routes]}`);
});

test('over its daily quota the intake answers 429 and the SDK stops sending, on the next pages too', async () => {
  const app = await createApp(fovea, { name: 'quota', origins: [site.origin] });
  await fovea.api(`/apps/${app.id}`, { method: 'PATCH', body: JSON.stringify({ daily_event_quota: 1 }) });
  const context = await browser.newContext();
  // on every page, one more action sent on its own: the second request of
  // the first page is over the quota; the later pages know it (the 429's
  // Retry-After, the config's quota_until) and send nothing
  const first = await visit(app, ['/', '/a', '/b'], context, (page) =>
    page.evaluate(() => {
      Fovea.addAction('more');
      return Fovea.flush();
    }),
  );
  assert.ok(first.intake.includes(202), `the first batch is within the quota: ${first.intake}`);
  assert.ok(first.intake.includes(429), `then the intake refuses: ${first.intake}`);
  assert.equal(first.intake.length, 2, `and the SDK sends nothing more: ${first.intake}`);
  const next = await visit(app, ['/c', '/d'], context);
  await context.close();
  assert.deepEqual(next.intake, [], 'the SDK remembers the refusal: no request until the next UTC day');
  const metrics = await (await fetch(`${fovea.url}/metrics`)).text();
  assert.match(metrics, new RegExp(`fovea_quota_exceeded\\{app="${app.id}",quota="events"\\} 1`));
});

test('the usage API counts what the browser sent, raw and extrapolated', async () => {
  const app = await createApp(fovea, { name: 'usage', origins: [site.origin] });
  const sent = [await visit(app, ['/', '/a']), await visit(app, ['/b'])];
  const ids = sent.map((s) => s.session);
  const details = await poll(
    async () => {
      const all = await Promise.all(ids.map((id) => fovea.api(`/apps/${app.id}/sessions/${id}`).catch(() => null)));
      return all.every((d) => d && d.events.filter((e) => e.type == 'action').length >= 1) && all;
    },
    { timeout: 30000, message: 'both sessions stored' },
  );
  const events = details.flatMap((d) => d.events);
  const count = (type) => events.filter((e) => e.type == type).length;
  const views = new Set(events.filter((e) => e.type == 'view').map((e) => e.view_id)).size;
  const day = Math.floor(Date.now() / 86_400_000) * 86_400_000;
  const usage = await fovea.api(`/apps/${app.id}/usage?from=${day}&to=${day + 86_400_000}`);
  const today = usage.days.at(-1);
  assert.equal(usage.extrapolated, false);
  assert.equal(today.sessions, 2);
  assert.equal(today.views, views);
  for (const type of ['action', 'error', 'resource', 'long_task']) assert.equal(today.events[type], count(type), type);
  assert.ok(usage.stored_bytes.views > 0 && usage.stored_bytes.events > 0, JSON.stringify(usage.stored_bytes));
  // Kept at 100 %: extrapolating changes nothing.
  const weighted = await fovea.api(`/apps/${app.id}/usage?from=${day}&to=${day + 86_400_000}&extrapolate=true`);
  assert.equal(weighted.extrapolated, true);
  assert.equal(weighted.days.at(-1).sessions, 2);
});
