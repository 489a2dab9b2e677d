#!/usr/bin/env node
// The Fovea demo site: a dependency-free HTTP server for demo/site/ and the
// built SDK (sdk/dist/), on an origin of its own (as real sites are), so the
// SDK's beacons to Fovea are cross-origin and CORS is exercised.
//
//   node demo/serve.mjs --port 8081 --fovea http://127.0.0.1:8080 --key <ingest key> [--server-key <server key>]
//
// - /config.js: the Fovea endpoint and key, as a script (CSP-safe: no inline
//   script anywhere; every page is served with a strict CSP);
// - /sdk/*: sdk/dist (build it first: cd sdk && npm ci && npm run build);
// - /api/ok, /api/slow, /api/fail (500), /api/products, /api/checkout (a
//   database query and a stock reservation, ~0.4-0.7 s): JSON that echoes the
//   `traceparent` header the request carried;
// - /img/hero.svg: the LCP image, served after a delay (?delay=ms, else
//   random) so LCP varies like it does in the field;
// - /spa/*: the single-page app (client-side routes).
//
// With a server key (--server-key, or `serverKey`) the server is an
// instrumented service (demo/tracing.mjs, OpenTelemetry: cd demo && npm ci):
// a span per /api/* request and HTML document, child of the browser's
// `traceparent`, with child spans for /api/checkout's work, exported over
// OTLP/HTTP to Fovea's /v1/traces; HTML documents carry
// `Server-Timing: traceparent;desc=...` so the SDK links the page load to the
// backend trace. Without one, no OpenTelemetry module is loaded.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const SITE = join(here, 'site');
const SDK = resolve(here, '..', 'sdk', 'dist');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.map': 'application/json',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** The unreachable URL the demo's "network failure" button fetches (connection refused). */
export const DOWN_URL = 'http://127.0.0.1:9/unreachable';

export function csp(fovea) {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self' ${new URL(fovea).origin} ${new URL(DOWN_URL).origin}`,
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
    "require-trusted-types-for 'script'",
  ].join('; ');
}

/** The policy of /csp.html: nothing but this origin's scripts and Fovea, Trusted Types with no policy. */
export function strictCsp(fovea) {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    `connect-src 'self' ${new URL(fovea).origin}`,
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'none'",
    "require-trusted-types-for 'script'",
    "trusted-types 'none'",
  ].join('; ');
}

function parseArgs(argv) {
  const o = {};
  for (let i = 0; i < argv.length; i++) {
    const m = argv[i].match(/^--([\w-]+)(?:=(.*))?$/);
    if (!m) throw new Error(`unexpected argument ${argv[i]}`);
    o[m[1]] = m[2] ?? argv[++i];
  }
  return o;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rand = (lo, hi) => lo + Math.floor(Math.random() * (hi - lo));

/**
 * The hero image: detailed enough (many shapes, ~20 KB) that Chromium counts
 * it for LCP (images under 0.05 bits per pixel are skipped as placeholders).
 */
function heroSvg(label) {
  let seed = 7;
  const r = (n) => ((seed = (seed * 16807) % 2147483647) % n);
  const shapes = Array.from({ length: 400 }, () => `<circle cx="${r(1200)}" cy="${r(480)}" r="${4 + r(40)}" fill="hsl(${180 + r(80)} ${40 + r(50)}% ${30 + r(50)}%)" fill-opacity="0.${3 + r(6)}"/>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="480" viewBox="0 0 1200 480"><defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#0b3d91"/><stop offset="1" stop-color="#2bb3c0"/></linearGradient></defs><rect width="1200" height="480" fill="url(#g)"/>${shapes}<text x="60" y="120" font-family="sans-serif" font-size="64" fill="#fff">${label.replace(/[<&>"]/g, '')}</text></svg>`;
}

function productSvg(n) {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="320" height="220" viewBox="0 0 320 220"><rect width="320" height="220" fill="hsl(${(n * 47) % 360} 60% 70%)"/><circle cx="160" cy="110" r="${40 + (n % 4) * 10}" fill="hsl(${(n * 47 + 180) % 360} 60% 45%)"/><text x="16" y="204" font-family="sans-serif" font-size="20" fill="#222">Product ${n}</text></svg>`;
}

const PRODUCTS = Array.from({ length: 6 }, (_, i) => ({ id: i + 1, name: ['Lens', 'Tripod', 'Filter', 'Strap', 'Bag', 'Flash'][i], price: 19 + i * 23 }));

/** The route of a traced path: the span name's second half (a fixed set, not one name per URL). */
function routeOf(p) {
  if (p.startsWith('/api/')) return p;
  if (p === '/' || p === '/index' || p === '/index.html') return '/';
  if (p === '/spa' || p.startsWith('/spa/')) return '/spa/*';
  if (p.startsWith('/csp')) return '/csp';
  return p.replace(/\.html$/, '');
}

/**
 * Starts the demo server. Returns `{ url, server, close() }`.
 * `fovea`: the Fovea base URL the pages beacon to; `key`: the app's ingest key;
 * `serverKey`: the app's server key: when given, the server traces itself
 * (demo/tracing.mjs) and exports to `fovea` over OTLP/HTTP, protobuf or,
 * with `otlpProtocol: 'json'`, JSON.
 */
export async function serve({ port = 8081, host = '127.0.0.1', fovea = 'http://127.0.0.1:8080', key = '', quiet = false, serverKey = '', otlpProtocol = 'protobuf' } = {}) {
  const policy = csp(fovea);
  const strict = strictCsp(fovea);
  const tracing = serverKey ? await (await import('./tracing.mjs')).startTracing({ fovea, serverKey, protocol: otlpProtocol }) : null;
  // runs fn in a child span of the request's span (or just runs it, untraced)
  const inSpan = (name, opts, fn) => (tracing ? tracing.inSpan(name, opts, fn) : fn(null));
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, `http://${req.headers.host || host}`);
    const p = url.pathname;
    if (tracing && p.startsWith('/api/')) tracing.route(req.method, routeOf(p));
    const send = (status, type, body, extra = {}) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff', ...extra });
      res.end(body);
    };
    const json = (status, obj) => send(status, 'application/json', JSON.stringify({ ...obj, traceparent: req.headers.traceparent ?? null }));
    try {
      if (p === '/config.js') {
        const cfg = { endpoint: fovea, key, env: 'demo', release: 'demo-1.0', replaySampleRate: 100 };
        return send(200, TYPES['.js'], `// generated by demo/serve.mjs\nwindow.FOVEA_CONFIG = ${JSON.stringify(cfg)};\n`);
      }
      if (p === '/api/ok') return json(200, { ok: true });
      if (p === '/api/products') return json(200, { products: PRODUCTS });
      if (p === '/api/slow') {
        await sleep(Math.min(+(url.searchParams.get('ms') ?? rand(300, 1500)) || 0, 10000));
        return json(200, { ok: true, slow: true });
      }
      if (p === '/api/fail') {
        tracing?.fail(new Error('demo failure'));
        return json(500, { error: 'demo failure' });
      }
      if (p === '/api/checkout') {
        const order = await inSpan(
          'db.query',
          {
            kind: 'client',
            attributes: {
              'db.system': 'postgresql',
              'db.name': 'shop',
              'db.operation': 'SELECT',
              'db.statement': 'SELECT id, status, total FROM orders WHERE customer_id = $1 AND status = $2',
            },
          },
          async () => {
            await sleep(rand(300, 600));
            return { id: rand(1000, 9999), status: 'open' };
          },
        );
        const items = Math.max(1, Math.min(+(url.searchParams.get('items') ?? 1) || 1, 99));
        await inSpan('inventory.reserve', { attributes: { 'inventory.items': items } }, () => sleep(rand(40, 60)));
        return json(200, { ok: true, order: order.id, items });
      }
      if (p === '/img/hero.svg') {
        await sleep(Math.min(+(url.searchParams.get('delay') ?? rand(100, 2600)) || 0, 10000));
        return send(200, TYPES['.svg'], heroSvg(url.searchParams.get('label') || 'Fovea demo shop'));
      }
      const prod = p.match(/^\/img\/product-(\d+)\.svg$/);
      if (prod) return send(200, TYPES['.svg'], productSvg(+prod[1]));
      if (p.startsWith('/sdk/')) {
        const file = normalize(join(SDK, p.slice(5)));
        if (!file.startsWith(SDK)) return send(403, 'text/plain', 'forbidden');
        return send(200, TYPES[extname(file)] || 'application/octet-stream', await readFile(file), { 'access-control-allow-origin': '*' });
      }
      let rel = p === '/' ? '/index.html' : p.startsWith('/spa/') || p === '/spa' ? '/spa.html' : p.startsWith('/csp') ? '/csp.html' : p;
      if (!extname(rel)) rel += '.html';
      const file = normalize(join(SITE, rel));
      if (!file.startsWith(SITE)) return send(403, 'text/plain', 'forbidden');
      const body = await readFile(file);
      const type = TYPES[extname(file)] || 'application/octet-stream';
      const html = type.startsWith('text/html');
      if (!html) return send(200, type, body);
      const timing = tracing?.serverTiming();
      if (timing) tracing.route(req.method, routeOf(p));
      return send(200, type, body, { 'content-security-policy': rel === '/csp.html' ? strict : policy, ...(timing ? { 'server-timing': timing } : {}) });
    } catch (e) {
      if (e.code === 'ENOENT') return send(404, 'text/plain', 'not found');
      if (!quiet) console.error('demo: error serving', p, e);
      return send(500, 'text/plain', 'error');
    }
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, ok);
  }).catch(async (e) => {
    await tracing?.shutdown();
    throw e;
  });
  const a = server.address();
  const url = `http://${a.address}:${a.port}`;
  const close = async () => {
    await new Promise((r) => {
      server.closeAllConnections?.();
      server.close(() => r());
    });
    await tracing?.shutdown();
  };
  return { url, server, close };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = parseArgs(process.argv.slice(2));
  const key = args.key ?? process.env.FOVEA_KEY;
  if (!key) {
    console.error('usage: node demo/serve.mjs --port 8081 --fovea http://127.0.0.1:8080 --key <ingest key> [--server-key <server key>] [--otlp-protocol protobuf|json]');
    process.exit(2);
  }
  const serverKey = args['server-key'] ?? process.env.FOVEA_SERVER_KEY ?? '';
  const fovea = args.fovea ?? 'http://127.0.0.1:8080';
  const s = await serve({ port: +(args.port ?? 8081), host: args.host ?? '127.0.0.1', fovea, key, serverKey, otlpProtocol: args['otlp-protocol'] ?? 'protobuf' });
  console.log(`demo site on ${s.url} (beacons to ${fovea}${serverKey ? `, traces to ${fovea}/v1/traces` : ''})`);
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => s.close().then(() => process.exit(0)));
}
