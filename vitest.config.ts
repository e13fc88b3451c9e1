// One test run for every part: unit, integration (real server on an ephemeral port) and end-to-end
// (real Chromium). Files run in separate forks; integration and e2e files set their own timeouts.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{protocol,feeds,server,web,loadtest,bench}/test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // CI installs Chromium and nats-server; locally a missing one fails loudly too (see test/env.ts helpers).
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: 'test-results/vitest.json' },
  },
});
