// Smoke test of the clients-per-core harness (no timing asserted): its quick mode, shortened, against the
// built servers — Tickwire (WebSocket, SSE) and the four peers, on both feed shapes — must produce a step
// per series and shape with latency samples, updates and both processes' CPU, account the batching peers'
// binary frames with nothing lost, duplicated or reordered, and render the markdown section.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../src/servers.js';
import { CPC_SERIES, SHAPES, type CpcReport } from '../src/clients-per-core.js';

const RUN_JS = join(REPO_ROOT, 'bench/dist/run.js');
const dir = mkdtempSync(join(tmpdir(), 'tickwire-cpc-test-'));
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

describe('clients-per-core bench (quick mode)', () => {
  it('measures one step per series and feed shape, with samples, CPU of both processes and no loss', { timeout: 300_000 }, async () => {
    const results = join(dir, 'cpc.json');
    const { code, output } = await run(['--clients-per-core', '--quick', '--clients', '40', '--duration', '3', '--results', results], 280_000);
    expect(code, output).toBe(0);
    const report = JSON.parse(readFileSync(results, 'utf8')) as CpcReport;
    expect(report.kind).toBe('clients-per-core');
    expect(report.shapes.map((s) => s.shape.id)).toEqual(SHAPES.map((s) => s.id));
    const expected = CPC_SERIES.map((s) => s.id).filter((id) => !report.skipped.some((x) => x.id === id));
    expect(expected).toEqual(expect.arrayContaining(['tw-ws', 'tw-sse', 'sio', 'wsjson', 'sio-batch', 'ws-batch']));
    for (const { shape, series } of report.shapes) {
      expect(series.map((s) => s.spec.id)).toEqual(expected);
      for (const s of series) {
        const where = `${shape.id} ${s.spec.id}: ${JSON.stringify(s.steps[0]?.reasons)}`;
        expect(s.steps.length, where).toBe(1);
        const step = s.steps[0]!;
        expect(step.clients).toBe(40);
        expect(step.latencyCount, where).toBeGreaterThan(0);
        expect(step.updatesPerSec, where).toBeGreaterThan(0);
        // Readiness and p99 depend on how loaded the machine is (a verdict, not asserted); sequence accounting does not.
        expect(step.readyAtEnd, where).toBeGreaterThan(0);
        expect([step.missing, step.duplicates, step.outOfOrder], where).toEqual([0, 0, 0]);
        expect(
          step.reasons.filter((x) => /decode|missing|duplicate|out of order/.test(x)),
          where,
        ).toEqual([]);
        expect(step.serverCpu, where).not.toBeNull();
        expect(step.generatorCpu, where).not.toBeNull();
        expect(step.generatorUsPerUpdate, where).not.toBeNull();
        expect(['server', 'generator', 'both', 'neither']).toContain(step.saturated);
      }
    }
    const md = readFileSync(results.replace(/\.json$/, '.md'), 'utf8');
    expect(md).toMatch(/^## Clients per core\n/);
    expect(md).toContain('Smoke run');
    for (const spec of CPC_SERIES.filter((s) => expected.includes(s.id))) expect(md).toContain(`| ${spec.label} |`);
  });
});
