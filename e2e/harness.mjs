// End-to-end harness: the real `fovea` binary, the demo site and headless
// Chromium, for node:test suites (sdk.test.mjs, dashboard*.test.mjs, a11y.test.mjs).
//
//   const fovea = await startFovea();              // fovea serve on a free port, temp data dir
//   const app = await createApp(fovea, 'shop', [demoOrigin]);
//   const demo = await startDemo({ fovea, key: app.ingest_key });
//   const browser = await launchBrowser();
//   await poll(async () => (await fovea.api(`/apps/${app.id}/sessions`)).sessions.length > 0);
//
// The server binary is $FOVEA_BIN, else $CARGO_TARGET_DIR/debug/fovea, with
// CARGO_TARGET_DIR defaulting to ~/.cache/fovea/target. Set FOVEA_E2E_KEEP=1
// to keep the data directories, FOVEA_E2E_LOG=1 to echo the server's output.
// With FOVEA_E2E_STORE=clickhouse every startFovea() stores in a real
// ClickHouse (Debian's clickhouse-server, started once as a child process on
// free ports, one database per server) instead of DuckDB.
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';
import { serve } from '../demo/serve.mjs';

export const FOVEA_BIN =
  process.env.FOVEA_BIN || join(process.env.CARGO_TARGET_DIR || join(homedir(), '.cache', 'fovea', 'target'), 'debug', 'fovea');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
/** A desktop Chrome user agent: HeadlessChrome's own is classified as a bot (uap-core "Spider") and dropped. */
export const CHROME_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * Calls `fn` until it returns a truthy value (returned) or `timeout` ms pass
 * (then throws with the last error or value). The writer commits
 * asynchronously, so the query API shows data a little after intake accepts it.
 */
export async function poll(fn, { timeout = 20000, interval = 250, message = 'condition' } = {}) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) {
      const why = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`poll: ${message} not met within ${timeout} ms (last: ${why})`);
    }
    await sleep(interval);
  }
}

export const CLICKHOUSE_SERVER = process.env.FOVEA_CLICKHOUSE_SERVER || '/usr/sbin/clickhouse-server';

/**
 * Starts a throwaway clickhouse-server (the config the Rust tests use,
 * crates/testkit/src/clickhouse.xml) on free loopback ports; resolves once
 * it answers. Returns { url, stop() }.
 */
export async function startClickHouse({ timeout = 60000 } = {}) {
  if (!existsSync(CLICKHOUSE_SERVER)) throw new Error(`clickhouse-server not found at ${CLICKHOUSE_SERVER} (apt-get install clickhouse-server)`);
  const dir = mkdtempSync(join(tmpdir(), 'fovea-e2e-clickhouse-'));
  const [httpPort, tcpPort] = [await freePort(), await freePort()];
  const template = readFileSync(new URL('../crates/testkit/src/clickhouse.xml', import.meta.url), 'utf8');
  const config = template
    .replaceAll('{dir}', dir)
    .replaceAll('{http_port}', String(httpPort))
    .replaceAll('{tcp_port}', String(tcpPort))
    .replaceAll('{remote_servers}', '');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.xml'), config);
  const child = spawn(CLICKHOUSE_SERVER, [`--config-file=${join(dir, 'config.xml')}`], { stdio: 'ignore' });
  // The server must not keep the test process alive: it is killed when
  // the process exits.
  child.unref();
  const url = `http://127.0.0.1:${httpPort}`;
  const end = Date.now() + timeout;
  for (;;) {
    try {
      if ((await fetch(`${url}/ping`)).ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > end) {
      child.kill('SIGKILL');
      throw new Error(`clickhouse-server did not answer within ${timeout} ms`);
    }
    await sleep(100);
  }
  const stop = () => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', stop);
  return { url, stop };
}

let sharedClickHouse;

/** The store flags for a new server: DuckDB by default, ClickHouse with FOVEA_E2E_STORE=clickhouse. */
async function storeArgs() {
  if (process.env.FOVEA_E2E_STORE !== 'clickhouse') return [];
  sharedClickHouse ??= startClickHouse();
  const { url } = await sharedClickHouse;
  return ['--store', 'clickhouse', '--clickhouse-url', url, '--clickhouse-database', `e2e_${randomBytes(6).toString('hex')}`];
}

/**
 * Starts `fovea serve` on a free port with a fresh data directory and random
 * admin credentials; resolves once GET /healthz answers 200.
 * Returns { url, token, password, dataDir, process, output(), request(path, init), api(path, init), stop() }:
 * - request(): fetch against the server (path absolute, e.g. '/api/v1/apps'), bearer token added;
 * - api(): the same for JSON; a path not starting with '/api/' gets '/api/v1' in front;
 *   resolves to the parsed body and throws (with .status and .body) on a non-2xx answer.
 */
export async function startFovea({ env = {}, args = [], timeout = 60000 } = {}) {
  if (!existsSync(FOVEA_BIN)) throw new Error(`fovea binary not found at ${FOVEA_BIN} (cargo build -p fovea, or set FOVEA_BIN)`);
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'fovea-e2e-'));
  const token = randomBytes(18).toString('base64url');
  const password = randomBytes(18).toString('base64url');
  const url = `http://127.0.0.1:${port}`;
  const store = await storeArgs();
  const child = spawn(FOVEA_BIN, ['serve', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, ...store, ...args], {
    env: {
      ...process.env,
      FOVEA_ADMIN_TOKEN: token,
      FOVEA_ADMIN_PASSWORD: password,
      FOVEA_WRITER_FLUSH_MS: '200',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (chunk) => {
    out = (out + chunk).slice(-200000);
    if (process.env.FOVEA_E2E_LOG) process.stderr.write(chunk);
  };
  child.stdout.setEncoding('utf8').on('data', keep);
  child.stderr.setEncoding('utf8').on('data', keep);
  let exited = null;
  const exit = new Promise((r) => child.once('exit', (code, signal) => r((exited = { code, signal }))));

  const request = (path, init = {}) =>
    fetch(url + path, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) } });
  const api = async (path, init = {}) => {
    const p = path.startsWith('/api/') ? path : `/api/v1${path}`;
    const headers = { ...(init.body != null && typeof init.body == 'string' ? { 'content-type': 'application/json' } : {}), ...(init.headers ?? {}) };
    const res = await request(p, { ...init, headers });
    const text = await res.text();
    let body = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON */
    }
    if (!res.ok) {
      const err = new Error(`${init.method ?? 'GET'} ${p}: ${res.status} ${text.slice(0, 500)}`);
      err.status = res.status;
      err.body = body;
      throw err;
    }
    return body;
  };
  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exit;
      clearTimeout(t);
    }
    if (!process.env.FOVEA_E2E_KEEP) rmSync(dataDir, { recursive: true, force: true });
  };

  const end = Date.now() + timeout;
  for (;;) {
    if (exited) throw new Error(`fovea serve exited (${JSON.stringify(exited)}) before it was healthy:\n${out}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.status === 200) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > end) {
      await stop();
      throw new Error(`fovea serve not healthy within ${timeout} ms:\n${out}`);
    }
    await sleep(100);
  }
  return { url, port, token, password, dataDir, process: child, output: () => out, request, api, stop };
}

/**
 * Creates an app: createApp(fovea, name, origins) or createApp(fovea, {name, origins, ...}).
 * Resolves to the App ({id, name, ingest_key, origins, ...}).
 */
export async function createApp(fovea, name = 'e2e', origins = ['*']) {
  const body = typeof name == 'object' ? name : { name, origins };
  return fovea.api('/apps', { method: 'POST', body: JSON.stringify(body) });
}

/**
 * Serves the demo site (in this process) beaconing to `fovea` with `key`.
 * startDemo({fovea, key, port?, sessions?, serverKey?}) or startDemo(fovea, app, {port?, sessions = 4}).
 * With `serverKey` the demo's backend exports its spans to `fovea` (OTLP).
 * With `sessions` > 0 it then drives that many headless browser sessions
 * through the demo (demo/traffic.mjs) and waits for them to be sent.
 * Resolves to { url, stop() }.
 */
export async function startDemo(a, b, c = {}) {
  const o = b ? { fovea: a, key: b.ingest_key ?? b.key ?? b, sessions: 4, ...c } : { sessions: 0, ...a };
  const foveaUrl = typeof o.fovea == 'string' ? o.fovea : o.fovea.url;
  const server = await serve({ port: o.port ?? 0, fovea: foveaUrl, key: o.key, serverKey: o.serverKey ?? '', quiet: true });
  const demo = { url: server.url, stop: () => server.close() };
  if (o.sessions > 0) {
    const { generateTraffic } = await import('../demo/traffic.mjs');
    const browser = await launchBrowser();
    try {
      await generateTraffic({ demoUrl: demo.url, sessions: o.sessions, browser });
    } finally {
      await browser.close();
    }
  }
  return demo;
}

/** Headless Debian Chromium through playwright-core, with a non-headless user agent. */
export function launchBrowser(options = {}) {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-agent=${CHROME_UA}`,
    ],
    ...options,
  });
}

/**
 * Leaves the page (its pagehide sends the final beacon) and closes the
 * context. Closing a context aborts the requests it has in flight, where a
 * real browser lets a beacon outlive its tab, so the beacon gets a moment
 * to arrive first.
 */
export async function leave(page, context) {
  await page.goto('about:blank');
  await sleep(500);
  await context.close();
}

/** Signs in to the dashboard of `fovea` as admin and waits to leave the login page for `next`. */
export async function login(page, fovea, next = '/') {
  await page.goto(`${fovea.url}/login?next=${encodeURIComponent(next)}`);
  await page.fill('input[name=username]', 'admin');
  await page.fill('input[name=password]', fovea.password);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.click('button[type=submit]')]);
}

/**
 * Sends one session through the intake: a view, two clicks (the second a
 * rage click), a failing fetch, a long task and an unhandled error.
 * Resolves to { sessionId, viewId }.
 */
export async function postKnownSession(fovea, app) {
  const now = Date.now();
  const sessionId = randomUUID();
  const viewId = randomUUID();
  const ev = (type, dt, fields) => ({ type, event_id: randomUUID(), view_id: viewId, ts: now - 10_000 + dt, url: 'http://shop.test/cart', route: '/cart', ...fields });
  const res = await fetch(`${fovea.url}/api/v1/intake?key=${encodeURIComponent(app.ingest_key)}`, {
    method: 'POST',
    // a browser's user agent: the intake drops bots, and node's fetch looks like one
    headers: { 'content-type': 'application/json', 'user-agent': CHROME_UA },
    body: JSON.stringify({
      sdk: { name: 'e2e', version: '1' },
      session: { id: sessionId, user_id: 'known-user' },
      context: { env: 'e2e', release: 'e2e-1' },
      sent_at: now,
      events: [
        ev('view', 0, { version: 3, loading_type: 'initial_load', ttfb: 300, fcp: 1200, lcp: 3100, cls: 0.12, inp: 240, load: 3300, time_spent: 9000, lcp_element: 'img.hero',
          dns: 5, connect: 10, request: 240, response: 30, dom_interactive: 900, dcl: 1000 }),
        ev('resource', 200, { resource_url: 'http://shop.test/api/cart', kind: 'fetch', method: 'GET', status: 500, duration: 420 }),
        ev('long_task', 1500, { duration: 180, blocking_duration: 130, kind: 'long_task' }),
        ev('action', 4000, { action_type: 'click', name: 'Checkout', target: 'button#checkout' }),
        ev('action', 4500, { action_type: 'click', name: 'Checkout', target: 'button#checkout', frustration: ['rage'] }),
        ev('error', 5000, { source: 'source', kind: 'TypeError', message: 'cart.total is undefined', stack: 'TypeError: cart.total is undefined\n    at checkout (http://shop.test/app.js:10:5)', handled: false }),
      ],
    }),
  });
  if (res.status !== 202) throw new Error(`intake answered ${res.status}: ${await res.text()}`);
  return { sessionId, viewId };
}
