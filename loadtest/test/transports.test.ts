// The HTTP transport adapters (binary stream, long polling, short polling) against a real Tickwire server
// (built, child process, ephemeral port): each delivers ticks with no gap or duplicate through the same
// accounting as the WebSocket, meters real socket bytes, and polling costs more bytes per update than a
// WebSocket for the same symbols.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAIN_JS, startServerProcess, type ServerProcess } from '@tickwire/server/test/harness';
import { StreamAccounting } from '../src/accounting.js';
import { AccountingSink, type Counters } from '../src/counters.js';
import { ADAPTER_CONNECT } from '../src/adapters/index.js';
import type { AdapterName } from '../src/config.js';
import { fetchSymbols, type SymbolRef } from '../src/symbols.js';

const nowMs = (): number => performance.timeOrigin + performance.now();

/** Runs one adapter connection for `ms`, then closes it; resolves with its counters. */
async function runAdapter(
  base: URL,
  adapter: AdapterName,
  symbols: SymbolRef[],
  ms: number,
  poll?: { intervalMs: number; waitMs: number },
): Promise<{ c: Counters; closes: number[]; errors: string[] }> {
  const sink = new AccountingSink();
  const stream = new StreamAccounting(sink);
  const closes: number[] = [];
  const errors: string[] = [];
  let opened = false;
  const conn = ADAPTER_CONNECT[adapter]({
    base,
    symbols,
    history: 0,
    localAddress: undefined,
    now: nowMs,
    wsClient: 'raw',
    token: null,
    poll,
    hooks: { stream, opened: () => (opened = true), received: () => undefined, closed: (code) => closes.push(code), failed: (e) => errors.push(e.message) },
  });
  await new Promise((r) => setTimeout(r, ms));
  conn.close(true);
  await new Promise((r) => setTimeout(r, 100));
  expect(opened).toBe(true);
  return { c: sink.counters, closes, errors };
}

const perUpdate = (c: Counters): number => (c.wireBytesIn + c.wireBytesOut) / (c.ticks - c.duplicates);

describe('HTTP transport adapters against a real server', () => {
  let server: ServerProcess | undefined;
  let base: URL;
  let symbols: SymbolRef[];

  beforeAll(async () => {
    if (!existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} is missing: run "npm run build:node" first`);
    server = await startServerProcess(['--tick-rate', '1000', '--transports', 'ws,sse,stream,poll', '--poll-wait-ms', '5000']);
    base = new URL(server.url);
    symbols = (await fetchSymbols(base)).slice(0, 3);
  });

  afterAll(async () => {
    if (server) expect(await server.stop()).toBe(0);
  });

  const cases: [AdapterName, { intervalMs: number; waitMs: number } | undefined][] = [
    ['tickwire-stream', undefined],
    ['tickwire-longpoll', { intervalMs: 250, waitMs: 2_000 }],
    ['tickwire-poll', { intervalMs: 100, waitMs: 0 }],
  ];
  for (const [adapter, poll] of cases) {
    it(`${adapter} delivers every tick once, in order, with socket bytes metered`, async () => {
      const { c, errors } = await runAdapter(base, adapter, symbols, 2_500, poll);
      expect(errors).toEqual([]);
      expect(c.snapshots).toBe(3);
      expect(c.ticks).toBeGreaterThan(20);
      expect(c.gapEvents).toBe(0);
      expect(c.missing).toBe(0);
      expect(c.duplicates).toBe(0);
      expect(c.outOfOrder).toBe(0);
      expect(c.decodeErrors).toBe(0);
      expect(c.inOrder).toBe(c.ticks);
      // Headers and framing are on the wire but not in the payload.
      expect(c.wireBytesIn).toBeGreaterThan(c.bytes);
      expect(c.wireBytesOut).toBeGreaterThan(0);
      if (adapter === 'tickwire-stream') expect(c.requests).toBe(1);
      else expect(c.requests).toBeGreaterThan(5);
    });
  }

  it('orders transports by wire bytes per update: ws < stream < sse, and polling above ws', async () => {
    const [ws, stream, sse, longpoll, poll] = await Promise.all([
      runAdapter(base, 'tickwire-ws', symbols, 2_500),
      runAdapter(base, 'tickwire-stream', symbols, 2_500),
      runAdapter(base, 'tickwire-sse', symbols, 2_500),
      runAdapter(base, 'tickwire-longpoll', symbols, 2_500, { intervalMs: 250, waitMs: 2_000 }),
      runAdapter(base, 'tickwire-poll', symbols, 2_500, { intervalMs: 100, waitMs: 0 }),
    ]);
    const b = { ws: perUpdate(ws.c), stream: perUpdate(stream.c), sse: perUpdate(sse.c), longpoll: perUpdate(longpoll.c), poll: perUpdate(poll.c) };
    for (const v of Object.values(b)) expect(v).toBeGreaterThan(0);
    expect(b.ws).toBeLessThan(b.stream);
    expect(b.stream).toBeLessThan(b.sse);
    expect(b.longpoll).toBeGreaterThan(b.ws * 2);
    expect(b.poll).toBeGreaterThan(b.ws);
  });
});
