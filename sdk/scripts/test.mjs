// Unit tests: type-check src and test, bundle each test/*.test.ts with esbuild
// (TypeScript, and the sources it imports) into .test-build/, then run them
// and the size check with node's test runner.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { scrubDefine } from './scrub.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = spawnSync(process.execPath, [`${root}/node_modules/typescript/bin/tsc`, '-p', `${root}/tsconfig.test.json`], { stdio: 'inherit' });
if (tsc.status) process.exit(tsc.status);

const out = `${root}/.test-build`;
rmSync(out, { recursive: true, force: true });
const tests = readdirSync(`${root}/test`).filter((f) => f.endsWith('.test.ts'));
await build({
  absWorkingDir: root,
  entryPoints: tests.map((f) => `test/${f}`),
  outdir: '.test-build',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['happy-dom'],
  define: { __VERSION__: '"test"', __ESM__: 'false', ...scrubDefine },
  sourcemap: 'inline',
  logLevel: 'warning',
});
const files = [...tests.map((f) => `.test-build/${f.replace(/\.ts$/, '.mjs')}`), 'test/size.test.mjs'];
const r = spawnSync(process.execPath, ['--enable-source-maps', '--test', ...files], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
