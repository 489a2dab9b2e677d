import { readFileSync } from 'node:fs';
import { defineConfig } from 'vite';

/** The SDK version the install snippet pins: sdk/package.json of this checkout. */
function sdkVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../sdk/package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '0.1.0';
  }
}

// `npm run dev` proxies the API to a running `fovea serve`
// (FOVEA_URL, default http://127.0.0.1:8080).
const target = process.env.FOVEA_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  base: '/',
  define: { __SDK_VERSION__: JSON.stringify(sdkVersion()) },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    // Every asset is a file: the server's CSP forbids data: scripts and inline styles.
    assetsInlineLimit: 0,
    sourcemap: false,
    target: 'es2022',
  },
  server: {
    proxy: {
      '/api': { target, changeOrigin: false },
      '/healthz': { target },
    },
  },
});
