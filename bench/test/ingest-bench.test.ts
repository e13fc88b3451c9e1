// Smoke test of the ingest benchmark's harness (bench/src/ingest.ts), no timing asserted: its quick mode,
// shortened, against the built server — the WebSocket door with binary records and the NATS door (real
// nats-server, feed process, gateway) with NDJSON — must produce the core figures and one step per series
// whose trades reached the core (the server's own counter), the producer's acks and the clients.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@tickwire/server/test/harness';
import type { IngestReport } from '../src/ingest.js';

const INGEST_JS = join(REPO_ROOT, 'bench/dist/ingest.js');

function run(args: string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [INGEST_JS, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
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

describe('ingest bench (quick mode)', () => {
  it('measures the core and one step per door, with trades accepted and delivered', async () => {
    if (!existsSync(INGEST_JS)) throw new Error(`${INGEST_JS} is missing: run "npm run build:node" first`);
    const out = join(mkdtempSync(join(tmpdir(), 'tickwire-ingest-bench-')), 'ingest.json');
    const { code, output } = await run(
      ['--quick', '--series', 'ws-bin,nats-json', '--clients', '20', '--duration', '2', '--bin-rates', '5000', '--json-rates', '2000', '--out', out],
      150_000,
    );
    expect(code, output).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8')) as IngestReport;
    expect(report.core.map((c) => c.encoding)).toEqual(['bin', 'json']);
    for (const c of report.core) expect(c.perCore).toBeGreaterThan(0);
    expect(report.steps.map((s) => s.series)).toEqual(['ws-bin', 'nats-json']);
    for (const s of report.steps) {
      expect(s.acceptedPerSec, s.series).toBeGreaterThan(0);
      expect(s.ackedPerSec, s.series).toBeGreaterThan(0);
      expect(s.rejected, s.series).toBe(0);
      expect(s.connected, s.series).toBe(20);
      expect(s.updatesPerSec, s.series).toBeGreaterThan(0);
      expect(s.serverCpu, s.series).toBeGreaterThan(0);
    }
    const md = readFileSync(out.replace(/\.json$/, '.md'), 'utf8');
    expect(md).toMatch(/^## Ingest\n/);
    expect(md).toContain('| ws-bin | 5,000 |');
  }, 180_000);
});
