// Source-mapped error tracking end to end: a page whose bundle esbuild
// minified (built here, from crates/symbolicate/tests/fixtures/src), the
// real `fovea sourcemaps upload` CLI, real Chromium, the real server.
//
//   cargo build && (cd sdk && npm ci && npm run build)
//   cd e2e && npm ci && node --test errors.test.mjs
//
// What it proves: the CLI uploads a build's bundle and map (and skips them
// the second time); an error thrown in a known original function comes back
// through the API with that function, file, line and source lines; a map
// uploaded after the error still explains it; resolved, the issue regresses
// when a newer release throws it again; the dashboard shows the frames.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { FOVEA_BIN, createApp, freePort, launchBrowser, leave, poll, startFovea } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const SOURCES = path.join(here, '..', 'crates', 'symbolicate', 'tests', 'fixtures', 'src');
const ARTIFACTS = path.join(here, 'artifacts');
fs.mkdirSync(ARTIFACTS, { recursive: true });
const run = promisify(execFile);

let fovea;
let app;
let browser;
let site; // { url, close() }
let dist; // the build output: assets/app.min.js and its map

/** Bundles and minifies the fixture app with esbuild into `out`/assets. */
function build(out) {
  const { buildSync } = createRequire(path.join(here, '..', 'sdk', 'package.json'))('esbuild');
  buildSync({
    entryPoints: [path.join(SOURCES, 'main.js')],
    bundle: true,
    minify: true,
    format: 'iife',
    sourcemap: true,
    outfile: path.join(out, 'assets', 'app.min.js'),
  });
}

/** The CLI, as CI would run it after a build. */
function upload(release, dir = dist) {
  return run(FOVEA_BIN, [
    'sourcemaps', 'upload',
    '--server', fovea.url,
    '--app', app.id,
    '--release', release,
    '--url-prefix', '~/',
    dir,
  ], { env: { ...process.env, FOVEA_TOKEN: fovea.token } });
}

/** A shop page: the Fovea SDK from the server, the minified bundle, a button whose handler throws. */
function serveSite(port) {
  const page = (release) => `<!doctype html><html><head><meta charset="utf-8"><title>shop</title>
<script src="${fovea.url}/sdk/fovea.min.js"></script>
<script src="/init.js?release=${release}"></script>
<script src="/assets/app.min.js"></script></head>
<body><button id="pay">Pay</button><script src="/page.js"></script></body></html>`;
  const init = (release) => `Fovea.init({ endpoint: ${JSON.stringify(fovea.url)}, key: ${JSON.stringify(app.ingest_key)},
  release: ${JSON.stringify(release)}, flushInterval: 500 });`;
  // The coupon over 100% makes applyDiscount (src/cart.js:13) throw.
  const handler = `document.getElementById('pay').addEventListener('click', function () {
  shop.checkout({ items: [{ price: 5, quantity: 2 }], coupon: { code: 'BIG', percent: 150 } });
});`;
  const server = createServer((req, res) => {
    const u = new URL(req.url, 'http://x');
    const js = (body) => res.writeHead(200, { 'content-type': 'text/javascript' }).end(body);
    if (u.pathname === '/init.js') return js(init(u.searchParams.get('release')));
    if (u.pathname === '/page.js') return js(handler);
    if (u.pathname.startsWith('/assets/')) {
      const file = path.join(dist, u.pathname);
      if (file.startsWith(dist) && fs.existsSync(file)) return js(fs.readFileSync(file));
    }
    if (u.pathname === '/') return res.writeHead(200, { 'content-type': 'text/html' }).end(page(u.searchParams.get('release')));
    res.writeHead(404).end();
  });
  return new Promise((resolve) =>
    server.listen(port, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${port}/`, close: () => server.close() })),
  );
}

/** Opens the shop with `release`, clicks Pay (which throws), leaves. */
async function throwIn(release) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('pageerror', () => {}); // the error is the point
  await page.goto(`${site.url}?release=${encodeURIComponent(release)}`, { waitUntil: 'load' });
  await page.click('#pay');
  await page.waitForTimeout(800);
  await leave(page, context);
}

/** The issue of the RangeError thrown in release `release`. */
async function issueOf(release) {
  return poll(
    async () => {
      const { issues } = await fovea.api(`/apps/${app.id}/issues`);
      for (const i of issues.filter((i) => i.kind === 'RangeError')) {
        const d = await fovea.api(`/apps/${app.id}/issues/${i.fingerprint}`);
        if (d.release === release) return d;
      }
      return null;
    },
    { timeout: 30000, message: `the issue of release ${release}` },
  );
}

before(async () => {
  fovea = await startFovea();
  app = await createApp(fovea, 'errors', ['*']);
  dist = fs.mkdtempSync(path.join(os.tmpdir(), 'fovea-dist-'));
  build(dist);
  site = await serveSite(await freePort());
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  site?.close();
  await fovea?.stop();
  if (dist) fs.rmSync(dist, { recursive: true, force: true });
});

describe('source-mapped errors', () => {
  test('the CLI uploads a build once; an error in a known function shows its original function, file and line', async () => {
    const first = await upload('1.0.0');
    assert.match(first.stdout, /release 1\.0\.0: 2 uploaded, 0 already there/);
    assert.match(first.stdout, /~\/assets\/app\.min\.js → ~\/assets\/app\.min\.js\.map/, first.stdout);
    const again = await upload('1.0.0');
    assert.match(again.stdout, /0 uploaded, 2 already there/, 'files with the same content are skipped');
    const { stdout } = await run(FOVEA_BIN, ['sourcemaps', 'list', '--server', fovea.url, '--app', app.id, '--token', fovea.token]);
    assert.match(stdout, /1\.0\.0\s+map/);

    await throwIn('1.0.0');
    const d = await issueOf('1.0.0');
    const [top, caller] = d.frames;
    assert.equal(top.function, 'applyDiscount', JSON.stringify(d.frames));
    assert.match(top.file, /src\/cart\.js$/);
    assert.equal(top.line, 13);
    assert.equal(top.in_app, true);
    assert.match(top.context.line, /throw new RangeError/);
    assert.equal(top.context.pre.length, 5);
    assert.match(top.minified.file, /\/assets\/app\.min\.js$/);
    assert.equal(top.minified.line, 1);
    assert.equal(caller.function, 'computeTotal');
    assert.match(d.issue.top_frame, /^applyDiscount \(.*src\/cart\.js:13:\d+\)$/, 'grouped on the symbolicated frame');
  });

  test('a map uploaded after the error still explains it', async () => {
    await throwIn('2.0.0');
    const before = await issueOf('2.0.0');
    assert.ok(before.frames.length > 0);
    assert.equal(before.frames[0].minified, null, 'no map yet: the minified position');
    assert.match(before.frames[0].file, /app\.min\.js$/);
    await upload('2.0.0');
    const after = await fovea.api(`/apps/${app.id}/issues/${before.issue.fingerprint}`);
    assert.equal(after.frames[0].function, 'applyDiscount');
    assert.equal(after.frames[0].line, 13);
  });

  test('a bad map is refused at upload with the reason', async () => {
    const bad = fs.mkdtempSync(path.join(os.tmpdir(), 'fovea-bad-'));
    fs.writeFileSync(path.join(bad, 'broken.js.map'), '{"version":3,"mappings":');
    await assert.rejects(upload('3.0.0', bad), (e) => {
      assert.match(e.stderr, /400|invalid_sourcemap|not a source map/);
      return true;
    });
    fs.rmSync(bad, { recursive: true, force: true });
  });

  test('the dashboard shows the original frames of an issue', async () => {
    const d = await issueOf('1.0.0');
    const context = await browser.newContext({ viewport: { width: 1360, height: 1000 } });
    const page = await context.newPage();
    await page.goto(`${fovea.url}/login?next=${encodeURIComponent(`/apps/${app.id}/errors/${d.issue.fingerprint}`)}`);
    await page.fill('input[name=username]', 'admin');
    await page.fill('input[name=password]', fovea.password);
    await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.click('button[type=submit]')]);
    const frames = page.locator('[data-testid=frames]');
    await frames.waitFor({ timeout: 20000 });
    const text = await frames.innerText();
    assert.match(text, /applyDiscount/);
    assert.match(text, /src\/cart\.js:13/);
    assert.match(text, /throw new RangeError/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'issue-frames.png'), fullPage: true });
    await context.close();
  });
  test('resolved in a release, thrown again by a newer one: the issue regresses', async () => {
    const d = await issueOf('1.0.0');
    const fp = d.issue.fingerprint;
    const st = await fovea.api(`/apps/${app.id}/issues/${fp}`, {
      method: 'PATCH',
      body: JSON.stringify({ status: 'resolved', resolved_in_release: '1.0.1' }),
    });
    assert.equal(st.status, 'resolved');
    const resolved = (await fovea.api(`/apps/${app.id}/issues?status=resolved`)).issues;
    assert.ok(resolved.some((i) => i.fingerprint === fp));
    // The next release ships without the fix: same bug, same issue, regressed.
    await upload('1.0.2');
    await throwIn('1.0.2');
    const back = await poll(
      async () => {
        const { issues } = await fovea.api(`/apps/${app.id}/issues?status=open`);
        return issues.find((i) => i.fingerprint === fp && i.regressed);
      },
      { timeout: 30000, message: 'the issue regressed' },
    );
    assert.equal(back.last_release, '1.0.2');
    assert.equal(back.resolved_in_release, '1.0.1');
    // All-time history: the first release it occurred in, every release, and the range's trend.
    assert.equal(back.first_release, '1.0.0');
    assert.deepEqual(
      back.releases.map((r) => r.release),
      ['1.0.0', '1.0.2'],
    );
    assert.ok(back.first_seen <= back.releases[0].first_seen);
    assert.equal(
      back.trend.counts.reduce((a, b) => a + b, 0),
      back.count,
      'the trend counts every occurrence of the range',
    );
    const byUsers = (await fovea.api(`/apps/${app.id}/issues?sort=users`)).issues;
    assert.ok(byUsers.every((i, k) => k === 0 || byUsers[k - 1].users >= i.users), 'sorted by users');
  });
});
