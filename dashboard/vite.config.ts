import { defineConfig } from 'vite';

// `npm run dev` proxies the API to a running `fovea serve`
// (FOVEA_URL, default http://127.0.0.1:8080).
const target = process.env.FOVEA_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  base: '/',
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
