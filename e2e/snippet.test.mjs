// The async snippet of docs/sdk.md (the recommended install) end to end: real
// Chromium on a plain page with nothing but the snippet, the real `fovea`
// server (which serves the SDK), assertions through the query API.
//
//   (cd sdk && npm ci && npm run build) && cargo build -p fovea
//   cd e2e && npm ci && node --test snippet.test.mjs
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { createApp, freePort, launchBrowser, leave, poll, startFovea } from './harness.mjs';

const DOCS = new URL('../docs/sdk.md', import.meta.url);
/** How long the SDK's response is held back: the page's own calls are made, and the page parsed, meanwhile. */
const SDK_DELAY_MS = 1500;

let fovea;
let browser;

before(async () => {
  fovea = await startFovea();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await fovea?.stop();
});

describe('the async snippet from docs/sdk.md', () => {
  test('pasted into a plain page, it never blocks parsing, and calls made before the SDK loads reach Fovea', async () => {
    // from the docs themselves, so that they cannot drift from what is tested
    const md = readFileSync(DOCS, 'utf8');
    const snippet = md.match(/<!-- async-snippet:start -->\s*```html\n([\s\S]*?)```\s*<!-- async-snippet:end -->/)?.[1];
    assert.ok(snippet, 'docs/sdk.md has the marked async snippet');
    assert.match(snippet, /<script src="https:\/\/fovea\.example\.com\/sdk\/fovea\.min\.js" async/, 'the snippet loads the SDK from the Fovea server, async');

    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const app = await createApp(fovea, { name: 'async-snippet', origins: [origin] });
    const filled = snippet.replaceAll('https://fovea.example.com', fovea.url).replaceAll('YOUR_INGEST_KEY', app.ingest_key);
    // the page's own code, right after the snippet: the SDK is not there yet
    const early = `<script>
  window.__early = { stub: Array.isArray(Fovea.q) };
  Fovea.setUser({ id: 'snippet-user', plan: 'pro' });
  Fovea.setContext('tenant', 'acme');
  Fovea.addAction('early checkout', { items: 3 });
  Fovea.startReplay();
  window.__early.queued = Fovea.q.length;
  document.addEventListener('DOMContentLoaded', () => (window.__early.parsed = !Array.isArray(Fovea.q) ? 'after the SDK' : 'before the SDK'));
</script>`;
    const html = `<!doctype html><html><head><meta charset="utf-8"><title>Plain</title>\n${filled}${early}</head><body><h1>A plain page</h1><p>Nothing but the snippet.</p><button>Buy</button></body></html>`;
    const server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(html);
    });
    await new Promise((r) => server.listen(port, '127.0.0.1', r));
    try {
      const context = await browser.newContext();
      const page = await context.newPage();
      const errors = [];
      page.on('pageerror', (e) => errors.push(e.message));
      const requested = [];
      page.on('request', (r) => requested.push(r.url()));
      // a slow network for the SDK alone (then the real answer from the Fovea server)
      await context.route(`${fovea.url}/sdk/fovea.min.js`, async (route) => {
        await sleep(SDK_DELAY_MS);
        await route.continue();
      });
      const start = Date.now();
      await page.goto(`${origin}/`, { waitUntil: 'domcontentloaded' });
      assert.ok(Date.now() - start < SDK_DELAY_MS, 'the page was parsed without waiting for the SDK');
      await page.waitForFunction(() => window.Fovea && !('q' in window.Fovea), null, { timeout: 15000 });
      const seen = await page.evaluate(() => ({ ...window.__early, keys: Object.keys(window.Fovea).sort() }));
      assert.deepEqual(seen, {
        stub: true,
        // init (in the snippet), setUser, setContext, addAction, startReplay
        queued: 5,
        parsed: 'before the SDK',
        keys: ['addAction', 'addError', 'flush', 'init', 'optOut', 'setConsent', 'setContext', 'setUser', 'startReplay', 'startView', 'stopReplay'],
      });
      // the SDK knew its own URL although it was loaded async (document.currentScript):
      // the replay chunk, asked for before it loaded, comes from beside it
      await poll(() => requested.includes(`${fovea.url}/sdk/fovea-replay.min.js`), { message: 'the replay chunk from beside the SDK' });
      await page.click('button');
      await page.evaluate(() => window.Fovea.flush());
      await page.waitForTimeout(500);
      const sid = (await context.cookies(origin)).find((c) => c.name === 'fovea_s')?.value.split('|')[0];
      assert.ok(sid, 'the SDK set its session cookie');
      await leave(page, context);
      assert.deepEqual(errors, [], 'no page error');

      const s = await poll(async () => {
        const r = await fovea.api(`/apps/${app.id}/sessions/${encodeURIComponent(sid)}`).catch(() => null);
        return r?.events.some((e) => e.type === 'action' && e.name === 'Buy') && r;
      }, { timeout: 30000, message: 'the async snippet page session' });
      assert.equal(s.session.user_id, 'snippet-user', 'setUser, called before the SDK loaded');
      const actions = s.events.filter((e) => e.type === 'action');
      const custom = actions.find((e) => e.name === 'early checkout');
      assert.ok(custom, JSON.stringify(actions));
      assert.equal(custom.action_type, 'custom');
      assert.deepEqual(custom.attrs, { user: { plan: 'pro' }, tenant: 'acme', items: 3 });
      assert.ok(s.events.some((e) => e.type === 'view' && e.url === `${origin}/`), 'the page view');
    } finally {
      server.close();
    }
  });
});
