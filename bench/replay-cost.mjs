#!/usr/bin/env node
// What session replay costs the page: the same scripted visit of the demo
// shop, in headless Chromium, with replay on and off, alternating.
//
//   (cd e2e && npm ci)            # playwright-core
//   node bench/replay-cost.mjs [--runs 7] [--seconds 60] [--warmup 1] [--interval-us 500] [--json out.json]
//   (--interval-us: the CPU profiler's sampling interval; 0 runs without the profiler)
//
// Starts the real `fovea` binary (e2e/harness.mjs: $FOVEA_BIN, else
// $CARGO_TARGET_DIR/debug/fovea; it must be built), the demo site with the
// built SDK (sdk/dist, copied in memory at start: a rebuild during the run
// changes nothing), and a small proxy in front of Fovea that counts the
// bytes the browser posts as they arrive, beacons included. Each
// run is one fresh browser context (one Fovea session) walking
// home → products → checkout → account SPA → home for `--seconds`, once with
// localStorage demo_fovea = {"replaySampleRate":100} and once with
// {"replaySampleRate":0}; the order alternates (on/off, off/on, …) so drift
// cancels. Method and last figures: bench/README.md.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import { gunzipSync, gzipSync } from 'node:zlib';
import { setTimeout as sleep } from 'node:timers/promises';
import { CHROME_UA, createApp, launchBrowser, leave, poll, startDemo, startFovea } from '../e2e/harness.mjs';
import { rng } from '../demo/traffic.mjs'; // the node side's "random" mouse targets, the same every run

// ---------------------------------------------------------------- options

function parseArgs(argv) {
  const o = { runs: 7, seconds: 60, warmup: 1, 'interval-us': 500, json: '' };
  for (let i = 0; i < argv.length; i++) {
    const m = argv[i].match(/^--([\w-]+)(?:=(.*))?$/);
    if (!m || !(m[1] in o)) {
      console.error(`unexpected argument ${argv[i]}\nusage: node bench/replay-cost.mjs [--runs 7] [--seconds 60] [--warmup 1] [--interval-us 500 (0: no profiler)] [--json out.json]`);
      process.exit(2);
    }
    o[m[1]] = m[2] ?? argv[++i];
  }
  return { runs: +o.runs, seconds: +o.seconds, warmup: +o.warmup, intervalUs: +o['interval-us'], json: o.json };
}
const OPT = parseArgs(process.argv.slice(2));

const CHUNK = 'fovea-replay.min.js';
const VIEWPORT = { width: 1280, height: 720 };

// ---------------------------------------------------------------- helpers

const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const sum = (xs) => xs.reduce((a, b) => a + b, 0);
const range = (xs) => [Math.min(...xs), Math.max(...xs)];

// ---------------------------------------------------------------- the proxy
// Between the browser and Fovea (the demo's config points the SDK at it):
// counts request bodies to /api/v1/replay and /api/v1/intake as they came
// over the wire, per Fovea session, and forwards everything unchanged.

/** What an rrweb event is, for the breakdown of the bytes. */
const SOURCES = ['mutation', 'mouse move', 'mouse interaction', 'scroll', 'viewport resize', 'input', 'touch move', 'media', 'stylesheet rule', 'CSS declaration', 'canvas', 'font', 'log', 'drag', 'stylesheet', 'selection', 'adopted stylesheet', 'custom element'];
const KIND = (e) =>
  e.type == 2 ? 'full snapshot' : e.type == 4 ? 'meta' : e.type == 3 ? SOURCES[e.data && e.data.source] || 'incremental' : e.type == 0 || e.type == 1 ? 'load events' : 'other';

function startProxy(target, files) {
  const t = new URL(target);
  const seen = []; // {kind, bytes, gzip, sid, index, …}
  const server = createServer((req, res) => {
    const file = files && files.get(req.url.split('?')[0]);
    if (file) {
      // the SDK build snapshotted at start, with the demo's headers
      res.writeHead(200, {
        'content-type': req.url.includes('.map') ? 'application/json' : 'text/javascript; charset=utf-8',
        'cache-control': 'no-cache',
        'x-content-type-options': 'nosniff',
        'access-control-allow-origin': '*',
      });
      return res.end(file);
    }
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const path = req.url.split('?')[0];
      if (req.method == 'POST' && (path == '/api/v1/replay' || path == '/api/v1/intake')) {
        const gzip = body[0] == 0x1f && body[1] == 0x8b;
        const rec = { kind: path.endsWith('replay') ? 'replay' : 'intake', bytes: body.length, gzip, sid: null, index: null };
        if (rec.kind == 'replay') {
          try {
            const raw = gzip ? gunzipSync(body) : body;
            const j = JSON.parse(raw.toString('utf8'));
            rec.sid = j.session_id;
            rec.index = j.index;
            rec.raw = raw.length;
            rec.full = j.full_snapshot;
            // what this body would be gzipped (CompressionStream uses zlib's default level)
            rec.gz = gzip ? body.length : gzipSync(raw).length;
            rec.kinds = {};
            for (const e of j.events) {
              const k = KIND(e);
              rec.kinds[k] = (rec.kinds[k] || 0) + JSON.stringify(e).length;
            }
          } catch {
            /* not ours to judge: Fovea answers it */
          }
        }
        seen.push(rec);
      }
      const headers = { ...req.headers, host: t.host, 'content-length': String(body.length) };
      delete headers.connection;
      const up = httpRequest(
        { host: t.hostname, port: t.port, method: req.method, path: req.url, headers },
        (r) => {
          res.writeHead(r.statusCode, r.headers);
          r.pipe(res);
        },
      );
      up.on('error', () => {
        res.writeHead(502);
        res.end();
      });
      up.end(body);
    });
  });
  return new Promise((ok) =>
    server.listen(0, '127.0.0.1', () =>
      ok({
        url: `http://127.0.0.1:${server.address().port}`,
        seen,
        close: () => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))),
      }),
    ),
  );
}

// ---------------------------------------------------------------- in the page
// Runs before every document's scripts. (1) Math.random is seeded per path,
// so the demo's random start-up work (demo.js: an 80–200 ms long task) is the
// same in both arms. (2) The full snapshot is timed from the outside: rrweb
// emits its Meta event, serialises the document synchronously and emits the
// FullSnapshot event; the chunk's emit() JSON.stringify-es each event at
// once. So the time from the Meta event's stringify to the end of the
// FullSnapshot's stringify is the main thread blocked by the snapshot
// (serialisation + masking + stringify), with nothing else in between.
function pageInit(opts) {
  try {
    localStorage.setItem('demo_fovea', opts);
  } catch {
    /* storage blocked */
  }
  let t = 0;
  for (const c of location.pathname) t = (Math.imul(t, 31) + c.charCodeAt(0)) | 0;
  Math.random = () => {
    t = (t + 0x6d2b79f5) | 0;
    let x = Math.imul(t ^ (t >>> 15), 1 | t);
    x ^= x + Math.imul(x ^ (x >>> 7), 61 | x);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const rc = (window.__rc = { snaps: [], open: null });
  const stringify = JSON.stringify;
  JSON.stringify = function (v) {
    const isMeta = v && v.type === 4 && v.data && typeof v.data.href == 'string' && 'width' in v.data;
    if (isMeta) rc.open = performance.now();
    const out = stringify.apply(this, arguments);
    if (v && v.type === 2 && v.data && v.data.node && rc.open != null) {
      const end = performance.now();
      rc.snaps.push({ ms: end - rc.open, chars: out.length, at: rc.open });
      rc.open = null;
    }
    return out;
  };
}

// ---------------------------------------------------------------- CPU profile
// Sampled by V8 (CDP Profiler). A sample counts as the recorder's when any
// frame of its stack is in fovea-replay.min.js: rrweb's and the chunk's own
// code, and the native work (DOM reads, JSON, CompressionStream set-up) it
// calls. Each sample weighs the time to the next sample.

function chunkTime(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children || []) parent.set(c, n.id);
  const inChunk = new Map();
  const hit = (id) => {
    if (inChunk.has(id)) return inChunk.get(id);
    const n = byId.get(id);
    const v = (n.callFrame.url || '').endsWith(CHUNK) || (parent.has(id) && hit(parent.get(id)));
    inChunk.set(id, v);
    return v;
  };
  const { samples, timeDeltas } = profile;
  let chunkUs = 0;
  let busyUs = 0;
  for (let i = 0; i < samples.length; i++) {
    const dt = i + 1 < timeDeltas.length ? timeDeltas[i + 1] : OPT.intervalUs;
    const n = byId.get(samples[i]);
    const name = n.callFrame.functionName;
    if (name != '(idle)' && name != '(program)' && name != '(root)') busyUs += dt;
    if (hit(samples[i])) chunkUs += dt;
  }
  return { chunkMs: chunkUs / 1000, jsMs: busyUs / 1000 };
}

// ---------------------------------------------------------------- the visit

/**
 * One session: a fresh context, replay on or off, the same script. Returns
 * the figures of the session.
 */
async function visit(browser, demo, proxy, fovea, app, on, seconds) {
  const context = await browser.newContext({ viewport: VIEWPORT, userAgent: CHROME_UA });
  await context.addInitScript(pageInit, JSON.stringify({ replaySampleRate: on ? 100 : 0 }));
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  const profiling = OPT.intervalUs > 0;
  if (profiling) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: OPT.intervalUs });
    await cdp.send('Profiler.start');
  }
  const r = rng(42);
  const firstSeen = proxy.seen.length;

  // a person's pointer: ~60 Hz moves along a path, not a teleport
  let mx = 100;
  let my = 100;
  const moveTo = async (x, y, steps = 18) => {
    for (let i = 1; i <= steps; i++) {
      await page.mouse.move(mx + ((x - mx) * i) / steps, my + ((y - my) * i) / steps);
      await sleep(16);
    }
    mx = x;
    my = y;
  };
  const hover = async (selector) => {
    const box = await page.locator(selector).first().boundingBox();
    if (!box) throw new Error(`nothing to click at ${selector}`);
    await moveTo(box.x + box.width / 2, box.y + box.height / 2);
  };
  const clickOn = async (selector) => {
    await hover(selector);
    await sleep(120);
    await page.mouse.down();
    await sleep(60);
    await page.mouse.up();
  };
  const navigate = async (selector) => {
    const loaded = page.waitForEvent('load');
    await clickOn(selector);
    await loaded;
  };
  const scroll = async (dy, ticks = 4) => {
    for (let i = 0; i < ticks; i++) {
      await page.mouse.wheel(0, dy / ticks);
      await sleep(60);
    }
  };
  const type = async (selector, text) => {
    await clickOn(selector);
    await page.keyboard.type(text, { delay: 90 });
    await sleep(250);
  };
  // reading: the pointer wanders, now and then a scroll, until the page's time is up
  const readUntil = async (end) => {
    let k = 0;
    while (Date.now() < end - 800) {
      await moveTo(80 + r() * (VIEWPORT.width - 160), 80 + r() * (VIEWPORT.height - 160), 12 + Math.floor(r() * 18));
      if (k++ % 3 == 2) {
        await scroll(240);
        await sleep(400);
        await scroll(-240);
      }
      await sleep(Math.min(700, Math.max(0, end - Date.now() - 800)));
    }
    if (Date.now() < end) await sleep(end - Date.now());
  };

  const pages = [];
  // the figures of the document about to be left (CDP's counters restart with each document)
  const collect = async (name) => {
    const { metrics } = await cdp.send('Performance.getMetrics');
    const m = Object.fromEntries(metrics.map((x) => [x.name, x.value]));
    const prof = profiling ? chunkTime((await cdp.send('Profiler.stop')).profile) : { chunkMs: NaN, jsMs: NaN };
    const rc = await page
      .evaluate(() => ({ snaps: window.__rc ? window.__rc.snaps : [], chunk: typeof (window.__foveaReplay || {}).n == 'function' }))
      .catch(() => ({ snaps: [], chunk: false }));
    await cdp.send('HeapProfiler.collectGarbage');
    const after = Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((x) => [x.name, x.value]));
    pages.push({
      name,
      scriptMs: m.ScriptDuration * 1000,
      taskMs: m.TaskDuration * 1000,
      heapMB: after.JSHeapUsedSize / 2 ** 20,
      chunkMs: prof.chunkMs,
      jsMs: prof.jsMs,
      snaps: rc.snaps,
      chunk: rc.chunk,
    });
    if (profiling) await cdp.send('Profiler.start');
  };

  const budget = (f) => Date.now() + f * seconds * 1000;
  const t0 = Date.now();

  // 1. home: look at the hero, the newsletter button, scroll
  let end = budget(0.12);
  await page.goto(`${demo.url}/`, { waitUntil: 'load' });
  await moveTo(600, 300);
  await scroll(400);
  await clickOn('#newsletter');
  await sleep(500);
  await scroll(-400);
  await readUntil(end);
  await collect('/');

  // 2. products: wait for the list, add three to the cart, scroll through
  end = budget(0.22);
  await navigate('a[data-nav=products]');
  await page.waitForSelector('#products .card button');
  await scroll(500);
  for (const k of [1, 3, 5]) {
    await clickOn(`#products .card:nth-child(${k}) button`);
    await sleep(500);
  }
  await scroll(-500);
  await readUntil(end);
  await collect('/products');

  // 3. checkout: fill the form (masked in the browser), place the order
  end = budget(0.33);
  await navigate('a[data-nav=checkout]');
  await type('#name', 'Jane Example');
  await type('#email', 'jane@example.com');
  await type('#card', '4111 1111 1111 1111');
  await type('#password', 'correct horse');
  await hover('#country');
  await page.selectOption('#country', 'Japan');
  await type('#notes', 'Leave it at the door, please.');
  await type('#gift', 'Happy birthday!');
  await clickOn('#place-order');
  await readUntil(end);
  await collect('/checkout');

  // 4. account SPA: pushState routes, a settings field, save
  end = budget(0.23);
  await navigate('a[data-nav=spa]');
  await sleep(600);
  await clickOn('nav.spa a[href="/spa/orders"]');
  await page.waitForSelector('#view li a');
  await sleep(900);
  await clickOn('#view li a[href="/spa/orders/42"]');
  await sleep(900);
  await clickOn('nav.spa a[href="/spa/settings"]');
  await page.locator('#view input').first().fill('');
  await type('#view input', 'Jane D.');
  await clickOn('#save');
  await sleep(600);
  await clickOn('nav.spa a[href="/spa/"]');
  await readUntil(end);
  await collect('/spa/');

  // 5. back home, reading
  end = budget(0.1);
  await navigate('header a.brand');
  await readUntil(end);
  await collect('/ (again)');

  const wallMs = Date.now() - t0;
  await leave(page, context); // pagehide: the last segment goes out as a beacon

  // what the browser posted in this session, and what Fovea stored of it
  const mine = proxy.seen.slice(firstSeen);
  const replay = mine.filter((x) => x.kind == 'replay');
  const sid = replay.find((x) => x.sid)?.sid;
  const indexes = new Set(replay.map((x) => x.index));
  let stored = { segments: [] };
  if (sid) {
    stored = await poll(
      async () => {
        const s = await fovea.api(`/apps/${app.id}/sessions/${sid}/replay`);
        return s.segments.length >= indexes.size ? s : null;
      },
      { timeout: 30000, message: `the ${indexes.size} segments of session ${sid} stored` },
    ).catch(async () => fovea.api(`/apps/${app.id}/sessions/${sid}/replay`));
  }
  const segs = stored.segments;
  return {
    on,
    wallMs,
    pages,
    replay: {
      requests: replay.length,
      bytes: sum(replay.map((x) => x.bytes)),
      gzipBytes: sum(replay.filter((x) => x.gzip).map((x) => x.bytes)),
      plainBytes: sum(replay.filter((x) => !x.gzip).map((x) => x.bytes)),
      plainRequests: replay.filter((x) => !x.gzip).length,
      jsonChars: sum(replay.map((x) => x.raw || 0)),
      allGzipBytes: sum(replay.map((x) => x.gz || x.bytes)),
      kinds: replay.reduce((a, x) => {
        for (const [k, v] of Object.entries(x.kinds || {})) a[k] = (a[k] || 0) + v;
        return a;
      }, {}),
      plainFull: replay.filter((x) => !x.gzip && x.full).length,
      fullRequests: replay.filter((x) => x.full).length,
      storedSegments: segs.length,
      storedBytes: sum(segs.map((s) => s.bytes)),
      spanMs: segs.length ? Math.max(...segs.map((s) => s.end)) - Math.min(...segs.map((s) => s.start)) : 0,
    },
    intakeBytes: sum(mine.filter((x) => x.kind == 'intake').map((x) => x.bytes)),
  };
}

// ---------------------------------------------------------------- summary

function figures(s) {
  const min = s.wallMs / 60000;
  const loads = s.pages.length;
  const task = sum(s.pages.map((p) => p.taskMs));
  const script = sum(s.pages.map((p) => p.scriptMs));
  const snaps = s.pages.flatMap((p) => p.snaps);
  return {
    min,
    loads,
    taskMs: task,
    scriptMs: script,
    chunkMs: sum(s.pages.map((p) => p.chunkMs)),
    heapMB: sum(s.pages.map((p) => p.heapMB)) / loads,
    snaps,
    snapMs: median(snaps.map((x) => x.ms)),
    snapMaxMs: snaps.length ? Math.max(...snaps.map((x) => x.ms)) : NaN,
    snapChars: median(snaps.map((x) => x.chars)),
    kbPerMin: s.replay.bytes / 1000 / min,
    storedKbPerMin: s.replay.storedBytes / 1000 / min,
  };
}

const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : '–');
const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : '–');

// ---------------------------------------------------------------- main

/**
 * The SDK build under test, sdk/dist as it is when the run starts, read
 * twice a second apart until it is complete and stable (sdk/dist may be
 * rebuilt meanwhile) and served from memory for the whole run: the demo's
 * pages are reached through a small front that answers /sdk/* from this copy
 * and forwards everything else to the demo server.
 */
const DIST = new URL('../sdk/dist/', import.meta.url);
const SDK_FILES = ['fovea.min.js', 'fovea.min.js.map', CHUNK, `${CHUNK}.map`];
const readDist = () => new Map(SDK_FILES.map((f) => [`/sdk/${f}`, readFileSync(new URL(f, DIST))]));
const hash = (b) => createHash('sha256').update(b).digest('hex').slice(0, 12);
const describe = (m) => ['fovea.min.js', CHUNK].map((f) => `${f} ${m.get(`/sdk/${f}`).length} B sha256:${hash(m.get(`/sdk/${f}`))}`).join(', ');
async function snapshotDist() {
  for (let i = 0; ; i++) {
    try {
      const a = readDist();
      await sleep(1000);
      const b = readDist();
      if ([...a].every(([k, v]) => v.equals(b.get(k)))) return a;
    } catch (e) {
      if (i > 60) throw new Error(`sdk/dist incomplete (${e.code || e.message}): build it (cd sdk && npm ci && npm run build)`);
    }
    await sleep(1000);
  }
}
const sdk = await snapshotDist();

const fovea = await startFovea();
let proxy, demo, browser;
const cleanup = async () => {
  await browser?.close().catch(() => {});
  await demo?.stop().catch(() => {});
  await proxy?.close().catch(() => {});
  await fovea.stop().catch(() => {});
};
for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => cleanup().then(() => process.exit(130)));

const results = [];
let version = '';
try {
  const app = await createApp(fovea, 'replay-cost', ['*']);
  proxy = await startProxy(fovea.url);
  const site = await startDemo({ fovea: proxy.url, key: app.ingest_key, sessions: 0 });
  const front = await startProxy(site.url, sdk);
  demo = { url: front.url, stop: () => Promise.all([front.close(), site.stop()]) };
  browser = await launchBrowser();
  version = browser.version();
  console.log(`Chromium ${version}; SDK (sdk/dist at start) ${describe(sdk)}`);
  console.log(`${OPT.runs} runs × 2 arms × ${OPT.seconds} s, ${OPT.warmup} warm-up pair(s), ${OPT.intervalUs > 0 ? `profiler every ${OPT.intervalUs} µs` : 'no profiler'}, viewport ${VIEWPORT.width}×${VIEWPORT.height}`);
  for (let w = 0; w < OPT.warmup; w++) {
    for (const on of [true, false]) {
      const s = await visit(browser, demo, proxy, fovea, app, on, Math.min(OPT.seconds, 20));
      console.log(`warm-up, replay ${on ? 'on ' : 'off'}: ${(s.wallMs / 1000).toFixed(1)} s, ${s.replay.requests} replay requests`);
    }
  }
  for (let i = 0; i < OPT.runs; i++) {
    // ABBA: on/off, off/on, … so a drift of the machine's speed cancels in pairs
    const order = i % 2 ? [false, true] : [true, false];
    const pair = {};
    for (const on of order) {
      const s = await visit(browser, demo, proxy, fovea, app, on, OPT.seconds);
      const f = figures(s);
      // replay on: every page load has the chunk and one full snapshot; off: none
      const bad = s.pages.filter((p) => (on ? !p.chunk || p.snaps.length != 1 : p.chunk || p.snaps.length)).map((p) => p.name);
      pair[on ? 'on' : 'off'] = { ...s, f, bad };
      console.log(
        `run ${i + 1} replay ${on ? 'on ' : 'off'}: ${f2(f.min)} min, ${f.loads} loads; task ${f1(f.taskMs)} ms, script ${f1(f.scriptMs)} ms, ` +
          `recorder (profile) ${f1(f.chunkMs)} ms, heap ${f2(f.heapMB)} MB` +
          (on
            ? `; snapshots ${f.snaps.map((x) => x.ms.toFixed(1)).join('/')} ms; ` +
              `posted ${s.replay.requests} requests (${s.replay.plainRequests} plain beacons) ${(s.replay.bytes / 1000).toFixed(1)} kB = ${f1(f.kbPerMin)} kB/min, ` +
              `stored ${s.replay.storedSegments} segments ${(s.replay.storedBytes / 1000).toFixed(1)} kB`
            : '') +
          (bad.length ? `  !! not as expected on ${bad.join(', ')}: pair left out` : ''),
      );
    }
    results.push(pair);
  }
} finally {
  await cleanup();
}
try {
  if (describe(readDist()) != describe(sdk)) console.log(`\nnote: sdk/dist was rebuilt during the run; the figures are of the build above (served from memory)`);
} catch {
  /* being rebuilt */
}

// ---------------------------------------------------------------- report

const valid = results.filter((p) => !p.on.bad.length && !p.off.bad.length);
if (valid.length < results.length) console.log(`\n!! ${results.length - valid.length} of ${results.length} pairs left out (a page load without its snapshot, or with the chunk when off)`);
if (!valid.length) {
  console.log('no valid pair: nothing to report');
  process.exit(1);
}
const on = valid.map((p) => p.on.f);
const off = valid.map((p) => p.off.f);
const onS = valid.map((p) => p.on);
const d = (g) => valid.map((p) => g(p.on.f) - g(p.off.f));
const loads = on[0].loads;
const rows = [
  ['main thread: TaskDuration per session (ms)', median(on.map((f) => f.taskMs)), median(off.map((f) => f.taskMs)), d((f) => f.taskMs)],
  ['  per page load (ms)', median(on.map((f) => f.taskMs / f.loads)), median(off.map((f) => f.taskMs / f.loads)), d((f) => f.taskMs / f.loads)],
  ['  per minute of use (ms/min)', median(on.map((f) => f.taskMs / f.min)), median(off.map((f) => f.taskMs / f.min)), d((f) => f.taskMs / f.min)],
  ['main thread: ScriptDuration per session (ms)', median(on.map((f) => f.scriptMs)), median(off.map((f) => f.scriptMs)), d((f) => f.scriptMs)],
  ['recorder in the CPU profile, per session (ms)', median(on.map((f) => f.chunkMs)), median(off.map((f) => f.chunkMs)), d((f) => f.chunkMs)],
  ['  per page load (ms)', median(on.map((f) => f.chunkMs / f.loads)), 0, d((f) => f.chunkMs / f.loads)],
  ['  per minute of use (ms/min)', median(on.map((f) => f.chunkMs / f.min)), 0, d((f) => f.chunkMs / f.min)],
  ['JS heap after GC, mean over the pages (MB)', median(on.map((f) => f.heapMB)), median(off.map((f) => f.heapMB)), d((f) => f.heapMB)],
];
console.log(
  `\nmedians over ${valid.length} pairs (${loads} page loads, ${f2(median(on.map((f) => f.min)))} min each); on − off = median of the pairs' differences [min … max]`,
);
console.log('| figure | replay on | replay off | on − off |');
console.log('| --- | --- | --- | --- |');
for (const [name, a, b, diffs] of rows) {
  const [lo, hi] = range(diffs);
  console.log(`| ${name} | ${f2(a)} | ${f2(b)} | **${f2(median(diffs))}** [${f2(lo)} … ${f2(hi)}] |`);
}

const allSnaps = valid.flatMap((p) => p.on.f.snaps);
const byPage = {};
for (const p of valid) for (const pg of p.on.pages) for (const s of pg.snaps) (byPage[pg.name] ||= []).push(s);
console.log('\nfull snapshot, main thread blocked from the Meta event to the FullSnapshot event serialised (replay on):');
console.log('| page | snapshots | median ms | min … max ms | JSON chars |');
console.log('| --- | --- | --- | --- | --- |');
const snapRow = (name, xs) =>
  console.log(`| ${name} | ${xs.length} | ${f1(median(xs.map((x) => x.ms)))} | ${range(xs.map((x) => x.ms)).map(f1).join(' … ')} | ${Math.round(median(xs.map((x) => x.chars)))} |`);
for (const [name, xs] of Object.entries(byPage)) snapRow(name, xs);
snapRow('**all**', allSnaps);

const med = (g) => median(onS.map(g));
const perMin = (g) => median(onS.map((s) => g(s) / 1000 / (s.wallMs / 60000)));
console.log('\nrecording bytes (replay on; medians per session):');
console.log('| figure | per session | per minute |');
console.log('| --- | --- | --- |');
console.log(`| **posted to /api/v1/replay, as sent** (goal ≤ 50 kB/min) | ${f1(med((s) => s.replay.bytes / 1000))} kB in ${med((s) => s.replay.requests)} requests | **${f1(perMin((s) => s.replay.bytes))} kB/min** [${range(on.map((f) => f.kbPerMin)).map(f1).join(' … ')}] |`);
console.log(`| … gzip fetches | ${f1(med((s) => s.replay.gzipBytes / 1000))} kB | ${f1(perMin((s) => s.replay.gzipBytes))} kB/min |`);
console.log(`| … plain-JSON sendBeacon on pagehide | ${f1(med((s) => s.replay.plainBytes / 1000))} kB in ${med((s) => s.replay.plainRequests)} requests (${med((s) => s.replay.plainFull)} of ${med((s) => s.replay.fullRequests)} with a full snapshot) | ${f1(perMin((s) => s.replay.plainBytes))} kB/min |`);
console.log(`| the same bodies, each gzipped | ${f1(med((s) => s.replay.allGzipBytes / 1000))} kB | ${f1(perMin((s) => s.replay.allGzipBytes))} kB/min |`);
console.log(`| uncompressed JSON | ${f1(med((s) => s.replay.jsonChars / 1000))} kB | ${f1(perMin((s) => s.replay.jsonChars))} kB/min |`);
console.log(`| stored by Fovea (sum of \`bytes\` in the replay index) | ${f1(med((s) => s.replay.storedBytes / 1000))} kB in ${med((s) => s.replay.storedSegments)} segments | ${f1(perMin((s) => s.replay.storedBytes))} kB/min |`);
console.log(`| recorded span, first to last event | ${f1(med((s) => s.replay.spanMs / 1000))} s | |`);
console.log(`| RUM intake (events), replay on / off, for comparison | | ${f1(perMin((s) => s.intakeBytes))} / ${f1(median(valid.map((p) => p.off.intakeBytes / 1000 / (p.off.wallMs / 60000))))} kB/min |`);

const kinds = {};
for (const s of onS) for (const [k, v] of Object.entries(s.replay.kinds)) (kinds[k] ||= []).push(v);
const total = median(onS.map((s) => sum(Object.values(s.replay.kinds))));
console.log('\nuncompressed event JSON by rrweb event kind (median per session):');
console.log('| kind | kB | share |');
console.log('| --- | --- | --- |');
for (const [k, xs] of Object.entries(kinds).sort((a, b) => median(b[1]) - median(a[1]))) {
  while (xs.length < onS.length) xs.push(0);
  console.log(`| ${k} | ${f1(median(xs) / 1000)} | ${((100 * median(xs)) / total).toFixed(0)} % |`);
}

if (OPT.json) {
  writeFileSync(OPT.json, JSON.stringify({ chromium: version, sdk: describe(sdk), options: OPT, results }, null, 1));
  console.log(`\nper-run figures in ${OPT.json}`);
}
