// RUM ↔ APM end to end: the demo's backend instrumented with the
// OpenTelemetry Node SDK (demo/tracing.mjs) exports its spans over OTLP to
// the real server with the app's server key; real Chromium runs the SDK,
// which sends `traceparent` to the demo's API and reads the page load's
// trace from `Server-Timing`.
//
//   cargo build && (cd sdk && npm ci && npm run build) && (cd demo && npm ci)
//   cd e2e && npm ci && node --test tracing.test.mjs
//
// What it proves: the backend's server span is a child of the browser
// request's span; the trace endpoint returns both the RUM resource and the
// backend spans (with the nested database span); the page-load view is
// linked through Server-Timing; the dashboard draws the waterfall.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { createApp, launchBrowser, leave, login, poll, startDemo, startFovea } from './harness.mjs';

const ARTIFACTS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'artifacts');
fs.mkdirSync(ARTIFACTS, { recursive: true });

let fovea;
let app;
let demo;
let browser;

before(async () => {
  fovea = await startFovea();
  app = await createApp(fovea, 'traced shop');
  assert.match(app.server_key, /^fsk_/, 'a new app comes with its server key');
  demo = await startDemo({ fovea, key: app.ingest_key, serverKey: app.server_key, sessions: 0 });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await demo?.stop();
  await fovea?.stop();
});

/** The session's events once the page's request to /api/checkout is stored. */
async function checkoutSession() {
  const { sessions } = await fovea.api(`/apps/${app.id}/sessions`);
  for (const s of sessions) {
    const { events } = await fovea.api(`/apps/${app.id}/sessions/${s.id}`);
    const request = events.find((e) => e.type == 'resource' && e.resource_url?.includes('/api/checkout') && e.trace_id);
    const view = events.find((e) => e.type == 'view' && e.url?.includes('/checkout') && e.trace_id);
    if (request && view) return { request, view };
  }
  return null;
}

test('a click is traced from the browser request to the database span beneath it', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${demo.url}/checkout`);
  await page.click('#check-stock');
  await page.waitForFunction(() => document.getElementById('stock-state')?.textContent?.startsWith('In stock'));
  await leave(page, context);

  const { request, view } = await poll(checkoutSession, { timeout: 30000, message: 'the traced request and view stored' });
  assert.match(request.trace_id, /^[0-9a-f]{32}$/);
  assert.match(request.span_id, /^[0-9a-f]{16}$/);

  // The backend's spans arrive through OTLP (batched every ~0.5 s).
  const trace = await poll(
    async () => {
      const t = await fovea.api(`/apps/${app.id}/traces/${request.trace_id}`).catch(() => null);
      return t && t.spans.some((s) => s.name == 'db.query') ? t : null;
    },
    { timeout: 30000, message: 'the backend spans of the request' },
  );
  const server = trace.spans.find((s) => s.kind == 'server');
  assert.ok(server, JSON.stringify(trace.spans));
  assert.equal(server.parent_span_id, request.span_id, 'the browser request is the parent of the server span');
  assert.equal(server.service, 'demo-shop-api');
  const db = trace.spans.find((s) => s.name == 'db.query');
  assert.equal(db.parent_span_id, server.span_id, 'the database span is nested under the server span');
  assert.equal(db.attributes['db.system'], 'postgresql');
  assert.ok(db.duration >= 250, `db.query took ${db.duration} ms`);
  assert.ok(trace.rum.some((e) => e.type == 'resource' && e.span_id == request.span_id), 'the RUM resource is in the trace');

  // The page load: Server-Timing: traceparent on the document linked the view.
  assert.match(view.trace_id, /^[0-9a-f]{32}$/);
  assert.equal(view.loading_type, 'initial_load');
  const pageTrace = await poll(
    async () => {
      const t = await fovea.api(`/apps/${app.id}/traces/${view.trace_id}`).catch(() => null);
      return t && t.spans.length > 0 ? t : null;
    },
    { timeout: 30000, message: 'the page load trace' },
  );
  assert.ok(pageTrace.rum.some((e) => e.type == 'view' && e.view_id == view.view_id), 'the view is in its trace');
  assert.ok(pageTrace.spans.some((s) => s.kind == 'server' && s.span_id == view.span_id), 'the document request is the server span');

  // The slowest requests name the bottleneck, and the service is listed.
  const { requests } = await fovea.api(`/apps/${app.id}/slow-requests`);
  const row = requests.find((r) => r.trace_id == request.trace_id);
  assert.equal(row?.bottleneck?.name, 'db.query', JSON.stringify(row));
  const { services } = await fovea.api(`/apps/${app.id}/services`);
  assert.ok(services.some((s) => s.service == 'demo-shop-api' && s.requests >= 2), JSON.stringify(services));

  // The dashboard's waterfall: the browser request on top, the spans beneath.
  const dash = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const tab = await dash.newPage();
  await login(tab, fovea, `/apps/${app.id}/traces/${request.trace_id}`);
  await tab.waitForSelector('[data-testid=trace-waterfall] [data-testid=trace-row]');
  const rows = await tab.$$eval('[data-testid=trace-row]', (els) => els.map((e) => e.textContent));
  assert.ok(rows.length >= 4, rows.join(' | '));
  assert.match(rows[0], /checkout/i, 'the browser request comes first');
  assert.ok(rows.some((r) => r.includes('db.query')), rows.join(' | '));
  await tab.screenshot({ path: path.join(ARTIFACTS, 'trace-waterfall.png'), fullPage: true });
  await dash.close();
});
