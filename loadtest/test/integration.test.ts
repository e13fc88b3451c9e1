// End to end: a real Tickwire server (built, child process, ephemeral port) and the built load-tester CLI
// run for a few seconds with a WebSocket/SSE mix and churning clients; the JSON must show every update
// delivered, and the HTML report must render its charts in headless Chromium without console errors.
// Without --server-pid the server's CPU comes from its own /metrics and the report draws it too.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, type ServerProcess } from '@tickwire/server/test/harness';
import type { LoadTestResult } from '../src/run.js';
import { launchBrowser } from '@tickwire/web/test/e2e/env';
import { LOADTEST_JS, runCli } from './helpers.js';

describe('load tester against a real Tickwire server', () => {
  let server: ServerProcess | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'tickwire-loadtest-'));
  const jsonPath = join(dir, 'report.json');
  const htmlPath = join(dir, 'report.html');

  beforeAll(async () => {
    if (!existsSync(LOADTEST_JS)) throw new Error(`${LOADTEST_JS} is missing: run "npm run build:node" first`);
    server = await startServerProcess(['--tick-rate', '1000']);
  });

  afterAll(async () => {
    if (server) expect(await server.stop()).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers every update to a WebSocket/SSE mix with churning and slow clients, and writes both reports', async () => {
    const pid = server!.child.pid!;
    const run = await runCli(
      [
        '--url',
        server!.url,
        '--clients',
        '24',
        '--transport',
        'mix',
        '--sse-fraction',
        '0.25',
        '--symbols-per-client',
        '5',
        '--popularity',
        'zipf',
        '--ramp-up',
        '1s',
        '--duration',
        '3s',
        '--churn',
        '0.2',
        '--churn-interval',
        '1s',
        '--slow',
        '0.1',
        '--slow-rate',
        '1k',
        '--workers',
        '1',
        '--server-pid',
        String(pid),
        '--json',
        jsonPath,
        '--html',
        htmlPath,
        '--progress',
        '0',
      ],
      18_000,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('verdict: no update lost');
    const r = JSON.parse(readFileSync(jsonPath, 'utf8')) as LoadTestResult;
    expect(r.verdict).toEqual({ missing: 0, duplicates: 0, outOfOrder: 0, decodeErrors: 0, heartbeatAhead: 0, maxStalled: 0, lossFree: true });
    expect(r.counters.heartbeats).toBeGreaterThan(24);
    expect(r.counters.gapEvents).toBe(0);
    expect(r.clients.byAdapter).toEqual({ 'tickwire-ws': 18, 'tickwire-sse': 6 });
    expect(r.connections.failures).toBe(0);
    expect(r.connections.unexpectedCloses).toEqual({});
    expect(r.connections.churnReconnects).toBeGreaterThan(0);
    // Slow readers are accounted apart: they receive, lag, and never pollute the normal clients' numbers.
    expect(r.clients.slow).toBeGreaterThanOrEqual(2);
    expect(r.slowCounters.ticks).toBeGreaterThan(0);
    expect(r.slowLatency.event.count).toBeGreaterThan(0);
    // Every symbol of every first connection gets a snapshot; churn reconnects resume (replay) instead.
    expect(r.counters.snapshots + r.counters.resumeReplayed).toBeGreaterThanOrEqual(24 * 5);
    expect(r.resume).toMatchObject({ resumeMissed: 0, gapsAfterResume: 0 });
    expect(r.counters.ticks).toBeGreaterThan(1000);
    expect(r.rates.updatesPerSec).toBeGreaterThan(0);
    expect(r.latency.event.count).toBeGreaterThan(0);
    expect(r.latency.event.p99).toBeLessThan(1000);
    expect(r.server).toMatchObject({ pid, source: 'proc' });
    expect(r.timeline.length).toBeGreaterThanOrEqual(5);
    expect(existsSync(htmlPath)).toBe(true);
  });

  it('renders the HTML report charts in headless Chromium without errors', async () => {
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      // Self-contained means no request leaves the file: fail on any.
      page.on('request', (req) => {
        if (!req.url().startsWith('file:')) problems.push(`network request: ${req.url()}`);
      });
      await page.goto(pathToFileURL(htmlPath).href);
      await page.waitForFunction('document.body.dataset.chartsRendered !== undefined', undefined, { timeout: 5_000 });
      const charts = await page.$$eval('.chart svg', (svgs) =>
        svgs.map((svg) => ({
          title: svg.querySelector('.title')?.textContent ?? '',
          paths: [...svg.querySelectorAll('path.line')].map((p) => (p.getAttribute('d') ?? '').split('L').length),
          width: svg.getBoundingClientRect().width,
        })),
      );
      expect(charts).toHaveLength(4);
      for (const chart of charts) {
        expect(chart.width).toBeGreaterThan(100);
        expect(chart.paths.length).toBeGreaterThan(0);
        // Each drawn series has a point per second of the run.
        expect(Math.max(...chart.paths)).toBeGreaterThanOrEqual(5);
      }
      expect(await page.textContent('.verdict')).toContain('No update lost');
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it("without --server-pid takes a Tickwire server's CPU from its /metrics, and the report draws the server series", async () => {
    const json = join(dir, 'metrics.json');
    const html = join(dir, 'metrics.html');
    const run = await runCli(
      ['--url', server!.url, '--clients', '4', '--ramp-up', '0s', '--duration', '3s', '--workers', '1', '--json', json, '--html', html, '--progress', '0'],
      15_000,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/server \(its \/metrics\): CPU \d+%/);
    const r = JSON.parse(readFileSync(json, 'utf8')) as LoadTestResult;
    expect(r.server).toMatchObject({ pid: null, source: 'metrics' });
    expect(r.server!.cpuPercent).not.toBeNull();
    expect(r.server!.peakRssBytes).toBeGreaterThan(10 * 1024 * 1024);
    // One reading per second after the first: the series has a point for (almost) every second of the run.
    const drawn = r.timeline.filter((p) => p.serverCpu !== null);
    expect(drawn.length).toBeGreaterThanOrEqual(r.timeline.length - 1);
    expect(drawn.length).toBeGreaterThanOrEqual(3);

    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      await page.goto(pathToFileURL(html).href);
      await page.waitForFunction('document.body.dataset.chartsRendered !== undefined', undefined, { timeout: 5_000 });
      const cpu = await page.$$eval('.chart svg', (svgs) =>
        svgs
          .filter((svg) => (svg.querySelector('.title')?.textContent ?? '').startsWith('CPU'))
          .map((svg) =>
            Object.fromEntries(
              [...svg.querySelectorAll('path.line')].map((p) => [p.getAttribute('data-series'), (p.getAttribute('d') ?? '').split('L').length]),
            ),
          ),
      );
      expect(cpu).toHaveLength(1);
      // Both lines drawn, each with a point per sampled second.
      expect(Object.keys(cpu[0]!).sort()).toEqual(['load generator', 'server']);
      expect(cpu[0]!['server']).toBeGreaterThanOrEqual(3);
    } finally {
      await browser.close();
    }
  });
});
