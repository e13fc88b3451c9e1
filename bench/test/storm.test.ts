// Smoke test of the reconnect-storm harness (no timing asserted): its quick mode, with fewer clients,
// against the built server — a network blip and a SIGTERM restart — must report every client's way back,
// latency samples before and after, the server's CPU, resumes, no lost tick, and render the section.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../src/servers.js';
import type { StormReport } from '../src/storm.js';

const RUN_JS = join(REPO_ROOT, 'bench/dist/run.js');
const dir = mkdtempSync(join(tmpdir(), 'tickwire-storm-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [RUN_JS, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (output += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (output += s));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    }),
  );
}

describe('reconnect storm bench (quick mode)', () => {
  it('runs a blip and a restart storm and reports non-empty samples, CPU, resumes and no loss', { timeout: 200_000 }, async () => {
    const results = join(dir, 'storm.json');
    const { code, output } = await run(['--storm', '--quick', '--clients', '60', '--results', results], 180_000);
    expect(code, output).toBe(0);
    const report = JSON.parse(readFileSync(results, 'utf8')) as StormReport;
    expect(report.kind).toBe('storm');
    expect(report.quick).toBe(true);
    expect(report.loadAverage).toHaveLength(3);
    expect(report.storms.map((s) => s.kind)).toEqual(['blip', 'restart']);
    for (const s of report.storms) {
      const where = `${s.kind}: ${JSON.stringify(s.reasons)} ${JSON.stringify(s.errors)}`;
      expect(s.clients).toBe(60);
      // How fast they come back depends on the machine's load (a verdict, not asserted); that they are measured does not.
      expect(s.perClientMs.count, where).toBeGreaterThan(0);
      expect(s.latencyBefore.count, where).toBeGreaterThan(0);
      expect(s.latencyAfter.count, where).toBeGreaterThan(0);
      expect(s.serverCpuPercent, where).not.toBeNull();
      expect(s.resumes.attempts, where).toBeGreaterThan(0);
      expect([s.loss.missing, s.loss.gapEvents, s.loss.heartbeatAhead], where).toEqual([0, 0, 0]);
    }
    expect(report.storms[1]!.downMs).toBeGreaterThan(0);
    const md = readFileSync(results.replace(/\.json$/, '.md'), 'utf8');
    expect(md).toMatch(/^## Reconnect storms\n/);
    expect(md).toContain('Smoke run');
    expect(md).toContain('| network blip');
    expect(md).toContain('| SIGTERM restart');
  });
});
