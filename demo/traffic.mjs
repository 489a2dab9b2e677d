#!/usr/bin/env node
// Drives headless Chromium through the demo site to generate realistic RUM
// data: N sessions, each a fresh browser context (so a new Fovea session)
// with its own device, network and CPU speed, release and user, walking a
// random journey through the shop, the error lab and the SPA.
//
//   node demo/traffic.mjs --demo http://127.0.0.1:8081 --sessions 20
//
// playwright-core comes from e2e/ (cd e2e && npm ci). Also importable:
// generateTraffic({ demoUrl, sessions, browser }).
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const PROFILES = [
  { name: 'desktop-linux', viewport: { width: 1366, height: 768 }, userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36' },
  { name: 'desktop-windows', viewport: { width: 1920, height: 1080 }, userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36' },
  { name: 'desktop-mac-edge', viewport: { width: 1440, height: 900 }, userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36 Edg/156.0.0.0' },
  { name: 'mobile-android', viewport: { width: 412, height: 915 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2.6, userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Mobile Safari/537.36' },
  { name: 'tablet-android', viewport: { width: 800, height: 1280 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2, userAgent: 'Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36' },
];
const NETWORKS = [
  null, // as fast as loopback
  { latency: 40, downloadThroughput: (20 * 1024 * 1024) / 8, uploadThroughput: (5 * 1024 * 1024) / 8 },
  { latency: 150, downloadThroughput: (1.6 * 1024 * 1024) / 8, uploadThroughput: (750 * 1024) / 8 }, // "slow 4G"
];
const RELEASES = ['demo-1.0', 'demo-1.0', 'demo-1.1'];
const LAB_BUTTONS = ['throw', 'reject', 'broken-image', 'fetch-500', 'fetch-down', 'xhr-500', 'console-error', 'custom-error', 'custom-action', 'traced', 'slow'];

const pick = (a, r) => a[Math.floor(r() * a.length)];

/** A small seeded PRNG (mulberry32), so a run can be repeated with --seed. */
export function rng(seed) {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let x = Math.imul(t ^ (t >>> 15), 1 | t);
    x ^= x + Math.imul(x ^ (x >>> 7), 61 | x);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

async function session(browser, demoUrl, r, i) {
  const profile = pick(PROFILES, r);
  const context = await browser.newContext({ ...profile, name: undefined });
  const release = pick(RELEASES, r);
  const user = r() < 0.4 ? `user-${100 + i}` : '';
  await context.addInitScript(
    ([rel, u]) => {
      try {
        localStorage.setItem('demo_release', rel);
        if (u) localStorage.setItem('demo_user', u);
      } catch {
        /* storage blocked */
      }
    },
    [release, user],
  );
  const page = await context.newPage();
  page.on('pageerror', () => {}); // the error lab throws on purpose
  try {
    const cdp = await context.newCDPSession(page);
    const net = pick(NETWORKS, r);
    if (net) await cdp.send('Network.emulateNetworkConditions', { offline: false, ...net });
    const cpu = pick([1, 1, 2, 4], r);
    if (cpu > 1) await cdp.send('Emulation.setCPUThrottlingRate', { rate: cpu });
  } catch {
    /* emulation is optional */
  }
  const wait = (lo, hi) => page.waitForTimeout(lo + Math.floor(r() * (hi - lo)));
  // a click that cannot happen (element covered, page still moving) is skipped, as a user would
  const click = (target, opts = {}) => (typeof target == 'string' ? page.click(target, { timeout: 3000, ...opts }) : target.click({ timeout: 3000, ...opts })).catch(() => {});
  // the first session of a run visits everything, so any run has every kind of data
  const full = i === 0;
  const journey = [];
  journey.push(full || r() < 0.7 ? '/' : '/products');
  if (full || r() < 0.7) journey.push('/products');
  if (full || r() < 0.5) journey.push('/checkout');
  if (full || r() < 0.6) journey.push('/lab');
  if (full || r() < 0.6) journey.push('/spa/');
  for (const path of journey) {
    await page.goto(demoUrl + path, { waitUntil: 'load' });
    await wait(600, 1500);
    if (path === '/' && r() < 0.5) await click('#newsletter');
    if (path === '/products') {
      await page.waitForSelector('#products button', { timeout: 10000 }).catch(() => {});
      const buttons = await page.$$('#products button');
      for (let k = 0; k < Math.min(buttons.length, 1 + Math.floor(r() * 3)); k++) {
        await click(buttons[Math.floor(r() * buttons.length)]);
        await wait(200, 600);
      }
    }
    if (path === '/checkout') {
      // typed values are masked in the browser: the replay shows *** instead
      await page.fill('#name', pick(['Ada Lovelace', 'Grace Hopper', 'Alan Turing'], r)).catch(() => {});
      await page.fill('#email', 'ada@example.com').catch(() => {});
      await page.fill('#card', '4111 1111 1111 1111').catch(() => {});
      await page.fill('#notes', 'Leave it at the door').catch(() => {});
      await wait(300, 800);
      await click('#place-order');
      await wait(400, 900);
      // /api/checkout: with a server key the demo backend traces it (a database query, a reservation)
      if (full || r() < 0.6) {
        await click('#check-stock');
        await wait(800, 1400);
      }
    }
    if (path === '/lab') {
      const buttons = full ? ['throw', 'fetch-500', 'slow'] : Array.from({ length: 1 + Math.floor(r() * 4) }, () => pick(LAB_BUTTONS, r));
      for (const b of buttons) {
        await click(`#${b}`);
        await wait(200, 500);
      }
      if (full || r() < 0.4) for (let k = 0; k < 4; k++) await click('#rage', { delay: 10 });
      if (full || r() < 0.4) await click('#dead');
      await wait(1100, 1400); // let click outcomes (dead, error) be decided
    }
    if (path === '/spa/') {
      for (const href of ['/spa/orders', '/spa/orders/42', '/spa/settings'].filter(() => full || r() < 0.8)) {
        await click(`a[href="${href}"]`);
        await wait(500, 1200);
      }
    }
  }
  // leaving the page sends the final view update (pagehide → sendBeacon)
  await page.goto('about:blank');
  await page.waitForTimeout(300);
  await context.close();
}

/**
 * Runs `sessions` sessions (two at a time) against the demo at `demoUrl`
 * in `browser` (a playwright-core Browser). Resolves when all are done.
 */
export async function generateTraffic({ demoUrl, sessions = 10, browser, seed = Date.now(), concurrency = 2, log = () => {} }) {
  const r = rng(seed);
  let next = 0;
  const worker = async () => {
    while (next < sessions) {
      const i = next++;
      const seedI = Math.floor(r() * 2 ** 32);
      await session(browser, demoUrl, rng(seedI), i).catch((e) => log(`session ${i} failed: ${e.message}`));
      log(`session ${i + 1}/${sessions} done`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, sessions) }, worker));
}

async function loadChromium() {
  try {
    const m = await import('playwright-core');
    return m.chromium ?? m.default.chromium;
  } catch {
    const require = createRequire(resolve(fileURLToPath(new URL('.', import.meta.url)), '..', 'e2e', 'package.json'));
    // playwright-core is CommonJS: its exports may only be on `default`.
    const m = await import(pathToFileURL(require.resolve('playwright-core')).href);
    return m.chromium ?? m.default.chromium;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = Object.fromEntries(
    process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
  );
  const demoUrl = args.demo ?? 'http://127.0.0.1:8081';
  const sessions = +(args.sessions ?? 10);
  const chromium = await loadChromium();
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const t0 = Date.now();
  await generateTraffic({ demoUrl, sessions, browser, seed: args.seed ? +args.seed : undefined, log: (m) => console.log(m) });
  await browser.close();
  console.log(`${sessions} sessions in ${((Date.now() - t0) / 1000).toFixed(1)} s against ${demoUrl}`);
}
