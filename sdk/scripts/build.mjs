// Builds the SDK into dist/:
// - index.js: ESM for bundlers (web-vitals stays an import, so apps share it);
// - fovea.min.js: IIFE exposing the global `Fovea`, everything bundled, for a
//   script tag. esbuild bundles and minifies; terser then compresses harder
//   (~5 % of the gzip size, which the 10 KB budget needs);
// - types/: declarations (tsc), which also type-checks the sources.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { minify } from 'terser';

const root = fileURLToPath(new URL('..', import.meta.url));
const { version } = JSON.parse(readFileSync(`${root}/package.json`, 'utf8'));
rmSync(`${root}/dist`, { recursive: true, force: true });

const common = {
  absWorkingDir: root,
  entryPoints: ['src/index.ts'],
  bundle: true,
  target: 'es2022',
  define: { __VERSION__: JSON.stringify(version) },
  legalComments: 'none',
  logLevel: 'warning',
};

await build({ ...common, format: 'esm', outfile: 'dist/index.js', external: ['web-vitals'], sourcemap: true });

const iife = await build({
  ...common,
  entryPoints: ['src/global.ts'],
  format: 'iife',
  outfile: 'fovea.min.js',
  write: false,
  minify: true,
  sourcemap: 'external',
  // Private fields of web-vitals' internals (`_processEntry`, ...): the whole
  // program is in this bundle, so shortening them is safe.
  mangleProps: /^_/,
});
const code = iife.outputFiles.find((f) => f.path.endsWith('.js')).text;
const map = iife.outputFiles.find((f) => f.path.endsWith('.map')).text;
const out = await minify(code, {
  ecma: 2020,
  compress: { passes: 3, pure_getters: true, unsafe_arrows: true },
  mangle: { toplevel: true },
  sourceMap: { content: map, filename: 'fovea.min.js', url: 'fovea.min.js.map' },
});
writeFileSync(`${root}/dist/fovea.min.js`, out.code);
writeFileSync(`${root}/dist/fovea.min.js.map`, out.map);

execFileSync(process.execPath, [`${root}/node_modules/typescript/bin/tsc`, '-p', root], { stdio: 'inherit' });
