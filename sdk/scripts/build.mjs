// Builds the SDK into dist/:
// - index.js: ESM for bundlers (web-vitals stays an import, so apps share it);
//   it loads the replay chunk with `import('./replay.js')`, which bundlers
//   split into a chunk of their own;
// - replay.js: the replay chunk as ESM (`@fovea/browser/replay`; @rrweb/record
//   stays an import);
// - deferred.js: the deferred chunk as ESM (rules engine, automation
//   signals, resource and long-task collectors: what can wait for the
//   sampling config, src/deferred.ts), imported by index.js with
//   `import('./deferred.js')`;
// - fovea.min.js: IIFE exposing the global `Fovea`, everything bundled, for a
//   script tag. esbuild bundles and minifies; terser then compresses harder
//   (~5 % of the gzip size, which the 10 KB budget needs);
// - fovea-replay.min.js, fovea-deferred.min.js: the chunks as IIFEs (rrweb
//   included in the first), which fovea.min.js imports from beside itself;
// - react.js, vue.js: the framework entry points (`@fovea/browser/react`,
//   `/vue`) as ESM, outside the core and its budget; they import the core
//   from `@fovea/browser` (so the app's bundler shares one copy) and their
//   framework, both left as imports;
// - types/: declarations (tsc), which also type-checks the sources.
// Every bundle gets the sensitive query keys and the scrub placeholder from
// crates/schema/scrub.json (scripts/scrub.mjs), read at each build.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { minify } from 'terser';
import { scrubDefine } from './scrub.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const { version } = JSON.parse(readFileSync(`${root}/package.json`, 'utf8'));
const tsconfig = JSON.parse(readFileSync(`${root}/tsconfig.json`, 'utf8'));
rmSync(`${root}/dist`, { recursive: true, force: true });

const common = {
  absWorkingDir: root,
  entryPoints: ['src/index.ts'],
  bundle: true,
  target: 'es2022',
  define: { __VERSION__: JSON.stringify(version), ...scrubDefine },
  legalComments: 'none',
  logLevel: 'warning',
};

// The ESM core's `import('./replay/index.js')` and `import('./deferred/index.js')`
// stay dynamic imports of the ESM chunks beside it, for the app's bundler to split.
const chunkImport = {
  name: 'chunks',
  setup(b) {
    b.onResolve({ filter: /^\.\/(replay|deferred)\/index\.js$/ }, (a) => ({ path: `./${a.path.split('/')[1]}.js`, external: true }));
  },
};
await build({
  ...common,
  format: 'esm',
  outfile: 'dist/index.js',
  external: ['web-vitals'],
  sourcemap: true,
  define: { ...common.define, __ESM__: 'true' },
  plugins: [chunkImport],
});
await build({
  ...common,
  entryPoints: ['src/replay/index.ts'],
  format: 'esm',
  outfile: 'dist/replay.js',
  external: ['@rrweb/record'],
  sourcemap: true,
});
await build({
  ...common,
  entryPoints: ['src/deferred/index.ts'],
  format: 'esm',
  outfile: 'dist/deferred.js',
  sourcemap: true,
});
// The framework entry points import the core by path in src/ (for the tests
// and tsc); in dist/ they import the package, so that the app's bundler gives
// them the app's own copy of the core rather than a second SDK.
const corePackage = {
  name: 'core-package',
  setup(b) {
    b.onResolve({ filter: /^\.\/index\.js$/ }, () => ({ path: '@fovea/browser', external: true }));
  },
};
await build({
  ...common,
  entryPoints: ['src/react.ts', 'src/vue.ts'],
  format: 'esm',
  outdir: 'dist',
  external: ['react', 'vue'],
  sourcemap: true,
  plugins: [corePackage],
});

/** V8's explicit compile hint (Chrome 136+), a file's first line. */
const COMPILE_HINT = '//# allFunctionsCalledOnLoad';

/**
 * An IIFE bundle, minified by esbuild then terser (`compress`: more terser
 * options; `hint`: starts with the compile hint, and without "use strict",
 * which pays for it: see the core below).
 */
const iife = async (entry, file, mangleProps, compress, hint) => {
  const r = await build({
    ...common,
    tsconfigRaw: hint ? { compilerOptions: { ...tsconfig.compilerOptions, alwaysStrict: false } } : undefined,
    entryPoints: [entry],
    format: 'iife',
    outfile: file,
    write: false,
    minify: true,
    sourcemap: 'external',
    define: { ...common.define, __ESM__: 'false' },
    mangleProps,
    // the globals the core and the chunks meet on
    reserveProps: /^__fovea(Replay|Deferred)$/,
  });
  const code = r.outputFiles.find((f) => f.path.endsWith('.js')).text;
  const map = r.outputFiles.find((f) => f.path.endsWith('.map')).text;
  const out = await minify(code, {
    ecma: 2020,
    compress: { passes: 3, pure_getters: true, unsafe_arrows: true, ...compress },
    mangle: { toplevel: true },
    format: { preamble: hint ? COMPILE_HINT : undefined },
    sourceMap: { content: map, filename: file, url: `${file}.map` },
  });
  writeFileSync(`${root}/dist/${file}`, out.code);
  writeFileSync(`${root}/dist/${file}.map`, out.map);
};
// Private fields of web-vitals' internals (`_processEntry`, ...), and the
// fields of its Metric and options objects that no browser API shares (the
// SDK reads a few, in the same bundle): the whole program is in this bundle,
// and none of these objects leaves it, so shortening them is safe. Not
// `navigationId`, `interactionId`, `entries`, `value`, `name`, `id`: browser
// entries have them too.
// hoist_funs: web-vitals' few function declarations move up front, where
// they compress better (35 bytes gzip here; rrweb's chunk grows with it).
// The compile hint: every function
// of the file is compiled while the script streams in, off the main thread,
// and cached with it, instead of lazily on the main thread when first
// called (bench/README.md, "SDK": a first visit's main-thread time −12 ms,
// a later page's lazy compiles −1 ms). Its 19 bytes gzip are paid by
// leaving out "use strict" (9 bytes; nothing in the SDK or web-vitals needs
// strict mode: TypeScript checks them, and their classes are strict
// anyway) and by concise methods.
await iife(
  'src/global.ts',
  'fovea.min.js',
  /^(_.*|rating|delta|navigationType|navigationURL|navigationInteractionId|navigationStartTime|reportAllChanges|reportSoftNavs|firstHiddenTime|onHidden)$/,
  { hoist_funs: true, unsafe_methods: true },
  true,
);
// Not for rrweb: `_cssText` and friends are names in its recording format.
await iife('src/replay/index.ts', 'fovea-replay.min.js');
await iife('src/deferred/index.ts', 'fovea-deferred.min.js');

execFileSync(process.execPath, [`${root}/node_modules/typescript/bin/tsc`, '-p', root], { stdio: 'inherit' });
