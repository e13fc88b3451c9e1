// One test run for every part, in three projects that run one after another (sequence.groupOrder):
//   unit        pure tests (protocol, feeds, web, loadtest/bench accounting): files in parallel;
//   integration real server processes on ephemeral ports, NATS (server/test/** but server/test/unit/, loadtest and bench runs);
//   e2e         real Chromium (web/test/e2e/** and every other test that launches a browser).
// Integration and e2e files run one at a time (fileParallelism: false) and never overlap each other: their
// timing assertions share 2 cores. `npm test` runs all three; `npm run test:unit|test:integration|test:e2e`
// one. A new test file lands in `unit` unless it matches an integration or e2e pattern below: one that
// starts a server must be added to INTEGRATION, one that launches Chromium to E2E.
import { defaultServerConditions } from 'vite';
import { configDefaults, defineConfig } from 'vitest/config';

const ALL = ['{protocol,feeds,core,server,client,web,loadtest,bench}/test/**/*.test.ts'];

/** Tests that launch Chromium (through web/test/e2e/env.ts launchBrowser). */
const E2E = [
  'web/test/e2e/**/*.test.ts',
  'loadtest/test/integration.test.ts', // a load run against the built server, its HTML report rendered in Chromium
  'bench/test/lab.test.ts', // the transport lab (its own server), its charts rendered in Chromium
];

/** Tests that start real servers (in-process or child processes) or nats-server. */
const INTEGRATION = [
  // All of server/test but server/test/unit/, which holds server tests that start nothing (fakes, no socket): unit.
  'server/test/*.test.ts',
  'server/test/!(unit)/**/*.test.ts',
  'client/test/node-transports.test.ts', // every client transport in Node (ws, fetch SSE reader) against a real server
  'client/test/node-client.test.ts', // connect() in Node, SSE fallback, and the served browser bundle
  'client/test/examples.test.ts', // examples/node-ticker spawned against a real server
  'client/test/history.test.ts', // fetchCandles() / olderCandles() against a real server
  'loadtest/test/resume.test.ts',
  'loadtest/test/transports.test.ts',
  'bench/test/peers.test.ts',
  'bench/test/clients-per-core.test.ts', // the clients-per-core sweep's quick mode: every server kind, both feed shapes, the load tester
  'bench/test/ingest-bench.test.ts', // the ingest bench's quick mode: server, nats-server, feed, gateway, producer, load tester
  'bench/test/storm.test.ts', // the reconnect-storm bench's quick mode: the built server restarted under load-tester clients
  'bench/test/deploy-*.test.ts', // the shipped nginx / HAProxy files in front of real servers (launcher: bench/src/proxies.ts)
];

export default defineConfig({
  // Workspace packages resolve to their TypeScript sources (the `source` export condition), so tests run
  // the code as written, one module instance per file, without waiting for tsc.
  resolve: { conditions: ['source', ...defaultServerConditions] },
  ssr: { resolve: { conditions: ['source', ...defaultServerConditions], externalConditions: ['source'] } },
  test: {
    pool: 'forks',
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // CI installs Chromium and nats-server; locally a missing one fails loudly too (see test/env.ts helpers).
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: 'test-results/vitest.json' },
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ALL, exclude: [...configDefaults.exclude, ...INTEGRATION, ...E2E], sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: { name: 'integration', include: INTEGRATION, exclude: [...configDefaults.exclude, ...E2E], fileParallelism: false, sequence: { groupOrder: 1 } },
      },
      {
        extends: true,
        test: { name: 'e2e', include: E2E, fileParallelism: false, sequence: { groupOrder: 2 } },
      },
    ],
  },
});
