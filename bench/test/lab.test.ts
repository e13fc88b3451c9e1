// The transport lab end to end, in its quick shape and smaller still: the built `lab.js` starts its own
// server, runs every transport for a couple of seconds and writes JSON, HTML (bar charts rendered in
// headless Chromium) and markdown, with positive, sensibly ordered wire bytes per update.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@tickwire/server/test/harness';
import { launchBrowser } from '@tickwire/web/test/e2e/env';
import type { LabReport } from '../src/lab-report.js';

const LAB_JS = join(REPO_ROOT, 'bench/dist/lab.js');

function runLab(args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [LAB_JS, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

describe('transport lab (--quick)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tickwire-lab-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('measures every transport and writes JSON, HTML and markdown', { timeout: 120_000 }, async () => {
    if (!existsSync(LAB_JS)) throw new Error(`${LAB_JS} is missing: run "npm run build:node" first`);
    const run = await runLab(
      ['--quick', '--clients', '8', '--duration', '2s', '--ramp-up', '500ms', '--out-dir', dir, '--poll-interval', '100ms', '--workers', '1'],
      110_000,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/transport\s+updates\/s/);
    const report = JSON.parse(readFileSync(join(dir, 'lab-quick.json'), 'utf8')) as LabReport;
    expect(report.rows.map((r) => r.transport)).toEqual(['ws', 'sse', 'stream', 'longpoll', 'poll']);
    const by = Object.fromEntries(report.rows.map((r) => [r.transport, r]));
    for (const r of report.rows) {
      expect(r.updatesPerSec).toBeGreaterThan(0);
      expect(r.wireBytesPerUpdate).toBeGreaterThan(r.payloadBytesPerUpdate * 0.9);
      expect(r.lossFree).toBe(true);
      expect(r.serverRssMiB).toBeGreaterThan(0);
    }
    expect(by.ws!.wireBytesPerUpdate).toBeLessThan(by.sse!.wireBytesPerUpdate);
    expect(by.poll!.wireBytesPerUpdate).toBeGreaterThan(by.ws!.wireBytesPerUpdate);
    expect(by.longpoll!.wireBytesPerUpdate).toBeGreaterThan(by.ws!.wireBytesPerUpdate);
    expect(by.longpoll!.requestsPerSec).toBeGreaterThan(by.stream!.requestsPerSec);
    const md = readFileSync(join(dir, 'lab-quick.md'), 'utf8');
    expect(md).toContain('| transport | updates/s');
    expect(md).toContain('RFC 6455');
    expect(md).toContain('RFC 6202');

    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(e.message));
      page.on('request', (req) => {
        if (!req.url().startsWith('file:')) problems.push(`network request: ${req.url()}`);
      });
      await page.goto(pathToFileURL(join(dir, 'lab-quick.html')).href);
      await page.waitForFunction('document.body.dataset.chartsRendered !== undefined', undefined, { timeout: 5_000 });
      expect(Number(await page.evaluate('document.body.dataset.chartsRendered'))).toBeGreaterThanOrEqual(5 * 5);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
