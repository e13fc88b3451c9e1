// The load tester through the shipped proxies, as a user would load-test their real stack: `loadtest`
// (the built CLI) with 50 clients over WebSocket and over SSE, through nginx (deploy/nginx/tickwire.conf,
// https/wss with a throw-away certificate trusted via NODE_EXTRA_CA_CERTS — no tester option) and through
// HAProxy (deploy/haproxy/haproxy.cfg, TCP mode, both gateway lines pointing at the one server). Each report
// must show data received, every client connected and no error; the proxy's own records (nginx access log,
// HAProxy's session counter) show the traffic really crossed it.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadTestResult } from '@tickwire/loadtest/run';
import { LOADTEST_JS } from '@tickwire/loadtest/test/helpers';
import { REPO_ROOT, freeFixedPort, startServerProcess, throwAwayCertificate, type ServerProcess } from '@tickwire/server/test/harness';
import { startHaproxy, startNginx, type RunningProxy } from '../src/proxies.js';

const CLIENTS = 50;

let dir = '';
let cert = '';
let server: ServerProcess;
let nginx: RunningProxy;
let haproxy: RunningProxy;
let nginxPort = 0;
let haproxyPort = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tickwire-proxy-loadtest-'));
  const tls = throwAwayCertificate(dir);
  cert = tls.cert;
  server = await startServerProcess(['--trust-proxy', '127.0.0.1/32']);
  [nginxPort, haproxyPort] = await Promise.all([freeFixedPort(), freeFixedPort()]);
  nginx = await startNginx({ upstreamPort: server.port, tlsPort: nginxPort, certificate: tls, accessLog: true });
  haproxy = await startHaproxy({ frontPort: haproxyPort, gateways: [server.port, server.port] });
}, 60_000);

afterAll(async () => {
  await nginx?.stop();
  await haproxy?.stop();
  if (server) expect(await server.stop()).toBe(0);
}, 30_000);

/** Runs `npm run loadtest`'s entry point with `env` added; resolves with its JSON report (and output on failure). */
function loadtest(args: string[], env: NodeJS.ProcessEnv = {}): Promise<LoadTestResult> {
  const json = join(dir, `run-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  const base = ['--clients', String(CLIENTS), '--ramp-up', '1s', '--duration', '3s', '--grace', '1s', '--workers', '1', '--progress', '0', '--json', json];
  const child = spawn(process.execPath, [LOADTEST_JS, ...base, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (output += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (output += s));
  const timer = setTimeout(() => child.kill('SIGKILL'), 40_000);
  return new Promise((resolve, reject) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`loadtest exited with ${code}: ${output.slice(-3000)}`));
      else resolve(JSON.parse(readFileSync(json, 'utf8')) as LoadTestResult);
    }),
  );
}

/** Data received, every client connected, nothing lost, no error of any kind. */
function expectClean(r: LoadTestResult): void {
  expect(r.connections.opened).toBe(CLIENTS);
  expect(r.connections.failures).toBe(0);
  expect(r.connections.errors).toEqual([]);
  expect(r.connections.unexpectedCloses).toEqual({});
  expect(r.counters.ticks).toBeGreaterThan(CLIENTS * 10);
  expect(r.counters.snapshots).toBe(CLIENTS * 5);
  expect(r.counters.decodeErrors + r.counters.errorFrames).toBe(0);
  expect(r.rates.updatesPerSec).toBeGreaterThan(0);
  expect(r.verdict.lossFree).toBe(true);
}

/** HAProxy's sessions so far on its frontend, from the runtime API (`show stat`, CSV). */
function haproxySessions(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = connect(join(haproxy.dir, 'admin.sock'), () => s.end('show stat\n'));
    let csv = '';
    s.setEncoding('utf8').on('data', (d: string) => (csv += d));
    s.on('error', reject);
    s.on('close', () => {
      const [header, ...rows] = csv.replace(/^# /, '').trim().split('\n');
      const col = header!.split(',').indexOf('stot');
      const front = rows.map((r) => r.split(',')).find((f) => f[0] === 'tickwire_in' && f[1] === 'FRONTEND');
      resolve(Number(front?.[col] ?? NaN));
    });
  });
}

describe('the load tester through the shipped proxies', () => {
  it(`runs ${CLIENTS} wss and ${CLIENTS} https SSE clients through nginx with the throw-away certificate trusted via NODE_EXTRA_CA_CERTS`, async () => {
    const url = `https://127.0.0.1:${nginxPort}`;
    const ws = await loadtest(['--url', url, '--transport', 'ws'], { NODE_EXTRA_CA_CERTS: cert });
    expectClean(ws);
    // The ws library is picked for a TLS target (the built-in client speaks ws:// only).
    expect(ws.config.wsClient).toBe('ws');
    const sse = await loadtest(['--url', url, '--transport', 'sse'], { NODE_EXTRA_CA_CERTS: cert });
    expectClean(sse);
    // nginx logs a request when it ends: every WebSocket upgrade and SSE stream crossed it.
    const log = readFileSync(join(nginx.dir, 'access.log'), 'utf8');
    expect(log.match(/^127\.0\.0\.1 "-" 101 \/ws$/gm)?.length).toBe(CLIENTS);
    expect(log.match(/^127\.0\.0\.1 "-" 200 \/sse\?/gm)?.length).toBe(CLIENTS);
    // Without the CA the same run connects no one: the certificate really is checked.
    await expect(loadtest(['--url', url, '--transport', 'sse', '--duration', '1s'])).rejects.toThrow(/self[- ]signed certificate/i);
  }, 90_000);

  it(`runs ${CLIENTS} WebSocket and ${CLIENTS} SSE clients through HAProxy (TCP mode)`, async () => {
    const before = await haproxySessions();
    const url = `http://127.0.0.1:${haproxyPort}`;
    expectClean(await loadtest(['--url', url, '--transport', 'ws']));
    expectClean(await loadtest(['--url', url, '--transport', 'sse']));
    // Symbols list + 50 WebSockets, then symbols list + 50 streams, at least (health checks are not sessions).
    expect((await haproxySessions()) - before).toBeGreaterThanOrEqual(2 * (CLIENTS + 1));
  }, 90_000);
});
