// The browser bundle of @tickwire/client (npm run build → client/dist-bundle/tickwire-client.js): one ES
// module with the protocol code inlined and no dependencies, which the server serves at
// Route.clientBundle (/client/tickwire-client.js) for pages that use the client without a bundler.
import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig } from 'vite';

const clientDir = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: clientDir,
  // Workspace packages resolve to their TypeScript sources, as in the dashboard build.
  resolve: { conditions: ['source', ...defaultClientConditions] },
  logLevel: 'warn',
  build: {
    outDir: 'dist-bundle',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    lib: { entry: 'src/index.ts', formats: ['es'], fileName: () => 'tickwire-client.js' },
  },
});
