// Build and dev-server config of the dashboard (web/dist). The app imports @tickwire/protocol and
// @tickwire/client; the `source` export condition makes Vite read their TypeScript sources, so the
// dashboard bundles without a prior tsc build. The dev proxy forwards every server route (the paths of
// @tickwire/protocol/routes, WebSocket upgrades included) to a locally running Tickwire server (npm start) on :8080.
import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { Route } from '@tickwire/protocol/routes';

const webDir = fileURLToPath(new URL('.', import.meta.url));
const target = 'http://127.0.0.1:8080';
/** Routes upgraded to WebSocket: the dashboard's stream and the producers' ingest socket. */
const WS_ROUTES: ReadonlySet<string> = new Set([Route.ws, Route.ingestWs]);

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
    // Keys are path prefixes, so '/sse' also carries '/sse/control'.
    proxy: Object.fromEntries(Object.values(Route).map((path) => [path, { target, ws: WS_ROUTES.has(path) }])),
  },
});
