// The size budget is a tested property: dist/fovea.min.js (the script-tag
// build, web-vitals included) must stay within 10 KiB gzipped (level 9).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';

export const BUDGET = 10 * 1024;
const file = new URL('../dist/fovea.min.js', import.meta.url);

test(`dist/fovea.min.js is at most ${BUDGET} bytes gzipped`, () => {
  const code = readFileSync(file);
  const gz = gzipSync(code, { level: 9 }).length;
  console.log(`fovea.min.js: ${code.length} bytes minified, ${gz} bytes gzipped (budget ${BUDGET}, ${BUDGET - gz} left)`);
  assert.ok(gz <= BUDGET, `fovea.min.js is ${gz} bytes gzipped, over the ${BUDGET} byte budget by ${gz - BUDGET}`);
});

test('dist/fovea.min.js runs under a strict CSP: no eval, no Function constructor', () => {
  const code = readFileSync(file, 'utf8');
  assert.doesNotMatch(code, /\beval\s*\(/);
  assert.doesNotMatch(code, /new Function\s*\(|\bFunction\s*\(\s*["'`]/);
  assert.doesNotMatch(code, /setTimeout\s*\(\s*["'`]/);
});

test('dist/fovea.min.js exposes the public API on the global Fovea', async () => {
  const code = readFileSync(file, 'utf8');
  const sandbox = {};
  // Evaluate the IIFE with `this`/globals pointing at a plain object: it must
  // only define `Fovea` (no DOM access at load time).
  new (await import('node:vm')).Script(code).runInNewContext(sandbox);
  assert.deepEqual(Object.keys(sandbox.Fovea).sort(), ['addAction', 'addError', 'flush', 'init', 'setConsent', 'setContext', 'setUser', 'startView']);
});
