// Build and dev-server config of the dashboard (web/dist). The app imports @tickwire/protocol and
// @tickwire/client; the `source` export condition makes Vite read their TypeScript sources, so the
// dashboard bundles without a prior tsc build. The dev proxy forwards every server route to a locally
// running Tickwire server (npm start) on :8080.
import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

const webDir = fileURLToPath(new URL('.', import.meta.url));
const target = 'http://127.0.0.1:8080';

export default defineConfig({
  root: webDir,
  plugins: [svelte()],
  resolve: { conditions: ['source', ...defaultClientConditions] },
  build: {
    outDir: 'dist',
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
