// The client's runnable examples as a user runs them: examples/node-ticker spawned with plain `node`
// (the package resolves to the built client, `npm run build`) against a real server on an ephemeral port
// prints a live table whose prices move, marks an unknown symbol, and exits 0 on Ctrl-C (SIGINT).
// examples/minimal-page runs in Chromium: web/test/e2e/minimal-page.test.ts.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, startServer, waitFor } from '@tickwire/server/test/harness';
import type { TickwireServer } from '@tickwire/server/server';

let server: TickwireServer;

beforeAll(async () => {
  server = await startServer({ tickRate: 2000, symbols: 20 });
});

afterAll(async () => {
  await server?.close();
});

/** The last printed price of `ticker` in each table printed so far. */
function pricesOf(out: string, ticker: string): string[] {
  return [...out.matchAll(new RegExp(`^${ticker}\\s+([0-9.]+)`, 'gm'))].map((m) => m[1] as string);
}

describe('examples/node-ticker', () => {
  it('prints a live table from a running server and exits 0 on SIGINT', { timeout: 30_000 }, async () => {
    const child = spawn(
      process.execPath,
      [join(REPO_ROOT, 'examples/node-ticker/ticker.mjs'), '--url', `http://127.0.0.1:${server.port}`, 'AAPL', 'EURUSD', 'NOPE'],
      {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitFor(() => new Set(pricesOf(out, 'AAPL')).size >= 2 && pricesOf(out, 'EURUSD').length > 0, {
        timeoutMs: 15_000,
        what: `moving prices in:\n${out}${err}`,
      });
      expect(out).toMatch(/live \(ws\)/);
      expect(out).toMatch(/^NOPE\s+.*unknown/im);
      // Prices carry the instrument's decimals (EURUSD: 5).
      expect(pricesOf(out, 'EURUSD').at(-1)).toMatch(/^\d+\.\d{5}$/);
    } finally {
      child.kill('SIGINT');
    }
    const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('still running 5 s after SIGINT'), 5_000))]);
    if (code !== 0) child.kill('SIGKILL');
    expect(code).toBe(0);
    expect(out.trimEnd().endsWith('closed')).toBe(true);
    expect(err).toBe('');
  });
});
