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
// cancels. Method and last figures: bench/README.md. What this shares with
// bench/sdk-cost.mjs (servers, the walk, the numbers): bench/lib/page-cost.mjs.
import { writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { leave, poll } from '../e2e/harness.mjs';
import { VIEWPORT, abba, busy, cell, f1, f2, median, metrics, openPage, parseArgs, person, profileTree, runBench, sampleUs, snapshotDist, spread, sum, tableHead, walkShop } from './lib/page-cost.mjs';

// ---------------------------------------------------------------- options

const USAGE = 'usage: node bench/replay-cost.mjs [--runs 7] [--seconds 60] [--warmup 1] [--interval-us 500 (0: no profiler)] [--json out.json]';
const args = parseArgs(process.argv.slice(2), { runs: 7, seconds: 60, warmup: 1, 'interval-us': 500, json: '' }, USAGE);
const OPT = { runs: +args.runs, seconds: +args.seconds, warmup: +args.warmup, intervalUs: +args['interval-us'], json: args.json };

const CHUNK = 'fovea-replay.min.js';

// ---------------------------------------------------------------- the proxy
// Between the browser and Fovea (the demo's config points the SDK at it):
// counts request bodies to /api/v1/replay and /api/v1/intake as they came
// over the wire, per Fovea session, and forwards everything unchanged.

/** What an rrweb event is, for the breakdown of the bytes. */
const SOURCES = ['mutation', 'mouse move', 'mouse interaction', 'scroll', 'viewport resize', 'input', 'touch move', 'media', 'stylesheet rule', 'CSS declaration', 'canvas', 'font', 'log', 'drag', 'stylesheet', 'selection', 'adopted stylesheet', 'custom element'];
const KIND = (e) =>
  e.type == 2 ? 'full snapshot' : e.type == 4 ? 'meta' : e.type == 3 ? SOURCES[e.data && e.data.source] || 'incremental' : e.type == 0 || e.type == 1 ? 'load events' : 'other';

function count(req, path, body) {
  if (req.method != 'POST' || (path != '/api/v1/replay' && path != '/api/v1/intake')) return;
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
  return rec;
}

// ---------------------------------------------------------------- in the page
// Runs before every document's scripts, after openPage's seedPage (replay
// on or off in localStorage demo_fovea; Math.random a sequence seeded by
// the path, so the demo's random start-up work is the same in both arms).
// The full snapshot is timed from the outside: rrweb emits its Meta event,
// serialises the document synchronously and emits the FullSnapshot event;
// the chunk's emit() JSON.stringify-es each event at once. So the time from
// the Meta event's stringify to the end of the FullSnapshot's stringify is
// the main thread blocked by the snapshot (serialisation + masking +
// stringify), with nothing else in between.
function pageInit() {
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
  const { byId, parent } = profileTree(profile);
  const inChunk = new Map();
  const hit = (id) => {
    if (inChunk.has(id)) return inChunk.get(id);
    const n = byId.get(id);
    const v = (n.callFrame.url || '').endsWith(CHUNK) || (parent.has(id) && hit(parent.get(id)));
    inChunk.set(id, v);
    return v;
  };
  const { samples } = profile;
  let chunkUs = 0;
  let busyUs = 0;
  for (let i = 0; i < samples.length; i++) {
    const dt = sampleUs(profile, i, OPT.intervalUs);
    if (busy(byId.get(samples[i]).callFrame.functionName)) busyUs += dt;
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
  const profiling = OPT.intervalUs > 0;
  const { context, page, cdp } = await openPage(browser, {
    settings: JSON.stringify({ replaySampleRate: on ? 100 : 0 }),
    random: 'sequence',
    init: pageInit,
    profileUs: OPT.intervalUs,
  });
  const firstSeen = proxy.seen.length;

  const pages = [];
  // the figures of the document about to be left (CDP's counters restart with each document)
  const collect = async (name) => {
    const m = await metrics(cdp);
    const prof = profiling ? chunkTime((await cdp.send('Profiler.stop')).profile) : { chunkMs: NaN, jsMs: NaN };
    const rc = await page
      .evaluate(() => ({ snaps: window.__rc ? window.__rc.snaps : [], chunk: typeof (window.__foveaReplay || {}).n == 'function' }))
      .catch(() => ({ snaps: [], chunk: false }));
    await cdp.send('HeapProfiler.collectGarbage');
    const after = await metrics(cdp);
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

  const t0 = Date.now();
  await walkShop({ page, url: demo.url, ...person(page), collect }, seconds);
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

// ---------------------------------------------------------------- main

/**
 * The SDK build under test, sdk/dist as it is when the run starts (the
 * core, the replay chunk and their maps), served from memory for the whole
 * run: the demo's pages are reached through a small front that answers
 * these /sdk/* from this copy and forwards everything else to the demo
 * server.
 */
const sdk = await snapshotDist(['fovea.min.js', 'fovea.min.js.map', CHUNK, `${CHUNK}.map`], ['fovea.min.js', CHUNK]);

const results = [];
const version = await runBench({ name: 'replay-cost', dist: sdk, count, file: (req, path) => sdk.files.get(path) }, async ({ fovea, app, counter: proxy, demo, browser }) => {
  console.log(`${OPT.runs} runs × 2 arms × ${OPT.seconds} s, ${OPT.warmup} warm-up pair(s), ${OPT.intervalUs > 0 ? `profiler every ${OPT.intervalUs} µs` : 'no profiler'}, viewport ${VIEWPORT.width}×${VIEWPORT.height}`);
  for (let w = 0; w < OPT.warmup; w++) {
    for (const on of [true, false]) {
      const s = await visit(browser, demo, proxy, fovea, app, on, Math.min(OPT.seconds, 20));
      console.log(`warm-up, replay ${on ? 'on ' : 'off'}: ${(s.wallMs / 1000).toFixed(1)} s, ${s.replay.requests} replay requests`);
    }
  }
  for (let i = 0; i < OPT.runs; i++) {
    const pair = {};
    for (const on of abba(i)) {
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
});

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
tableHead('figure', 'replay on', 'replay off', 'on − off');
for (const [name, a, b, diffs] of rows) console.log(`| ${name} | ${f2(a)} | ${f2(b)} | ${cell(diffs, f2)} |`);

const allSnaps = valid.flatMap((p) => p.on.f.snaps);
const byPage = {};
for (const p of valid) for (const pg of p.on.pages) for (const s of pg.snaps) (byPage[pg.name] ||= []).push(s);
console.log('\nfull snapshot, main thread blocked from the Meta event to the FullSnapshot event serialised (replay on):');
tableHead('page', 'snapshots', 'median ms', 'min … max ms', 'JSON chars');
const snapRow = (name, xs) =>
  console.log(`| ${name} | ${xs.length} | ${f1(median(xs.map((x) => x.ms)))} | ${spread(xs.map((x) => x.ms))} | ${Math.round(median(xs.map((x) => x.chars)))} |`);
for (const [name, xs] of Object.entries(byPage)) snapRow(name, xs);
snapRow('**all**', allSnaps);

const med = (g) => median(onS.map(g));
const perMin = (g) => median(onS.map((s) => g(s) / 1000 / (s.wallMs / 60000)));
console.log('\nrecording bytes (replay on; medians per session):');
tableHead('figure', 'per session', 'per minute');
console.log(`| **posted to /api/v1/replay, as sent** (goal ≤ 50 kB/min) | ${f1(med((s) => s.replay.bytes / 1000))} kB in ${med((s) => s.replay.requests)} requests | **${f1(perMin((s) => s.replay.bytes))} kB/min** [${spread(on.map((f) => f.kbPerMin))}] |`);
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
tableHead('kind', 'kB', 'share');
for (const [k, xs] of Object.entries(kinds).sort((a, b) => median(b[1]) - median(a[1]))) {
  while (xs.length < onS.length) xs.push(0);
  console.log(`| ${k} | ${f1(median(xs) / 1000)} | ${((100 * median(xs)) / total).toFixed(0)} % |`);
}

if (OPT.json) {
  writeFileSync(OPT.json, JSON.stringify({ chromium: version, sdk: sdk.describe(), options: OPT, results }, null, 1));
  console.log(`\nper-run figures in ${OPT.json}`);
}
