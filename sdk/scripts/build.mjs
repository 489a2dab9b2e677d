// Builds the SDK: dist/index.js (ESM for bundlers, web-vitals left as a
// dependency), dist/fovea.min.js (IIFE, global `Fovea`, everything
// bundled and minified) and the type declarations (tsc).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

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
await build({ ...common, format: 'iife', globalName: 'Fovea', outfile: 'dist/fovea.min.js', minify: true, sourcemap: true });
execFileSync(process.execPath, [`${root}/node_modules/typescript/bin/tsc`, '-p', root], { stdio: 'inherit' });
