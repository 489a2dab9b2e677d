// Size budgets are a tested property (gzip level 9): dist/fovea.min.js (the
// script-tag build, web-vitals included) within 10 KiB, the replay chunk
// dist/fovea-replay.min.js (rrweb's recorder included) within 30 KiB, and the
// deferred chunk dist/fovea-deferred.min.js (rules engine, automation
// signals, resource and long-task collectors, per-view CLS and INP and the
// route change duration) within 3 KiB. All must run
// under a strict CSP. The framework entry points stay out of them.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';

const bundles = [
  ['fovea.min.js', 10 * 1024],
  ['fovea-replay.min.js', 30 * 1024],
  ['fovea-deferred.min.js', 3 * 1024],
];
const file = (name) => new URL(`../dist/${name}`, import.meta.url);

for (const [name, budget] of bundles) {
  test(`dist/${name} is at most ${budget} bytes gzipped`, () => {
    const code = readFileSync(file(name));
    const gz = gzipSync(code, { level: 9 }).length;
    console.log(`${name}: ${code.length} bytes minified, ${gz} bytes gzipped (budget ${budget}, ${budget - gz} left)`);
    assert.ok(gz <= budget, `${name} is ${gz} bytes gzipped, over the ${budget} byte budget by ${gz - budget}`);
  });

  test(`dist/${name} runs under a strict CSP: no eval, no Function constructor`, () => {
    const code = readFileSync(file(name), 'utf8');
    assert.doesNotMatch(code, /\beval\s*\(/);
    assert.doesNotMatch(code, /new Function\s*\(|\bFunction\s*\(\s*["'`]/);
    assert.doesNotMatch(code, /setTimeout\s*\(\s*["'`]/);
  });
}

test('dist/react.js and dist/vue.js import the core from the package and bundle nothing', () => {
  for (const name of ['react.js', 'vue.js']) {
    const code = readFileSync(file(name), 'utf8');
    assert.match(code, /^import \{ addError \} from "@fovea\/browser";$/m, `${name} shares the app's copy of the core`);
    assert.ok(code.length < 2048, `${name} is ${code.length} bytes: something was bundled into it`);
  }
});

test('dist/fovea.min.js exposes the public API on the global Fovea', async () => {
  const code = readFileSync(file('fovea.min.js'), 'utf8');
  const sandbox = {};
  // Evaluate the IIFE with `this`/globals pointing at a plain object: it must
  // only define `Fovea` (no DOM access at load time but a guarded look at
  // document.currentScript).
  new (await import('node:vm')).Script(code).runInNewContext(sandbox);
  assert.deepEqual(Object.keys(sandbox).sort(), ['Fovea']);
  assert.deepEqual(Object.keys(sandbox.Fovea).sort(), [
    'addAction', 'addError', 'flush', 'init', 'optOut', 'setConsent', 'setContext', 'setUser', 'startReplay', 'startView', 'stopReplay',
  ]);
});

test('dist/index.js imports the deferred chunk lazily, and dist/deferred.js bundles no core state', () => {
  const core = readFileSync(file('index.js'), 'utf8');
  assert.match(core, /import\("\.\/deferred\.js"\)/);
  const chunk = readFileSync(file('deferred.js'), 'utf8');
  // it reaches the core's state and recorder through the hook only
  assert.match(chunk, /__foveaDeferred/);
  assert.doesNotMatch(chunk, /fovea-browser|sendBeacon|CompressionStream/);
});
