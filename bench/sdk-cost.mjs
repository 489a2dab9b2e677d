#!/usr/bin/env node
// What the SDK costs the page: main-thread time per page load and per minute
// of use, and JS heap, on the demo shop in headless Chromium, with the SDK
// and without it (the same page), alternating; and where the SDK's own time
// goes (a V8 CPU profile, mapped to the SDK's sources through its source map).
//
//   (cd e2e && npm ci)            # playwright-core
//   node bench/sdk-cost.mjs [--runs 7] [--seconds 60] [--warmup 1] [--interval-us 100]
//                           [--scenario load,later,minute] [--options '{...}'] [--compile-hints]
//                           [--top 25] [--json out.json]
//   (--interval-us: the CPU profiler's sampling interval; 0 runs without the profiler;
//    --options: SDK options for init(), merged into demo_fovea, e.g. to try a flushInterval;
//    --compile-hints: a third arm, "toggled", in every round: fovea.min.js with V8's
//    `//# allFunctionsCalledOnLoad` first line toggled (left out, as the build has it; added
//    to a build without it). The hint compiles every function of the file eagerly, off the
//    main thread while the script streams, and caches them all. Reported as toggled − off
//    and toggled − on, round by round)
//
// Starts the real `fovea` binary (e2e/harness.mjs: $FOVEA_BIN, else
// $CARGO_TARGET_DIR/debug/fovea; it must be built), a small proxy in front of
// it that counts what the browser posts, the demo site, and in front of the
// demo a small server that answers /sdk/* from a copy of sdk/dist taken at
// start (a rebuild during the run changes nothing). A browser context whose
// cookie `sdkcost=off` gets, for /sdk/fovea.min.js, a stub defining the same
// `Fovea` API doing nothing; everything else about the page is the same.
// Replay is off in both arms (localStorage demo_fovea = {"replaySampleRate":0}).
// Scenario "load": /checkout, six clicks (four form fields, "Check stock",
// which fetches /api/checkout, and "Place order"), 2 s, leave: the first page
// of a first visit (nothing cached). Scenario "later": the same page load
// after two unmeasured loads of it in the same context, as a visitor's later
// pages are: the SDK comes from the HTTP cache (served as Fovea serves it),
// the sampling config from the SDK's storage (kept 5 minutes) and V8 has
// cached the SDK's compiled code. Scenario
// "minute": replay-cost's walk (home → products → checkout → account SPA →
// home) for --seconds. Pairs alternate on/off, off/on, … (ABBA; with
// --compile-hints, triples in a rotating order), each arm
// measured by CDP Performance.getMetrics (and, in the load and later scenarios, a
// Chromium trace, both arms); after each pair a third session, SDK on, runs
// under the CPU profiler for the attribution. Method and last figures:
// bench/README.md. What this shares with bench/replay-cost.mjs (servers, the
// walk, the numbers): bench/lib/page-cost.mjs.
import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { setTimeout as sleep } from 'node:timers/promises';
import { CHROME_UA } from '../e2e/harness.mjs';
import { SDK_DIR, VIEWPORT, abba, busy, cell, f1, f2, median, metrics, openPage, parseArgs, person, profileTree, runBench, sampleUs, snapshotDist, sum, tableHead, usageError, walkShop } from './lib/page-cost.mjs';

// ---------------------------------------------------------------- options

const USAGE =
  'usage: node bench/sdk-cost.mjs [--runs 7] [--seconds 60] [--warmup 1] [--interval-us 100 (0: no profiler)] [--scenario load,later,minute] [--options \'{"flushInterval":5000}\'] [--compile-hints] [--top 25] [--json out.json]';
const args = parseArgs(
  process.argv.slice(2),
  { runs: 7, seconds: 60, warmup: 1, 'interval-us': 100, scenario: 'load,later,minute', options: '{}', 'compile-hints': '', top: 25, json: '' },
  USAGE,
  ['compile-hints'], // takes no value
);
const SCENARIOS = ['load', 'later', 'minute'];
if (!args.scenario.split(',').every((x) => SCENARIOS.includes(x))) usageError(`--scenario must be a comma-separated list of ${SCENARIOS.join(', ')}`, USAGE);
let options;
try {
  options = JSON.parse(args.options);
} catch {
  usageError('--options must be a JSON object of SDK options', USAGE);
}
const OPT = {
  runs: +args.runs,
  seconds: +args.seconds,
  warmup: +args.warmup,
  intervalUs: +args['interval-us'],
  scenarios: SCENARIOS.filter((x) => args.scenario.split(',').includes(x)),
  options,
  compileHints: !!args['compile-hints'],
  top: +args.top,
  json: args.json,
};

const CORE = 'fovea.min.js';
const DEFERRED = 'fovea-deferred.min.js';
const REPLAY = 'fovea-replay.min.js';
/** What the page gets instead of the SDK in the off arm: the same API, doing nothing. */
const STUB =
  '// bench/sdk-cost.mjs: no SDK (the same API, doing nothing)\n' +
  '(function(){var n=function(){};window.Fovea=window.Fovea||{init:n,addAction:n,addError:n,setUser:n,setContext:n,setConsent:n,optOut:n,startView:n,flush:function(){return Promise.resolve()},startReplay:n,stopReplay:n}})();\n';

// ---------------------------------------------------------------- the SDK build under test

/**
 * sdk/dist as it is when the run starts (snapshotDist), served from memory
 * for the whole run. The source maps are decoded to name the profile's
 * frames; the sources they point to (sdk/src, sdk/node_modules/web-vitals)
 * are read at the same time, for the names of the enclosing declarations
 * only.
 */
const SDK_FILES = [CORE, `${CORE}.map`, DEFERRED, `${DEFERRED}.map`, REPLAY, `${REPLAY}.map`];
/** V8's explicit compile hint (Chrome 136+): every function of the file compiled eagerly, off the main thread. */
const HINT = '//# allFunctionsCalledOnLoad\n';
/** whether the core `file` (bytes) starts with the hint */
const hasHint = (file) => file.subarray(0, HINT.length).toString() == HINT;
/** what the page gets for `path` in arm `arm` (the SDK build; the toggled arm: the core with its hint toggled) */
const served = (files, path, arm) => {
  const f = files.get(path);
  if (arm != 'toggled' || path != `/sdk/${CORE}`) return f;
  return hasHint(f) ? f.subarray(HINT.length) : Buffer.concat([Buffer.from(HINT), f]);
};
// A source map v3 decoder, enough for these bundles (no dependency).
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
function decodeMappings(mappings) {
  const lines = [];
  let src = 0;
  let sl = 0;
  let sc = 0;
  let nm = 0;
  for (const line of mappings.split(';')) {
    const segs = [];
    let gc = 0;
    if (line)
      for (const seg of line.split(',')) {
        const v = [];
        let shift = 0;
        let value = 0;
        for (const ch of seg) {
          const d = B64.indexOf(ch);
          value += (d & 31) * 2 ** shift;
          if (d & 32) shift += 5;
          else {
            v.push(value % 2 ? -Math.floor(value / 2) : value / 2);
            value = 0;
            shift = 0;
          }
        }
        gc += v[0];
        const s = { c: gc };
        if (v.length >= 4) {
          src += v[1];
          sl += v[2];
          sc += v[3];
          Object.assign(s, { s: src, l: sl, col: sc });
        }
        if (v.length >= 5) s.n = nm += v[4];
        segs.push(s);
      }
    lines.push(segs);
  }
  return lines;
}

/** file name → { lines (decoded), sources, names, text(source) } */
function loadMaps(dist) {
  const maps = new Map();
  for (const f of [CORE, DEFERRED]) {
    const map = JSON.parse(dist.get(`/sdk/${f}.map`).toString('utf8'));
    const texts = map.sources.map((s) => {
      try {
        return readFileSync(new URL(s, SDK_DIR), 'utf8').split('\n');
      } catch {
        return null;
      }
    });
    maps.set(f, { lines: decodeMappings(map.mappings), sources: map.sources, names: map.names, texts });
  }
  return maps;
}

/** The same maps for the toggled arm, whose core has one line less (or more) at the top. */
const toggled = (maps, files) => {
  const { lines } = maps.get(CORE);
  return new Map([...maps, [CORE, { ...maps.get(CORE), lines: hasHint(files.get(`/sdk/${CORE}`)) ? lines.slice(1) : [[], ...lines] }]]);
};

/** The enclosing top-level declaration of a source line: `export const post = …` → post. */
function declAt(text, line) {
  if (!text) return '?';
  for (let i = Math.min(line, text.length - 1); i >= 0; i--) {
    const m = /^(?:export\s+)?(?:default\s+)?(?:async\s+)?(?:const|let|var|function\*?|class)\s+([\w$]+)/.exec(text[i]);
    if (m) return m[1];
    if (/^(?:export\s+)?interface\s/.test(text[i])) break;
  }
  return '(top level)';
}

/**
 * Where a profile frame of an SDK file is in the sources: file, line, the
 * enclosing top-level declaration. Frames before the first mapping are the
 * script's own top level (its evaluation).
 */
function locate(maps, file, line, col) {
  const m = maps.get(file);
  const segs = m?.lines[line];
  if (!segs) return { file, line: 0, decl: '(script top level)', key: `${file} (script top level)` };
  let lo = 0;
  let hi = segs.length - 1;
  let k = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (segs[mid].c <= col) {
      k = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  while (k >= 0 && segs[k].s == null) k--;
  // the IIFE's own body, before the first mapped declaration
  if (k < 0 || col < 20) return { file: m ? file : file, line: 0, decl: '(script top level)', key: `${file} (script top level)` };
  const s = segs[k];
  const src = m.sources[s.s].replace(/^node_modules\//, '');
  const decl = declAt(m.texts[s.s], s.l);
  return { file: src, line: s.l + 1, decl, key: `${decl} (${src}:${s.l + 1})` };
}

// ---------------------------------------------------------------- the CPU profile
// Sampled by V8 (CDP Profiler). A sample is the SDK's when a frame of its
// stack is in fovea.min.js or fovea-deferred.min.js: its own code and the
// browser APIs it calls (which the profile shows as frames of their own:
// fetch, sendBeacon, Blob, document.cookie, …), except the page's own calls
// that pass through an SDK wrapper (the page's fetch/XHR/pushState through
// the SDK's instrumentation: the call itself is the page's, the wrapper's
// work around it the SDK's). Each sample weighs the time to the next one.
//
// Phases, from the innermost SDK frame (wrappers skipped) and the API it
// called; `startup` is everything under init() or the scripts' top level.

const PHASES = ['startup', 'observers/vitals', 'instrumentation', 'batching/serialising', 'compression', 'sending', 'other'];

function phaseOf(loc, native, startup) {
  if (startup) return 'startup';
  if (native == 'sendBeacon' || native == 'fetch') return 'sending';
  // the gzip body: new Blob, .stream(), pipeThrough(new CompressionStream), new Response().blob()
  if (loc.decl == 'post' && /CompressionStream|pipeThrough|^stream$|^blob$|^Blob$|^Response$/.test(native || '')) return 'compression';
  const f = loc.file;
  if (/web-vitals\/|vitals/i.test(f) || /src\/tti\.ts$|lib\/observe\.ts$|deferred\/(resources|longtasks)\.ts$/.test(f)) return 'observers/vitals';
  if (/src\/transport\.ts$/.test(f)) return /^(post|req|drain|send|beacon)$/.test(loc.decl) ? 'sending' : 'batching/serialising';
  if (/src\/(emit|state)\.ts$|lib\/(uuid|hex|scrub|round|timing|now)\.ts$/.test(f)) return 'batching/serialising';
  if (/src\/(actions|network|errors|views|session|sampling|replay|deferred)\.ts$|lib\/(actionTarget|selector|cookie|bucket|matches|limiter|glob|replayMode|automation)\.ts$|deferred\/rules\.ts$/.test(f))
    return 'instrumentation';
  return 'other';
}

const isSdkUrl = (u) => u.endsWith(`/sdk/${CORE}`) || u.endsWith(`/sdk/${DEFERRED}`);
const WRAPPERS = /lib\/(safe|wrap|on)\.ts$/;
const SPECIAL = new Set(['(root)', '(program)', '(idle)', '(garbage collector)']);

/** A profile summary of nothing. */
const noProfile = () => ({ ms: 0, cappedMs: 0, passMs: 0, phases: Object.fromEntries(PHASES.map((p) => [p, 0])), fns: {}, entries: {}, gaps: {}, gcMs: 0, busyMs: 0 });

/**
 * The SDK's samples of one profile: total ms, ms by phase, by function (the
 * innermost SDK frame, self time incl. the APIs it calls) and by entry (the
 * outermost SDK frame: what started the work).
 */
function sdkTime(profile, maps) {
  const { byId, parent } = profileTree(profile);
  const memo = new Map();
  const locOf = (n) => {
    const cf = n.callFrame;
    const k = `${cf.url}|${cf.lineNumber}|${cf.columnNumber}`;
    if (!memo.has(k)) memo.set(k, locate(maps, cf.url.split('/').pop(), cf.lineNumber, cf.columnNumber));
    return memo.get(k);
  };
  // per node: the classification of a sample there (memoised)
  const cls = new Map();
  const classify = (id) => {
    if (cls.has(id)) return cls.get(id);
    const stack = [];
    for (let x = id; x != null; x = parent.get(x)) stack.push(byId.get(x));
    const sdkIdx = stack.findIndex((n) => isSdkUrl(n.callFrame.url));
    let r = null;
    if (sdkIdx >= 0) {
      const leaf = stack[0];
      const native = !leaf.callFrame.url && !SPECIAL.has(leaf.callFrame.functionName) ? leaf.callFrame.functionName : '';
      // a page callback (routeName, beforeSend) the SDK calls: the SDK's doing
      const frames = stack.filter((n) => isSdkUrl(n.callFrame.url)).map(locOf);
      const inner = frames.find((l) => !WRAPPERS.test(l.file)) || frames[0];
      const outer = [...frames].reverse().find((l) => !WRAPPERS.test(l.file)) || frames.at(-1);
      // the page's own call passing through an SDK wrapper: not the SDK's
      const passThrough =
        sdkIdx == 1 && native && (/lib\/wrap\.ts$/.test(frames[0].file) || (/src\/network\.ts$/.test(frames[0].file) && native == 'fetch'));
      const startup = frames.some((l) => l.decl == '(script top level)' || (/src\/index\.ts$/.test(l.file) && l.decl == 'init'));
      r = passThrough
        ? { page: true }
        : { phase: phaseOf(inner, native, startup), fn: native ? `${inner.key} → ${native}()` : inner.key, entry: outer.key };
    }
    cls.set(id, r);
    return r;
  };
  const out = noProfile();
  const { samples } = profile;
  for (let i = 0; i < samples.length; i++) {
    // A gap between samples (the sampler or the whole renderer descheduled
    // on a busy machine: up to 40 ms here) says nothing of what ran in it;
    // it would all go to the stack sampled after it. Capped at 10 intervals.
    const raw = sampleUs(profile, i, OPT.intervalUs) / 1000;
    const dt = Math.min(raw, (10 * OPT.intervalUs) / 1000);
    const name = byId.get(samples[i]).callFrame.functionName;
    if (name == '(garbage collector)') out.gcMs += dt;
    if (busy(name)) out.busyMs += dt;
    const c = classify(samples[i]);
    if (!c) continue;
    if (c.page) {
      out.passMs += dt;
      continue;
    }
    out.ms += dt;
    out.cappedMs += raw - dt;
    if (raw > dt) out.gaps[c.fn] = (out.gaps[c.fn] || 0) + raw - dt;
    out.phases[c.phase] += dt;
    out.fns[`${c.phase}\t${c.fn}`] = (out.fns[`${c.phase}\t${c.fn}`] || 0) + dt;
    out.entries[c.entry] = (out.entries[c.entry] || 0) + dt;
  }
  return out;
}

/** Adds profile summaries (ms, phases, fns, entries) together. */
function addUp(list) {
  const o = noProfile();
  for (const p of list) {
    if (!p) continue;
    o.ms += p.ms;
    o.cappedMs += p.cappedMs;
    o.passMs += p.passMs;
    o.gcMs += p.gcMs;
    o.busyMs += p.busyMs;
    for (const k of PHASES) o.phases[k] += p.phases[k];
    for (const [k, v] of Object.entries(p.fns)) o.fns[k] = (o.fns[k] || 0) + v;
    for (const [k, v] of Object.entries(p.entries)) o.entries[k] = (o.entries[k] || 0) + v;
    for (const [k, v] of Object.entries(p.gaps)) o.gaps[k] = (o.gaps[k] || 0) + v;
  }
  return o;
}

// ---------------------------------------------------------------- the trace
// A Chromium trace (devtools.timeline and a few more categories, no JS
// sampling: far lighter than the profiler) of the load scenario's sessions,
// both arms. On the page's main thread, the outermost events that are the
// SDK's: the evaluation of fovea.min.js (and its compile), init.js's (the
// Fovea.init() call: the stub's in the off arm), the deferred chunk's
// compile and evaluation (the only module on the page), and every call from
// the browser into an SDK function (FunctionCall: listeners, observers,
// timers; most enter through lib/safe.ts, which hides which one). Inside
// them, what the browser's own events say the time went to: synchronous
// cookie access (CookieJar, an IPC to the browser process), lazy
// compilation (V8 compiles a function when it is first called), GC, style
// and layout; the rest is running JS and the APIs it calls. The SDK's
// promise continuations (post/drain after each await, the fetch wrapper's
// then) run as microtasks with the page's: microtask checkpoints outside
// the SDK's own events are counted apart, with the same breakdown; on − off
// is theirs.

const TRACE_CATEGORIES = ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8.execute', 'disabled-by-default-v8.compile', 'blink'];
const INSIDE = [
  ['sync cookie access (CookieJar)', /^CookieJar::/],
  ['lazy compile', /^(V8\.(CompileCode|CompileLazy|ParseFunction|CompileIgnition|CompileIgnitionFinalization)|v8\.compile)$/],
  ['source positions for a stack trace', /^V8\.CollectSourcePositions$/],
  ['GC', /^(MinorGC|MajorGC|V8\.GC)/],
  ['style/layout', /^(UpdateLayoutTree|Layout)$/],
];
const insideZero = () => Object.fromEntries([...INSIDE.map(([k]) => [k, 0]), ['JS and the APIs it calls (the rest)', 0]]);

function traceTime(buf, maps) {
  const ev = JSON.parse(buf.toString('utf8')).traceEvents || [];
  const init = ev.find((e) => e.name == 'EvaluateScript' && /\/init\.js$/.test(e.args?.data?.url || ''));
  if (!init) return null;
  const main = ev.filter((e) => e.pid == init.pid && e.tid == init.tid && e.ph == 'X' && e.dur != null).sort((a, b) => a.ts - b.ts || b.dur - a.dur);
  const out = {
    ms: 0,
    parts: { 'evaluate fovea.min.js': 0, 'init() (init.js)': 0, 'deferred chunk: compile + evaluate': 0, 'callbacks (listeners, observers, timers)': 0 },
    inside: insideZero(),
    callbacks: {},
    microMs: 0,
    microInside: insideZero(),
  };
  let windowEnd = 0; // the SDK event or microtask checkpoint being broken down
  let into = null;
  let subEnd = 0;
  for (const e of main) {
    const ms = e.dur / 1000;
    if (e.ts < windowEnd) {
      // inside: its outermost events of a known kind
      const k = INSIDE.find(([, re]) => re.test(e.name));
      if (k && e.ts >= subEnd) {
        into[k[0]] += ms;
        subEnd = e.ts + e.dur;
      }
      continue;
    }
    const url = e.args?.data?.url || e.args?.fileName || '';
    let part = null;
    if (isSdkUrl(url))
      part =
        e.name == 'FunctionCall'
          ? 'callbacks (listeners, observers, timers)'
          : url.endsWith(DEFERRED)
            ? 'deferred chunk: compile + evaluate'
            : 'evaluate fovea.min.js';
    else if (e.name == 'v8.evaluateModule') part = 'deferred chunk: compile + evaluate';
    else if (e.name == 'EvaluateScript' && /\/init\.js$/.test(url)) part = 'init() (init.js)';
    if (part) {
      out.ms += ms;
      out.parts[part] += ms;
      out.inside['JS and the APIs it calls (the rest)'] += ms;
      into = out.inside;
      if (e.name == 'FunctionCall') {
        const d = e.args.data;
        const k = locate(maps, url.split('/').pop(), Math.max(0, (d.lineNumber || 1) - 1), d.columnNumber || 0).key;
        const c = (out.callbacks[k] ||= { ms: 0, n: 0 });
        c.ms += ms;
        c.n++;
      }
    } else if (e.name == 'RunMicrotasks') {
      out.microMs += ms;
      out.microInside['JS and the APIs it calls (the rest)'] += ms;
      into = out.microInside;
    } else continue;
    windowEnd = e.ts + e.dur;
    subEnd = 0;
  }
  // the rest: what no known kind took
  for (const o of [out.inside, out.microInside]) for (const [k] of INSIDE) o['JS and the APIs it calls (the rest)'] -= o[k];
  return out;
}

// ---------------------------------------------------------------- servers

/**
 * What the counter in front of Fovea keeps: the bodies posted to
 * /api/v1/intake as they arrive (gzip fetches and the plain-JSON beacons of
 * pagehide), decoded, and the sdk-config requests.
 */
function count(req, path, body) {
  if (path == '/api/v1/intake' && req.method == 'POST') {
    const gzip = body[0] == 0x1f && body[1] == 0x8b;
    let json = '';
    let events = 0;
    try {
      json = (gzip ? gunzipSync(body) : body).toString('utf8');
      events = JSON.parse(json).events.length;
    } catch {
      /* Fovea judges it */
    }
    return { kind: 'intake', bytes: body.length, gzip, json, events, at: Date.now() };
  }
  if (path == '/api/v1/sdk-config') return { kind: 'config', bytes: 0, at: Date.now() };
}

/**
 * What the front in front of the demo site answers: /sdk/* from the copy
 * taken at start, and for a browser whose cookie says sdkcost=off the stub
 * instead of fovea.min.js (sdkcost=toggled: fovea.min.js with its compile hint toggled); everything else goes to the demo server.
 */
const sdkFile = (files) => (req, path) => {
  if (!path.startsWith('/sdk/')) return undefined;
  const arm = /(?:^|;\s*)sdkcost=(\w+)/.exec(req.headers.cookie || '')?.[1];
  return (arm == 'off' && path == `/sdk/${CORE}` ? Buffer.from(STUB) : served(files, path, arm)) || null;
};

// ---------------------------------------------------------------- in the page
// Runs before every document's scripts, in both arms, after openPage's
// seedPage: localStorage demo_fovea (replay off) and Math.random one value
// per path, whoever draws (the SDK draws too: web-vitals' metric ids; a
// seeded sequence would be shifted by the SDK's draws, and telling the
// callers apart by their stack would cost the SDK's frames their source
// positions), so the demo's random start-up work is the same in both arms.
// Then: (1) long animation frames and long tasks, with the time of the SDK's
// scripts in them (the browser's own attribution: scripts of 5 ms or more).
// (2) The time the page's pagehide and visibilitychange (hidden) listeners
// take when the page is left: a capturing listener registered first notes
// the time, a bubbling one (which runs after every capturing one, the SDK's
// among them) the end; stored in localStorage and read by the next document
// of the origin (the page is gone by then).
function pageInit() {
  const sc = (window.__sc = { loaf: [], lt: [], prevLeave: null });
  try {
    sc.prevLeave = JSON.parse(localStorage.getItem('__sdkcost_leave') || 'null');
    localStorage.removeItem('__sdkcost_leave');
  } catch {
    /* none */
  }
  const sdk = (u) => /\/sdk\/fovea/.test(u || '');
  try {
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) {
        const s = (e.scripts || []).filter((x) => sdk(x.sourceURL));
        sc.loaf.push({
          d: e.duration,
          b: e.blockingDuration,
          sdk: s.reduce((a, x) => a + x.duration, 0),
          n: s.length,
          scripts: s.map((x) => ({ d: x.duration, inv: `${x.invokerType} ${x.invoker}`, fn: x.sourceFunctionName, c: x.sourceCharPosition })),
        });
      }
    }).observe({ type: 'long-animation-frame', buffered: true });
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) sc.lt.push(e.duration);
    }).observe({ type: 'longtask', buffered: true });
  } catch {
    /* not supported */
  }
  const leave = { path: location.pathname, pagehide: 0, hidden: 0 };
  const save = () => {
    try {
      localStorage.setItem('__sdkcost_leave', JSON.stringify(leave));
    } catch {
      /* lost */
    }
  };
  let t0 = 0;
  addEventListener('pagehide', () => (t0 = performance.now()), { capture: true });
  addEventListener('pagehide', () => {
    leave.pagehide += performance.now() - t0;
    save();
  });
  document.addEventListener('visibilitychange', () => (t0 = performance.now()), { capture: true });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState == 'hidden') {
      leave.hidden += performance.now() - t0;
      save();
    }
  });
}

// ---------------------------------------------------------------- a session

/**
 * One session in a fresh context, in arm `arm` (on, off, toggled): `walk` drives the page
 * (given the helpers), calling `collect(name)` before each page is left.
 * Returns the figures of each document and of leaving.
 */
async function session(browser, demo, counter, maps, arm, walk, profiling = false, tracing = false, before = undefined) {
  if (arm == 'toggled') maps = toggled(maps, sdk.files);
  const { context, page, cdp } = await openPage(browser, {
    cookies: [{ name: 'sdkcost', value: arm, url: demo.url }],
    settings: JSON.stringify({ replaySampleRate: 0, ...OPT.options }),
    random: 'value',
    init: pageInit,
    profileUs: profiling ? OPT.intervalUs : 0,
  });
  if (before) {
    await before({ page, url: demo.url });
    // what the profiler saw meanwhile is not the measured page's
    if (profiling) {
      await cdp.send('Profiler.stop');
      await cdp.send('Profiler.start');
    }
  }
  if (tracing) await browser.startTracing(page, { categories: TRACE_CATEGORIES });
  const firstSeen = counter.seen.length;

  const pages = [];
  const leaves = [];
  // the figures of the document about to be left (CDP's counters restart with each document)
  const collect = async (name) => {
    const m = await metrics(cdp);
    const prof = profiling ? sdkTime((await cdp.send('Profiler.stop')).profile, maps) : null;
    const sc = await page.evaluate(() => window.__sc).catch(() => ({ loaf: [], lt: [], prevLeave: null }));
    if (sc.prevLeave) leaves.push(sc.prevLeave);
    await cdp.send('HeapProfiler.collectGarbage');
    const after = await metrics(cdp);
    const sdkGlobal = await page.evaluate(() => typeof (window.Fovea || {}).init == 'function' && !!window.__foveaDeferred).catch(() => false);
    pages.push({
      name,
      scriptMs: m.ScriptDuration * 1000,
      taskMs: m.TaskDuration * 1000,
      heapKB: m.JSHeapUsedSize / 1024,
      heapGcKB: after.JSHeapUsedSize / 1024,
      prof,
      loafN: sc.loaf.length,
      loafMs: sum(sc.loaf.map((x) => x.d)),
      loafSdkMs: sum(sc.loaf.map((x) => x.sdk)),
      loafSdkN: sum(sc.loaf.map((x) => x.n)),
      loafSdk: sc.loaf.flatMap((x) => x.scripts),
      longN: sc.lt.length,
      longMs: sum(sc.lt),
      sdk: sdkGlobal,
    });
    if (profiling) await cdp.send('Profiler.start');
  };
  const t0 = Date.now();
  // (an element below the fold is scrolled to first, as a person would)
  await walk({ page, url: demo.url, ...person(page, { scrollIntoView: true }), collect });
  const wallMs = Date.now() - t0;

  // Leave (pagehide: the last events go out as a beacon) for a page of the
  // same origin without scripts, where the leave timing is read back.
  await page.goto(`${demo.url}/api/ok?left=1`);
  await sleep(500);
  const leaveProf = profiling ? sdkTime((await cdp.send('Profiler.stop')).profile, maps) : null;
  const last = await page.evaluate(() => window.__sc && window.__sc.prevLeave).catch(() => null);
  if (last) leaves.push(last);
  const trace = tracing ? traceTime(await browser.stopTracing(), maps) : null;
  // Closing a context aborts its requests in flight; the beacon had 500 ms.
  await context.close();
  const mine = counter.seen.slice(firstSeen);
  const intake = mine.filter((x) => x.kind == 'intake');
  return {
    arm,
    profiled: profiling,
    wallMs,
    pages,
    leaves,
    leaveProf,
    trace,
    intake: {
      requests: intake.length,
      bytes: sum(intake.map((x) => x.bytes)),
      gzip: intake.filter((x) => x.gzip).length,
      gzipBytes: sum(intake.filter((x) => x.gzip).map((x) => x.bytes)),
      events: sum(intake.map((x) => x.events)),
      jsonChars: sum(intake.map((x) => x.json.length)),
      bodies: intake.filter((x) => x.gzip).map((x) => x.json),
    },
    configRequests: mine.filter((x) => x.kind == 'config').length,
  };
}

// Scenario "load": one page, six clicks (one of which fetches), 2 s, leave.
const LOAD_PAGE = '/checkout';
const walkLoad = async ({ page, url, clickOn, scroll, collect }) => {
  await page.goto(`${url}${LOAD_PAGE}`, { waitUntil: 'load' });
  for (const sel of ['#name', '#email', '#card', '#notes', '#check-stock', '#place-order']) {
    if (sel == '#check-stock') await scroll(400); // the buttons are below the fold
    await clickOn(sel);
    await sleep(300);
  }
  // the fetch of "Check stock" answers within ~0.7 s
  await page.waitForFunction(() => /In stock/.test(document.getElementById('stock-state').textContent), null, { timeout: 10000, polling: 250 });
  await sleep(2000);
  await collect(LOAD_PAGE);
};

// Scenario "later": first, unmeasured, two loads of the same page, each
// left after 2 s (V8 caches a script's compiled code from its second load
// out of the HTTP cache on, the functions run by then included); then a page
// without scripts, where the second one's leave timing is read (and
// dropped). The measured load is walkLoad's.
const visitBefore = async ({ page, url }) => {
  for (let i = 0; i < 2; i++) {
    await page.goto(`${url}${LOAD_PAGE}`, { waitUntil: 'load' });
    await sleep(2000);
  }
  await page.goto(`${url}/api/ok?left=1`);
};

// Scenario "minute": replay-cost's walk, timed by a budget per page.
const walkMinute = (seconds) => (p) => walkShop(p, seconds);

/** The figures of a session, summed over its documents (leaving included where measured). */
function figures(s) {
  const prof = s.profiled ? addUp([...s.pages.map((p) => p.prof), s.leaveProf]) : null;
  return {
    min: s.wallMs / 60000,
    loads: s.pages.length,
    scriptMs: sum(s.pages.map((p) => p.scriptMs)),
    taskMs: sum(s.pages.map((p) => p.taskMs)),
    heapKB: sum(s.pages.map((p) => p.heapKB)) / s.pages.length,
    heapGcKB: sum(s.pages.map((p) => p.heapGcKB)) / s.pages.length,
    leaveMs: sum(s.leaves.map((l) => l.pagehide + l.hidden)),
    leaves: s.leaves.length,
    sdkMs: prof ? prof.ms : NaN,
    leaveProfMs: s.leaveProf ? s.leaveProf.ms : NaN,
    prof,
    loafSdkMs: sum(s.pages.map((p) => p.loafSdkMs)),
    loafN: sum(s.pages.map((p) => p.loafN)),
    loafMs: sum(s.pages.map((p) => p.loafMs)),
    longN: sum(s.pages.map((p) => p.longN)),
    longMs: sum(s.pages.map((p) => p.longMs)),
    requests: s.intake.requests,
    kB: s.intake.bytes / 1000,
    traceMs: s.trace ? s.trace.ms : NaN,
    trace: s.trace,
  };
}

// ---------------------------------------------------------------- compression and requests, measured alone

/**
 * What gzipping the SDK's batches and making its requests cost the main
 * thread, measured alone, in a page with no script (the demo's /api/ok, a
 * JSON document) and no profiler: the JS profile cannot see all of it
 * (CompressionStream deflates in the browser's own code, between JS frames).
 * - compression: the batches the SDK posted in the load scenario go, `reps`
 *   times each, through exactly what transport.ts does (a Blob, its stream
 *   piped through CompressionStream('gzip'), read back as a Blob), and the
 *   same way without the CompressionStream; TaskDuration before and after;
 * - requests: the synchronous part of the call (performance.now() around
 *   it), and TaskDuration per request awaited to its response, of the SDK's
 *   fetch (the gzip Blob, keepalive, Content-Encoding), of the same without
 *   keepalive, and of sendBeacon (the plain JSON), to `sink` (a 404 on the
 *   Fovea side: what is measured is the page's side).
 */
async function aloneCosts(browser, demo, sink, bodies, reps = 20) {
  const context = await browser.newContext({ userAgent: CHROME_UA });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  await page.goto(`${demo.url}/api/ok?alone=1`);
  const task = async () => (await metrics(cdp)).TaskDuration * 1000;
  const n = reps * bodies.length;
  const compress = (gzip) =>
    page.evaluate(
      async ([bodies, reps, gzip]) => {
        let out = 0;
        for (let r = 0; r < reps; r++)
          for (const s of bodies) {
            let body = new Blob([s]);
            body = await new Response(gzip ? body.stream().pipeThrough(new CompressionStream('gzip')) : body.stream()).blob();
            out += body.size;
          }
        return out;
      },
      [bodies, reps, gzip],
    );
  const send = (how) =>
    page.evaluate(
      async ([bodies, reps, how, sink]) => {
        const gz = [];
        for (const s of bodies) gz.push(await new Response(new Blob([s]).stream().pipeThrough(new CompressionStream('gzip'))).blob());
        const sync = [];
        for (let r = 0; r < reps; r++)
          for (let i = 0; i < bodies.length; i++) {
            const t = performance.now();
            const p =
              how == 'beacon'
                ? navigator.sendBeacon(sink, bodies[i])
                : fetch(sink, {
                    method: 'POST',
                    body: gz[i],
                    headers: { 'Content-Type': 'text/plain', 'Content-Encoding': 'gzip' },
                    keepalive: how == 'keepalive',
                    credentials: 'omit',
                  });
            sync.push(performance.now() - t);
            if (p && p.then) await p.then((x) => x.arrayBuffer()).catch(() => 0);
            else await new Promise((ok) => setTimeout(ok, 5));
          }
        return sync;
      },
      [bodies, reps, how, sink],
    );
  const measure = async (f) => {
    const a = await task();
    const r = await f();
    return { taskMs: ((await task()) - a) / n, r };
  };
  // browser APIs the SDK calls often, each `k` times in a loop (the clock's
  // resolution here is 0.1 ms): ms per call
  const apis = () =>
    page.evaluate((k) => {
      const view = { type: 'view', event_id: crypto.randomUUID(), ts: Date.now(), session_id: crypto.randomUUID(), view_id: crypto.randomUUID(), version: 7, url: location.href, route: '/checkout', loading_type: 'initial_load', time_spent: 4242, error_count: 0, action_count: 6, resource_count: 9, long_task_count: 1, frustration_count: 0, ttfb: 12, fcp: 180, lcp: 180, cls: 0, inp: 24, dns: 0, connect: 0, dcl: 140, load: 150, tti: 350, lcp_element: 'main > h1', inp_target: 'button#check-stock', inp_type: 'pointer' };
      const sid = crypto.randomUUID();
      const cookie = (i) => `${sid}||${1e12 + i}|${2e12 + i}|%2Fcheckout`;
      const ops = {
        'document.cookie = … (write the session cookie)': (i) => (document.cookie = `fovea_s=${cookie(i)};path=/;max-age=14400;SameSite=Lax`),
        'document.cookie (read)': () => document.cookie,
        "session.ts save(): write, then read back (document.cookie.includes)": (i) => {
          document.cookie = `fovea_s=${cookie(i)};path=/;max-age=14400;SameSite=Lax`;
          return document.cookie.includes(cookie(i));
        },
        'localStorage.getItem': () => localStorage.getItem('fovea_s'),
        'localStorage.setItem': (i) => localStorage.setItem('fovea_bench', String(i)),
        'crypto.randomUUID()': () => crypto.randomUUID(),
        'JSON.stringify(a view event, ~600 chars)': () => JSON.stringify(view),
        'performance.getEntriesByType("navigation")': () => performance.getEntriesByType('navigation'),
      };
      const out = {};
      for (const [name, f] of Object.entries(ops)) {
        for (let i = 0; i < 5; i++) f(i); // warm-up
        const t = performance.now();
        for (let i = 0; i < k; i++) f(i);
        out[name] = (performance.now() - t) / k;
      }
      document.cookie = 'fovea_s=;path=/;max-age=0';
      return out;
    }, 200);
  await compress(true); // warm-up
  await send('keepalive');
  const api = [];
  for (let i = 0; i < 3; i++) api.push(await apis());
  const res = { gzip: [], plain: [], keepalive: [], fetch: [], beacon: [] };
  for (let round = 0; round < 2; round++) {
    for (const gzip of [false, true]) {
      const m = await measure(() => compress(gzip));
      res[gzip ? 'gzip' : 'plain'].push({ taskMs: m.taskMs, bytes: m.r / n });
    }
    for (const how of ['keepalive', 'fetch', 'beacon']) {
      const m = await measure(() => send(how));
      res[how].push({ taskMs: m.taskMs, syncMs: median(m.r) });
    }
  }
  await context.close();
  const m = (k, f) => median(res[k].map(f));
  return {
    batches: bodies.length,
    chars: median(bodies.map((b) => b.length)),
    gzipTaskMs: m('gzip', (x) => x.taskMs),
    plainTaskMs: m('plain', (x) => x.taskMs),
    gzipBytes: m('gzip', (x) => x.bytes),
    sending: Object.fromEntries(['keepalive', 'fetch', 'beacon'].map((k) => [k, { taskMs: m(k, (x) => x.taskMs), syncMs: m(k, (x) => x.syncMs) }])),
    apis: Object.fromEntries(Object.keys(api[0]).map((k) => [k, median(api.map((x) => x[k]))])),
  };
}

// ---------------------------------------------------------------- main

const sdk = await snapshotDist(SDK_FILES, [CORE, DEFERRED]);
const maps = loadMaps(sdk.files);

const scenarios = OPT.scenarios;
/** the arms of a round: with the SDK, without; --compile-hints: with the SDK, its compile hint toggled */
const ARMS = OPT.compileHints ? ['on', 'off', 'toggled'] : ['on', 'off'];
/** round i's order: ABBA for two arms; for three, each arm first, second and last in turn, and each order reversed once */
/** where a round keeps an arm's profiled session */
const PROF = { on: 'prof', toggled: 'profToggled' };
const order = (i) => {
  if (!OPT.compileHints) return abba(i).map((on) => (on ? 'on' : 'off'));
  const r = [0, 1, 2].map((k) => ARMS[(k + i) % 3]);
  return Math.floor(i / 3) % 2 ? r.reverse() : r;
};
const results = { load: [], later: [], minute: [] };
let alone = null;
const version = await runBench({ name: 'sdk-cost', dist: sdk, count, file: sdkFile(sdk.files) }, async ({ counter, demo, browser }) => {
  console.log(
    `${OPT.runs} pairs per scenario (${scenarios.join(', ')}; minute: ${OPT.seconds} s), ${OPT.warmup} warm-up pair(s), ` +
      `${OPT.intervalUs > 0 ? `profiler every ${OPT.intervalUs} µs` : 'no profiler'}, viewport ${VIEWPORT.width}×${VIEWPORT.height}` +
      (Object.keys(OPT.options).length ? `, SDK options ${JSON.stringify(OPT.options)}` : '') +
      (OPT.compileHints ? ', a third arm: fovea.min.js with its compile hint (//# allFunctionsCalledOnLoad) toggled' : ''),
  );
  for (const sc of scenarios) {
    const walk = sc == 'minute' ? walkMinute(OPT.seconds) : walkLoad;
    const warmWalk = sc == 'minute' ? walkMinute(Math.min(OPT.seconds, 20)) : walkLoad;
    const before = sc == 'later' ? visitBefore : undefined;
    for (let w = 0; w < OPT.warmup; w++)
      for (const arm of ARMS) {
        const s = await session(browser, demo, counter, maps, arm, warmWalk, false, false, before);
        console.log(`${sc} warm-up, SDK ${arm}: ${(s.wallMs / 1000).toFixed(1)} s, ${s.intake.requests} intake requests`);
      }
    const line = (label, s, f) =>
      console.log(
        `${label}: ${f2(f.min)} min, ${f.loads} load(s); task ${f1(f.taskMs)} ms, script ${f1(f.scriptMs)} ms, ` +
          (s.profiled ? `SDK in profile ${f1(f.sdkMs)} ms (leaving ${f1(f.leaveProfMs)}), ` : '') +
          (s.trace ? `SDK in trace ${f1(f.traceMs)} ms, ` : '') +
          `leave listeners ${f2(f.leaveMs)} ms (${f.leaves}), heap ${f1(f.heapKB)} KB (after GC ${f1(f.heapGcKB)}), ` +
          `intake ${f.requests} req ${f1(f.kB)} kB, long tasks ${f.longN} (${f1(f.longMs)} ms)`,
      );
    for (let i = 0; i < OPT.runs; i++) {
      const pair = {};
      for (const arm of order(i)) {
        const s = await session(browser, demo, counter, maps, arm, walk, false, sc != 'minute', before);
        const f = figures(s);
        // on (and toggled): the SDK ran on every page; off: it never did
        const on = arm != 'off';
        const bad = s.pages.filter((p) => p.sdk != on).map((p) => p.name);
        pair[arm] = { ...s, f, bad };
        line(`${sc} ${i + 1} SDK ${arm}`, s, f);
        if (bad.length) console.log(`  !! SDK ${on ? 'missing' : 'present'} on ${bad.join(', ')}: pair left out`);
      }
      // then the same with the SDK and the CPU profiler, for the attribution
      // (the profiler slows the page: its sessions are not in the pairs)
      if (OPT.intervalUs > 0)
        for (const arm of ARMS.filter((a) => a != 'off')) {
          const s = await session(browser, demo, counter, maps, arm, walk, true, false, before);
          const f = figures(s);
          pair[PROF[arm]] = { ...s, f, bad: s.pages.filter((p) => !p.sdk).map((p) => p.name) };
          line(`${sc} ${i + 1} SDK ${arm}, profiled`, s, f);
        }
      results[sc].push(pair);
    }
  }
  const loadOn = results.load.map((p) => p.on).filter(Boolean);
  const bodies = (loadOn.at(-1) || results.minute.at(-1)?.on)?.intake.bodies || [];
  if (bodies.length) alone = await aloneCosts(browser, demo, `${counter.url}/api/v1/sdk-cost-sink`, bodies);
});

// ---------------------------------------------------------------- report

/** The report of scenario `sc` for arm `arm` (on, or toggled) against off. */
function report(sc, arm = 'on') {
  const all = results[sc];
  const valid = all.filter((p) => !p[arm].bad.length && !p.off.bad.length);
  if (valid.length < all.length) console.log(`\n!! ${sc}, ${arm}: ${all.length - valid.length} of ${all.length} pairs left out (the SDK missing where on, or present where off)`);
  if (!valid.length) return null;
  const per = sc == 'minute' ? (f) => f.min : () => 1; // load, later: per page load (one); minute: per minute of use
  const unit = sc == 'minute' ? 'per minute of use' : 'per page load';
  const on = valid.map((p) => p[arm].f);
  const off = valid.map((p) => p.off.f);
  const d = (g) => valid.map((p) => g(p[arm].f) - g(p.off.f));
  /** a row of the pairs' table: the figure `g` of a session's figures, on, off, on − off */
  const pairRow = (name, g) => console.log(`| ${name} | ${f1(median(on.map(g)))} | ${f1(median(off.map(g)))} | ${cell(d(g))} |`);
  const profs = all.filter((p) => p[PROF[arm]] && !p[PROF[arm]].bad.length).map((p) => p[PROF[arm]].f);
  const rows = [
    [`ScriptDuration, ${unit} (ms)`, (f) => f.scriptMs / per(f)],
    [`**TaskDuration, ${unit} (ms)**`, (f) => f.taskMs / per(f)],
    [`pagehide + visibilitychange listeners when leaving, wall time, ${unit} (ms)`, (f) => f.leaveMs / per(f)],
    [`JS heap used when leaving, mean over pages (KB)`, (f) => f.heapKB],
    [`**JS heap after GC**, mean over pages (KB)`, (f) => f.heapGcKB],
    [`SDK scripts in long animation frames, ${unit} (ms)`, (f) => f.loafSdkMs / per(f)],
    [`long tasks, ${unit} (ms)`, (f) => f.longMs / per(f)],
    [`intake requests, ${unit}`, (f) => f.requests / per(f)],
    [`intake bytes posted, ${unit} (kB)`, (f) => f.kB / per(f)],
  ];
  const minutes = median(on.map((f) => f.min));
  console.log(
    `\n### ${
      sc == 'load'
        ? `Scenario "load" (${LOAD_PAGE}, a first visit: load, six clicks, one fetch, 2 s, leave)`
        : sc == 'later'
          ? `Scenario "later" (the same page load after two of it: SDK, config and V8's code cache warm)`
          : `Scenario "minute" (${on[0].loads} page loads, ${f2(minutes)} min)`
    }${OPT.compileHints ? `, arm "${arm}"` : ''}: ` +
      `medians over ${valid.length} pairs; ${arm} − off = median of the pairs' differences [min … max]`,
  );
  tableHead('figure', `SDK ${arm}`, 'SDK off', `${arm} − off`);
  if (profs.length) {
    const g = (f) => f.sdkMs / per(f);
    console.log(`| **the SDK's own main-thread JS (CPU profile, profiled sessions, leaving included), ${unit} (ms)** | ${cell(profs.map(g))} | | |`);
    if (sc == 'minute') console.log(`| … per page load (÷ ${profs[0].loads}) (ms) | ${cell(profs.map((f) => f.sdkMs / f.loads))} | | |`);
    console.log(`| … of which leaving (the last pagehide) (ms) | ${cell(profs.map((f) => f.leaveProfMs / per(f)))} | | |`);
    console.log(`| ScriptDuration / TaskDuration in the profiled sessions (profiler overhead included) (ms) | ${f1(median(profs.map((f) => f.scriptMs / per(f))))} / ${f1(median(profs.map((f) => f.taskMs / per(f))))} | | |`);
  }
  if (on.every((f) => f.trace) && off.every((f) => f.trace)) {
    pairRow(`**the SDK's tasks in the trace (no profiler; its promise continuations not included), ${unit} (ms)**`, (f) => f.traceMs);
    for (const k of Object.keys(on[0].trace.parts)) pairRow(`… ${k} (ms)`, (f) => f.trace.parts[k]);
    for (const k of Object.keys(on[0].trace.inside)) pairRow(`… in them: ${k} (ms)`, (f) => f.trace.inside[k]);
    pairRow("**microtasks outside those (the SDK's promise continuations, and the page's), trace (ms)**", (f) => f.trace.microMs);
    for (const k of Object.keys(on[0].trace.microInside)) pairRow(`… in them: ${k} (ms)`, (f) => f.trace.microInside[k]);
    pairRow("**the SDK's events + microtasks, trace (ms)**", (f) => f.trace.ms + f.trace.microMs);
  }
  for (const [name, g] of rows) pairRow(name, g);
  if (sc == 'minute') pairRow(`TaskDuration per page load (÷ ${on[0].loads}) (ms)`, (f) => f.taskMs / f.loads);
  if (on.every((f) => f.trace)) {
    const agg = {};
    for (const f of on)
      for (const [k, v] of Object.entries(f.trace.callbacks)) {
        const a = (agg[k] ||= { ms: 0, n: 0 });
        a.ms += v.ms / on.length;
        a.n += v.n / on.length;
      }
    console.log(`\nthe SDK's callbacks in the trace, by the function the browser called (mean ${unit} over ${on.length} sessions, no profiler):`);
    tableHead('function called', 'calls', 'ms');
    for (const [k, v] of Object.entries(agg)
      .sort((a, b) => b[1].ms - a[1].ms)
      .slice(0, 10))
      console.log(`| ${k.replace(/\|/g, '\\|')} | ${f2(v.n)} | ${f2(v.ms)} |`);
  }
  if (!profs.length) return { valid };

  // where the SDK's time goes: phases (medians and ranges over the profiled sessions)
  console.log(`\nthe SDK's main-thread JS by phase, ${unit} (CPU profile; median [min … max] over ${profs.length} profiled sessions):`);
  tableHead('phase', 'ms', 'share');
  const total = median(profs.map((f) => f.prof.ms / per(f)));
  for (const ph of PHASES) {
    const xs = profs.map((f) => f.prof.phases[ph] / per(f));
    console.log(`| ${ph} | ${cell(xs, f2)} | ${((100 * median(xs)) / total).toFixed(0)} % |`);
  }
  console.log(`| **all** | ${cell(profs.map((f) => f.prof.ms / per(f)), f2)} | |`);
  console.log(`| (not counted: the page's own fetch/XHR/pushState calls through the SDK's wrappers) | ${f2(median(profs.map((f) => f.prof.passMs / per(f))))} | |`);
  const gaps = {};
  for (const f of profs) for (const [k, v] of Object.entries(f.prof.gaps)) gaps[k] = (gaps[k] || 0) + v / per(f) / profs.length;
  const topGaps = Object.entries(gaps)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([k, v]) => `${k.replace(/\|/g, '\\|')} ${f1(v)}`)
    .join('; ');
  console.log(`| (not counted: the part of the SDK's samples' gaps over 10 intervals, capped; most after: ${topGaps}) | ${f2(median(profs.map((f) => f.prof.cappedMs / per(f))))} | |`);

  const table = (title, key, withPhase) => {
    const agg = {};
    for (const f of profs) for (const [k, v] of Object.entries(f.prof[key])) agg[k] = (agg[k] || 0) + v / per(f) / profs.length;
    console.log(`\n${title} (mean ${unit} over ${profs.length} profiled sessions, top ${OPT.top}):`);
    tableHead(...(withPhase ? ['phase', 'function (enclosing declaration, source:line) → browser API'] : ['entry (enclosing declaration, source:line)']), 'ms', 'share');
    const tot = sum(Object.values(agg));
    for (const [k, v] of Object.entries(agg)
      .sort((a, b) => b[1] - a[1])
      .slice(0, OPT.top))
      console.log(`| ${k.replace(/\|/g, '\\|').replace('\t', ' | ')} | ${f2(v)} | ${((100 * v) / tot).toFixed(1)} % |`);
  };
  table("the SDK's main-thread JS by function: self time of the innermost SDK frame, with the browser API it was in", 'fns', true);
  table('… by entry: the outermost SDK frame, i.e. what started the work (init, an observer callback, a listener, a timer)', 'entries', false);
  const loaf = {};
  for (const p of valid) for (const pg of p[arm].pages) for (const x of pg.loafSdk) (loaf[`${x.inv}${x.fn ? ` (${x.fn})` : ''}`] ||= []).push(x.d);
  if (Object.keys(loaf).length) {
    console.log(`\nthe SDK's scripts in long animation frames (the browser's attribution, scripts of 5 ms or more; SDK on, unprofiled, all ${valid.length} sessions):`);
    tableHead('invoker', 'scripts', 'median ms', 'max ms');
    for (const [k, xs] of Object.entries(loaf).sort((a, b) => sum(b[1]) - sum(a[1]))) console.log(`| ${k.replace(/\|/g, '\\|')} | ${xs.length} | ${f1(median(xs))} | ${f1(Math.max(...xs))} |`);
  }
  return { valid };
}

console.log('');
const out = {};
for (const sc of scenarios) {
  out[sc] = report(sc);
  if (OPT.compileHints) {
    report(sc, 'toggled');
    toggledAgainstOn(sc);
  }
}

/** The toggled arm against the on arm, round by round: what the compile hint changes. */
function toggledAgainstOn(sc) {
  const rounds = results[sc].filter((p) => !p.on.bad.length && !p.toggled.bad.length);
  if (!rounds.length) return;
  const per = sc == 'minute' ? (f) => f.min : () => 1;
  const row = (name, g) => {
    const xs = rounds.map((p) => g(p.toggled.f) - g(p.on.f));
    console.log(`| ${name} | ${f1(median(rounds.map((p) => g(p.on.f))))} | ${f1(median(rounds.map((p) => g(p.toggled.f))))} | ${cell(xs)} |`);
  };
  const what = hasHint(sdk.files.get(`/sdk/${CORE}`)) ? 'without the compile hint' : 'with the compile hint';
  console.log(`\n### Scenario "${sc}": the core ${what}, toggled − on round by round (median [min … max] over ${rounds.length} rounds)`);
  tableHead('figure', 'SDK on', 'SDK toggled', 'toggled − on');
  if (rounds.every((p) => p.on.f.trace && p.toggled.f.trace)) {
    row("the SDK's events + microtasks, trace (ms)", (f) => f.trace.ms + f.trace.microMs);
    for (const k of Object.keys(rounds[0].on.f.trace.parts)) row(`… ${k} (ms)`, (f) => f.trace.parts[k]);
    row('… lazy compile in them + in microtasks (ms)', (f) => f.trace.inside['lazy compile'] + f.trace.microInside['lazy compile']);
  }
  row('ScriptDuration (ms)', (f) => f.scriptMs / per(f));
  row('TaskDuration (ms)', (f) => f.taskMs / per(f));
  const profs = results[sc].filter((p) => p.prof && p.profToggled && !p.prof.bad.length && !p.profToggled.bad.length);
  if (profs.length) {
    const xs = profs.map((p) => (p.profToggled.f.sdkMs - p.prof.f.sdkMs) / per(p.prof.f));
    console.log(`| the SDK's JS, CPU profile (ms) | ${f1(median(profs.map((p) => p.prof.f.sdkMs / per(p.prof.f))))} | ${f1(median(profs.map((p) => p.profToggled.f.sdkMs / per(p.profToggled.f))))} | ${cell(xs)} |`);
  }
}

if (alone) {
  const c = alone;
  const load = out.load?.valid;
  const batches = load ? median(load.map((p) => p.on.intake.gzip)) : NaN;
  const requests = load ? median(load.map((p) => p.on.intake.requests + p.on.configRequests)) : NaN;
  console.log(`\ncompression and requests alone (the ${c.batches} gzip batches of the last session with the SDK, ~${Math.round(c.chars)} chars of JSON each; a page without scripts, no profiler):`);
  tableHead('per batch or request', 'main thread (TaskDuration)', 'the call itself (synchronous part)');
  console.log(`| Blob → CompressionStream('gzip') → Blob (transport.ts) | ${f2(c.gzipTaskMs)} ms | |`);
  console.log(`| Blob → stream → Blob (the same without compression) | ${f2(c.plainTaskMs)} ms | |`);
  console.log(`| **compression** (the difference) | **${f2(c.gzipTaskMs - c.plainTaskMs)} ms** | |`);
  console.log(`| fetch, gzip Blob, keepalive (the SDK's request), to its response | ${f2(c.sending.keepalive.taskMs)} ms | ${f2(c.sending.keepalive.syncMs)} ms |`);
  console.log(`| the same without keepalive | ${f2(c.sending.fetch.taskMs)} ms | ${f2(c.sending.fetch.syncMs)} ms |`);
  console.log(`| sendBeacon, plain JSON (pagehide) | ${f2(c.sending.beacon.taskMs)} ms | ${f2(c.sending.beacon.syncMs)} ms |`);
  if (load) {
    console.log(`| × the load scenario's median ${batches} gzip batches: compression | ${f2((c.gzipTaskMs - c.plainTaskMs) * batches)} ms | |`);
    console.log(`| × its median ${requests} requests (sdk-config and intake): request calls | ${f2(c.sending.keepalive.taskMs * requests)} ms | ${f2(c.sending.keepalive.syncMs * requests)} ms |`);
  }
  console.log('\nbrowser APIs the SDK calls often, alone (a page without scripts, no profiler; 200 calls, median of 3 rounds):');
  tableHead('call', 'ms per call');
  for (const [k, v] of Object.entries(c.apis)) console.log(`| ${k} | ${v.toFixed(3)} |`);
}

if (OPT.json) {
  const strip = (s) => s && { ...s, intake: { ...s.intake, bodies: undefined } };
  const pairs = (v) => v.map((p) => Object.fromEntries(Object.entries(p).map(([k, x]) => [k, strip(x)])));
  writeFileSync(
    OPT.json,
    JSON.stringify(
      {
        chromium: version,
        sdk: sdk.describe(),
        options: OPT,
        alone,
        results: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, pairs(v)])),
      },
      null,
      1,
    ),
  );
  console.log(`\nper-run figures in ${OPT.json}`);
}
