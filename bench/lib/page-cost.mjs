// What bench/replay-cost.mjs and bench/sdk-cost.mjs share: measuring what a
// script costs the demo shop's pages in headless Chromium.
//
// - options: --name value / --name=value against a table of defaults;
// - numbers: median, sum, range and their Markdown cells and tables;
// - the SDK build under test: sdk/dist as it is at start, served from memory;
// - the servers: a proxy in front of Fovea that sees every request body the
//   browser posts, and a front in front of the demo site that answers
//   /sdk/* from that copy;
// - a bench run: Fovea, an app, those servers, the demo site and Chromium,
//   started and stopped around the run;
// - a session's page (a fresh context, CDP, optionally the CPU profiler),
//   a person's pointer and keyboard on it, and the shop walk
//   (home → products → checkout → account SPA → home).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { CHROME_UA, createApp, launchBrowser, startDemo, startFovea } from '../../e2e/harness.mjs';
import { rng } from '../../demo/traffic.mjs'; // the node side's "random" mouse targets, the same every run

export const VIEWPORT = { width: 1280, height: 720 };

// ---------------------------------------------------------------- options

/**
 * `--name value` or `--name=value` for each name of `defaults` (the names in
 * `flags` take no value: present, they are '1'). Returns the defaults with
 * what was given, as strings; anything else: the usage, exit 2.
 */
export function parseArgs(argv, defaults, usage, flags = []) {
  const o = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const m = argv[i].match(/^--([\w-]+)(?:=(.*))?$/);
    if (!m || !(m[1] in o)) usageError(`unexpected argument ${argv[i]}`, usage);
    o[m[1]] = m[2] ?? (flags.includes(m[1]) ? '1' : argv[++i]);
  }
  return o;
}

export function usageError(message, usage) {
  console.error(`${message}\n${usage}`);
  process.exit(2);
}

// ---------------------------------------------------------------- numbers

/** The median of the finite values; NaN when there are none. */
export const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
export const sum = (xs) => xs.reduce((a, b) => a + b, 0);
/** [min, max] of the finite values; [NaN, NaN] when there are none. */
export const range = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x));
  return s.length ? [Math.min(...s), Math.max(...s)] : [NaN, NaN];
};
export const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : '–');
export const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : '–');
/** `min … max` */
export const spread = (xs, digits = f1) => range(xs).map(digits).join(' … ');
/** `**median** [min … max]` */
export const cell = (xs, digits = f1) => `**${digits(median(xs))}** [${spread(xs, digits)}]`;
/** A Markdown table's header and rule. */
export function tableHead(...columns) {
  console.log(`| ${columns.join(' | ')} |`);
  console.log(`| ${columns.map(() => '---').join(' | ')} |`);
}

// ---------------------------------------------------------------- the SDK build under test

export const SDK_DIR = new URL('../../sdk/', import.meta.url);
const DIST = new URL('dist/', SDK_DIR);
const readDist = (names) => new Map(names.map((f) => [`/sdk/${f}`, readFileSync(new URL(f, DIST))]));
const hash = (b) => createHash('sha256').update(b).digest('hex').slice(0, 12);

/**
 * sdk/dist as it is when the run starts: the files `names`, read twice a
 * second apart until they are complete and stable (others rebuild it), kept
 * in memory for the whole run (`files`: /sdk/<name> → bytes). describe():
 * the sizes and hashes of the files `shown`; rebuilt(): whether sdk/dist is
 * now another build.
 */
export async function snapshotDist(names, shown) {
  const describe = (m) => shown.map((f) => `${f} ${m.get(`/sdk/${f}`).length} B sha256:${hash(m.get(`/sdk/${f}`))}`).join(', ');
  for (let i = 0; ; i++) {
    try {
      const a = readDist(names);
      await sleep(1000);
      const b = readDist(names);
      if ([...a].every(([k, v]) => v.equals(b.get(k))))
        return {
          files: a,
          describe: () => describe(a),
          rebuilt: () => {
            try {
              return describe(readDist(names)) != describe(a);
            } catch {
              return false; // being rebuilt
            }
          },
        };
    } catch (e) {
      if (i > 60) throw new Error(`sdk/dist incomplete (${e.code || e.message}): build it (cd sdk && npm ci && npm run build)`);
    }
    await sleep(1000);
  }
}

// ---------------------------------------------------------------- servers

function listen(server, extra) {
  return new Promise((ok) =>
    server.listen(0, '127.0.0.1', () =>
      ok({
        ...extra,
        url: `http://127.0.0.1:${server.address().port}`,
        close: () => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))),
      }),
    ),
  );
}

/** Forwards `req` to `t` (a URL) unchanged but for Host: `body`, read already, with its length; else streamed. */
function forward(req, res, t, body) {
  const headers = { ...req.headers, host: t.host };
  if (body) headers['content-length'] = String(body.length);
  delete headers.connection;
  const up = httpRequest({ host: t.hostname, port: t.port, method: req.method, path: req.url, headers }, (r) => {
    res.writeHead(r.statusCode, r.headers);
    r.pipe(res);
  });
  up.on('error', () => {
    res.writeHead(502);
    res.end();
  });
  if (body) up.end(body);
  else req.pipe(up);
}

/**
 * In front of Fovea (the demo's config points the SDK at it): each request's
 * body is read as it arrives, shown to `count(req, path, body)`, and
 * forwarded unchanged. `seen`: what `count` returned (when it did), in order.
 */
export function startCounter(target, count) {
  const t = new URL(target);
  const seen = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const rec = count(req, req.url.split('?')[0], body);
      if (rec) seen.push(rec);
      forward(req, res, t, body);
    });
  });
  return listen(server, { seen });
}

/**
 * In front of the demo site: `file(req, path)` is what to answer, with the
 * demo's headers for /sdk/* (a Buffer), a 404 (null), or nothing (undefined:
 * the request goes to the demo server unchanged).
 */
export function startFront(target, file) {
  const t = new URL(target);
  const server = createServer((req, res) => {
    const path = req.url.split('?')[0];
    const body = file(req, path);
    if (body === undefined) return forward(req, res, t);
    if (body === null) {
      res.writeHead(404);
      return res.end();
    }
    res.writeHead(200, {
      'content-type': path.endsWith('.map') ? 'application/json' : 'text/javascript; charset=utf-8',
      // as Fovea serves /sdk/* (crates/server/src/dashboard.rs)
      'cache-control': 'public, max-age=3600',
      'x-content-type-options': 'nosniff',
      'access-control-allow-origin': '*',
    });
    res.end(body);
  });
  return listen(server, {});
}

// ---------------------------------------------------------------- a bench run

/**
 * Starts the real `fovea` binary (e2e/harness.mjs), an app `name`, the
 * counter in front of it (`count`), the demo site pointed at the counter,
 * the front in front of the demo (`file`) and Chromium; prints Chromium's
 * version and the SDK build (`dist`, from snapshotDist); runs
 * `run({ fovea, app, counter, demo, browser })`; stops everything (also on
 * SIGINT/SIGTERM) and says whether sdk/dist was rebuilt meanwhile. Returns
 * Chromium's version.
 */
export async function runBench({ name, dist, count, file }, run) {
  const fovea = await startFovea();
  let counter, site, front, browser;
  const cleanup = async () => {
    await browser?.close().catch(() => {});
    await front?.close().catch(() => {});
    await site?.stop().catch(() => {});
    await counter?.close().catch(() => {});
    await fovea.stop().catch(() => {});
  };
  for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => cleanup().then(() => process.exit(130)));
  let version = '';
  try {
    const app = await createApp(fovea, name, ['*']);
    counter = await startCounter(fovea.url, count);
    site = await startDemo({ fovea: counter.url, key: app.ingest_key, sessions: 0 });
    front = await startFront(site.url, file);
    browser = await launchBrowser();
    version = browser.version();
    console.log(`Chromium ${version}; SDK (sdk/dist at start) ${dist.describe()}`);
    await run({ fovea, app, counter, demo: { url: front.url }, browser });
  } finally {
    await cleanup();
  }
  if (dist.rebuilt()) console.log(`\nnote: sdk/dist was rebuilt during the run; the figures are of the build above (served from memory)`);
  return version;
}

/** ABBA: on/off, off/on, … so a drift of the machine's speed cancels in pairs */
export const abba = (i) => (i % 2 ? [false, true] : [true, false]);

// ---------------------------------------------------------------- a session's page

/**
 * Runs first in every document, in both arms of a bench: localStorage
 * demo_fovea = `settings` (the SDK options the demo's init.js passes to
 * Fovea.init), and Math.random made a function of the path, so that the
 * demo's random start-up work (demo.js: an 80–200 ms long task) is the same
 * in both arms: `random` 'sequence', a sequence seeded by the path; 'value',
 * one value per path, whoever draws. (Serialised into the page: it can use
 * nothing of this module.)
 */
function seedPage({ settings, random }) {
  try {
    localStorage.setItem('demo_fovea', settings);
  } catch {
    /* storage blocked */
  }
  let t = 0;
  for (const c of location.pathname) t = (Math.imul(t, 31) + c.charCodeAt(0)) | 0;
  const next = () => {
    t = (t + 0x6d2b79f5) | 0;
    let x = Math.imul(t ^ (t >>> 15), 1 | t);
    x ^= x + Math.imul(x ^ (x >>> 7), 61 | x);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  if (random == 'sequence') Math.random = next;
  else {
    const value = next();
    Math.random = () => value;
  }
}

/**
 * A fresh context (the viewport, a desktop user agent, `cookies`; before
 * every document's scripts seedPage({ settings, random }), then the bench's
 * own `init`), its page and a CDP session with the Performance domain on;
 * with `profileUs` > 0 the CPU profiler sampling every `profileUs` µs,
 * started.
 */
export async function openPage(browser, { cookies, settings, random, init, profileUs = 0 }) {
  const context = await browser.newContext({ viewport: VIEWPORT, userAgent: CHROME_UA });
  if (cookies) await context.addCookies(cookies);
  await context.addInitScript(seedPage, { settings, random });
  await context.addInitScript(init);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  if (profileUs > 0) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: profileUs });
    // The agent restarts the profile when a new document commits; what ran
    // between this start and the commit (the click that navigates) is lost.
    await cdp.send('Profiler.start');
  }
  return { context, page, cdp };
}

/** CDP's Performance.getMetrics as name → value (counters restart with each document). */
export const metrics = async (cdp) => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((x) => [x.name, x.value]));

/** A CPU profile's nodes by id, and each node's parent. */
export function profileTree(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children || []) parent.set(c, n.id);
  return { byId, parent };
}

/** What sample `i` weighs (µs): the time to the next sample, or the sampling interval for the last. */
export const sampleUs = ({ timeDeltas }, i, intervalUs) => (i + 1 < timeDeltas.length ? timeDeltas[i + 1] : intervalUs);

/** Whether a sample's function is the page's work, not idling. */
export const busy = (name) => name != '(idle)' && name != '(program)' && name != '(root)';

/**
 * A person on `page`: the pointer moves at ~60 Hz along a path, not a
 * teleport; clicks, wheel scrolls and typing take a person's time.
 * `scrollIntoView`: an element below the fold is scrolled to before it is
 * pointed at, as a person would.
 */
export function person(page, { scrollIntoView = false } = {}) {
  const r = rng(42);
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
    if (scrollIntoView) await page.locator(selector).first().scrollIntoViewIfNeeded();
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
  return { moveTo, hover, clickOn, navigate, scroll, type, readUntil };
}

/**
 * The shop walk, `seconds` long, each page given its share of the time:
 * home → products → checkout → account SPA → home on the demo at `url`,
 * with a person()'s helpers, calling `collect(name)` before each page is left.
 */
export async function walkShop({ page, url, moveTo, hover, clickOn, navigate, scroll, type, readUntil, collect }, seconds) {
  const budget = (f) => Date.now() + f * seconds * 1000;

  // 1. home: look at the hero, the newsletter button, scroll
  let end = budget(0.12);
  await page.goto(`${url}/`, { waitUntil: 'load' });
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
}
