// Build and dev-server config of the dashboard. The app lives in web/ but imports the shared codec from
// ../protocol, so the dev server may serve files from the repo root; the dev proxy forwards every
// server route to a locally running Tickwire server (npm start) on :8080.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

const webDir = fileURLToPath(new URL('.', import.meta.url));
const target = 'http://127.0.0.1:8080';

export default defineConfig({
  root: webDir,
  plugins: [svelte()],
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
  },
  server: {
    fs: { allow: ['..'] },
    proxy: {
      '/ws': { target, ws: true },
      '/sse': { target },
      '/stream': { target },
      '/poll': { target },
      '/api': { target },
      '/healthz': { target },
      '/metrics': { target },
    },
  },
});
