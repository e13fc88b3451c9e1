// Render-load measurement, kept out of `npm test` (benchmarks measure, tests assert): run it with
// `npm run build && npx vitest run --config web/vitest.perf.config.ts`. Results: test-results/render-load.json.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: ['web/test/perf/**/*.perf.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 60_000,
  },
});
