// Bring-your-own-data end to end: a real server on an ephemeral port running instruments from a file
// (two ingested, one simulated), a producer POSTing NDJSON trades to /ingest, and WebSocket clients that
// decode every frame with the shared codec: continuous seq, exact prices, candles and snapshots computed
// here from the trades, resume; then every bad input over the HTTP door, each with its answer, its
// /metrics counter and the other symbols still flowing; then the hostile cases and restarts.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatCursor } from '@tickwire/protocol/cursor';
import { controlText } from '@tickwire/protocol/control';
import { FrameType } from '@tickwire/protocol/messages';
import { signToken } from '../src/auth.js';
import type { TickwireServer } from '../src/server.js';
import { ACME, BAD_INPUTS, BETA, INGEST_TEST_INSTRUMENTS, SIMCO, good, ndjson } from './bad-inputs.js';
import { bars } from './expected-candles.js';
import { connectWs, httpJson, readCounter, runServerExpectingFailure, startServer, startServerProcess, waitFor, type WsClient } from './harness.js';

const TOKEN = 'ingest-secret-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };

const dir = mkdtempSync(join(tmpdir(), 'tickwire-ingest-'));
const entries = INGEST_TEST_INSTRUMENTS;
function instrumentFile(name: string, list: unknown[]): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify({ instruments: list }));
  return path;
}
const FILE = instrumentFile('instruments.json', entries);

type Answer = { status: number; headers: Headers; body: { accepted?: number; rejected?: number; reasons?: Record<string, number>; error?: { name: string } } };
async function post(base: string, lines: unknown[], headers: Record<string, string> = AUTH): Promise<Answer> {
  const r = await httpJson(base, '/ingest', { method: 'POST', body: ndjson(lines), headers });
  return r as Answer;
}

/** Waits out a few batch windows, so what was accepted is published before a test reads the state. */
const published = () => new Promise((r) => setTimeout(r, 60));

function tickSeqs(c: WsClient, symbolId: number): number[] {
  return c
    .of(FrameType.Updates)
    .flatMap((r) => r.frame.ticks)
    .filter((t) => t.symbolId === symbolId)
    .map((t) => t.seq);
}

describe('POST /ingest into a live server', () => {
  let server: TickwireServer;
  let base: string;
  let viewer: WsClient;

  beforeAll(async () => {
    server = await startServer({ instruments: FILE, ingestToken: TOKEN, tickRate: 300, batchMs: 10, ingestMaxBody: 64 * 1024, ingestBodyTimeoutMs: 1500 });
    base = server.url;
    viewer = await connectWs(base);
    viewer.send(controlText('subscribe', ['ACME', 'BETA', 'SIMCO'], { id: 1, history: 0 }));
    await viewer.waitFor(FrameType.Ack);
  });
  afterAll(async () => {
    viewer?.close();
    await server?.close();
  });

  it("serves the file's instruments at /api/symbols with ids by position", async () => {
    const r = await httpJson(base, '/api/symbols');
    expect(r.body).toEqual({
      symbols: [
        { id: 0, ticker: 'ACME', name: 'Acme Corp', assetClass: 'equity', priceScale: 2, sizeScale: 0 },
        { id: 1, ticker: 'BETA', name: 'Beta Coin', assetClass: 'crypto', priceScale: 4, sizeScale: 2 },
        { id: 2, ticker: 'SIMCO', name: 'Simulated Co', assetClass: 'equity', priceScale: 2, sizeScale: 0 },
      ],
    });
    // Ingested instruments start empty (seq 0); the simulated one has warmed up.
    const snap = viewer.of(FrameType.Snapshot).map((s) => [s.frame.ticker, s.frame.seq > 0]);
    expect(snap).toEqual([
      ['ACME', false],
      ['BETA', false],
      ['SIMCO', true],
    ]);
  });

  const t0 = Math.floor((Date.now() - 120_000) / 5000) * 5000;
  const trades = Array.from({ length: 40 }, (_, i) => ({ ts: t0 + i * 700 + (i % 3), price: 10_000 + ((i * 37) % 50) * 5, size: 1 + ((i * 7) % 13) }));

  it('delivers posted trades with continuous seq, exact prices, and candles and snapshots computed from them', async () => {
    const lines = trades.map((t, i) => ({ ticker: 'ACME', price: (t.price / 100).toFixed(2), size: String(t.size), ts: t.ts, id: `c-${i}` }));
    // Two bodies, so the trades span batch windows.
    const a = await post(base, lines.slice(0, 25));
    const b = await post(base, lines.slice(25));
    expect([a.status, a.body.accepted, b.status, b.body.accepted]).toEqual([200, 25, 200, 15]);
    await waitFor(() => tickSeqs(viewer, ACME).length >= 40, { what: '40 ACME ticks' });
    expect(tickSeqs(viewer, ACME)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    const got = viewer
      .of(FrameType.Updates)
      .flatMap((r) => r.frame.ticks)
      .filter((t) => t.symbolId === ACME);
    expect(got.map((t) => [t.eventTimeMs, t.price, t.size, t.bid, t.ask])).toEqual(trades.map((t) => [t.ts, t.price, t.size, t.price, t.price]));

    const late = await connectWs(base);
    late.send(controlText('subscribe', ['ACME'], { id: 2, history: 100 }));
    const { frame: snap } = await late.waitFor(FrameType.Snapshot);
    late.close();
    expect(snap).toMatchObject({
      seq: 40,
      last: trades.at(-1)!.price,
      lastTimeMs: trades.at(-1)!.ts,
      open: trades[0]!.price,
      high: Math.max(...trades.map((t) => t.price)),
      low: Math.min(...trades.map((t) => t.price)),
      volume: trades.reduce((s, t) => s + t.size, 0),
      sessionStartMs: trades[0]!.ts,
    });
    for (const interval of [1, 5, 60]) {
      expect(snap.candles.find((c) => c.intervalSec === interval)?.candles, `${interval} s bars`).toEqual(bars(trades, interval));
    }
  });

  it("converts decimal strings and numbers exactly at the instrument's scales", async () => {
    const r = await post(base, [
      { ticker: 'BETA', price: '0.2905', size: '0.29', id: 'b-1' },
      { ticker: 'beta', price: 1.0005, size: 1e-2, id: 'b-2' },
    ]);
    expect(r.body).toMatchObject({ accepted: 2, rejected: 0 });
    await waitFor(() => tickSeqs(viewer, BETA).length >= 2, { what: 'BETA ticks' });
    const beta = viewer
      .of(FrameType.Updates)
      .flatMap((f) => f.frame.ticks)
      .filter((t) => t.symbolId === BETA);
    expect(beta.map((t) => [t.seq, t.price, t.size])).toEqual([
      [1, 2905, 29],
      [2, 10005, 1],
    ]);
  });

  it('lets a reconnecting client resume an ingested symbol with exactly the ticks it missed', async () => {
    const first = await connectWs(base);
    first.send(controlText('subscribe', ['ACME'], { id: 1, history: 0 }));
    const { frame: snap } = await first.waitFor(FrameType.Snapshot);
    first.close();
    const r = await post(
      base,
      [1, 2, 3].map((i) => ({ ticker: 'ACME', price: '100.00', size: String(i) })),
    );
    expect(r.body.accepted).toBe(3);
    await waitFor(() => server.fanout.states[ACME]!.seq === snap.seq + 3, { what: 'published' });
    const again = await connectWs(base);
    again.send(controlText('subscribe', ['ACME'], { id: 2, resume: formatCursor(server.epoch, [[ACME, snap.seq]]) }));
    await again.waitFor(FrameType.Ack);
    again.close();
    expect(again.of(FrameType.Snapshot)).toHaveLength(0);
    expect(tickSeqs(again, ACME)).toEqual([snap.seq + 1, snap.seq + 2, snap.seq + 3]);
  });

  it.each(BAD_INPUTS)('rejects $what ($reason), counts it, and keeps every other symbol flowing', async ({ reason, lines }) => {
    const counterBefore = await readCounter(base, 'tickwire_ingest_trades_rejected_total', { reason });
    const acmeBefore = server.fanout.states[ACME]!.seq;
    const simBefore = tickSeqs(viewer, SIMCO).length;
    const r = await post(base, [...lines, good()]);
    expect(r.status).toBe(200);
    // The setup lines and the good line after the bad one are applied.
    const applied = lines.length;
    expect(r.body).toMatchObject({ accepted: applied, rejected: 1, reasons: { [reason]: 1 } });
    expect(await readCounter(base, 'tickwire_ingest_trades_rejected_total', { reason })).toBe(counterBefore + 1);
    // They reach the client with the next seqs.
    await waitFor(() => tickSeqs(viewer, ACME).includes(acmeBefore + applied), { what: 'the good lines' });
    expect(server.fanout.states[ACME]!.seq).toBe(acmeBefore + applied);
    await waitFor(() => tickSeqs(viewer, SIMCO).length > simBefore, { what: 'simulated ticks' });
  });

  it('has kept ACME and SIMCO continuous through everything above', () => {
    for (const id of [ACME, BETA, SIMCO]) {
      const seqs = tickSeqs(viewer, id);
      expect(
        seqs.every((s, i) => i === 0 || s === seqs[i - 1]! + 1),
        `symbol ${id}`,
      ).toBe(true);
    }
    expect(viewer.decodeErrors).toEqual([]);
  });

  it('applies nothing of a body the producer cut off mid-way', async () => {
    await published();
    const before = server.fanout.states[ACME]!.seq;
    const aborted = await readCounter(base, 'tickwire_ingest_requests_total', { outcome: 'aborted' });
    const part = `${JSON.stringify(good({ id: 'cut-1' }))}\n${JSON.stringify(good({ id: 'cut-2' }))}\n`;
    const socket = connect({ host: '127.0.0.1', port: server.port });
    socket.on('error', () => {});
    await new Promise<void>((r) => socket.once('connect', r));
    socket.write(`POST /ingest HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Length: 5000\r\n\r\n${part}`);
    await new Promise((r) => setTimeout(r, 100));
    socket.destroy();
    await expect.poll(() => readCounter(base, 'tickwire_ingest_requests_total', { outcome: 'aborted' })).toBe(aborted + 1);
    await published();
    expect(server.fanout.states[ACME]!.seq).toBe(before);
    // The same lines sent whole afterwards are new trades: the cut body left no ids behind.
    const r = await post(base, [good({ id: 'cut-1' }), good({ id: 'cut-2' })]);
    expect(r.body).toMatchObject({ accepted: 2, rejected: 0 });
  });

  it('answers 413 to a body over --ingest-max-body, by Content-Length or by bytes, and applies nothing', async () => {
    await published();
    const before = server.fanout.states[ACME]!.seq;
    const refusals = await readCounter(base, 'tickwire_refusals_total', { reason: 'BodyTooLarge' });
    const announced = await rawRequest(
      server.port,
      `POST /ingest HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Length: 10000000\r\n\r\n`,
    );
    expect(announced.status).toBe(413);
    expect(announced.closed).toBe(true);
    const big = Array.from({ length: 2000 }, () => JSON.stringify(good())).join('\n');
    expect(big.length).toBeGreaterThan(64 * 1024);
    const sent = await post(base, [big]);
    expect([sent.status, sent.body.error?.name]).toEqual([413, 'BodyTooLarge']);
    expect(await readCounter(base, 'tickwire_refusals_total', { reason: 'BodyTooLarge' })).toBe(refusals + 2);
    expect(server.fanout.states[ACME]!.seq).toBe(before);
  });

  it('answers 408 and closes when a body trickles in slower than --ingest-body-timeout-ms (slowloris)', async () => {
    await published();
    const before = server.fanout.states[ACME]!.seq;
    const line = `${JSON.stringify(good())}\n`;
    const started = Date.now();
    const r = await rawRequest(
      server.port,
      `POST /ingest HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Length: ${line.length * 50}\r\n\r\n`,
      (write) => {
        const timer = setInterval(() => write(line.slice(0, 1)), 100);
        return () => clearInterval(timer);
      },
    );
    expect(r.status).toBe(408);
    expect(r.closed).toBe(true);
    expect(Date.now() - started).toBeLessThan(4000);
    expect(server.fanout.states[ACME]!.seq).toBe(before);
    expect(await readCounter(base, 'tickwire_refusals_total', { reason: 'BodyTimeout' })).toBeGreaterThanOrEqual(1);
  });

  it('refuses a wrong or missing token with 401 and a Bearer challenge, applying nothing', async () => {
    await published();
    const before = server.fanout.states[ACME]!.seq;
    const refusals = await readCounter(base, 'tickwire_refusals_total', { reason: 'IngestAuth' });
    for (const headers of [
      {} as Record<string, string>,
      { authorization: 'Bearer wrong-token-0123456789' },
      { authorization: TOKEN },
      { authorization: `Basic ${TOKEN}` },
    ]) {
      const r = await post(base, [good()], headers);
      expect(r.status).toBe(401);
      expect(r.body.error?.name).toBe('IngestAuth');
      expect(r.headers.get('www-authenticate')).toBe('Bearer realm="tickwire-ingest"');
    }
    expect(await readCounter(base, 'tickwire_refusals_total', { reason: 'IngestAuth' })).toBe(refusals + 4);
    expect(server.fanout.states[ACME]!.seq).toBe(before);
  });
});

/** Sends raw bytes, optionally keeps writing, and reads the status line and whether the server closed. */
function rawRequest(port: number, head: string, keepWriting?: (write: (s: string) => void) => () => void): Promise<{ status: number; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let text = '';
    let stop = () => {};
    const timer = setTimeout(() => {
      stop();
      socket.destroy();
      reject(new Error(`no answer; got ${JSON.stringify(text)}`));
    }, 8000);
    socket.setEncoding('latin1');
    socket.on('error', () => {});
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('close', () => {
      stop();
      clearTimeout(timer);
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), closed: true });
    });
    socket.write(head, 'latin1');
    if (keepWriting) stop = keepWriting((s) => socket.write(s, 'latin1'));
  });
}

describe('POST /ingest limits and credentials', () => {
  it('is 404 when no --ingest-token is set, like any unknown route', async () => {
    const server = await startServer({ instruments: FILE, tickRate: 100 });
    try {
      const r = await post(server.url, [{ ticker: 'ACME', price: '1', size: '1' }]);
      expect([r.status, r.body.error?.name]).toEqual([404, 'NotFound']);
    } finally {
      await server.close();
    }
  });

  it('never takes a viewer token, even a valid one', async () => {
    const secret = 'viewer-secret-0123456789';
    const server = await startServer({ instruments: FILE, tickRate: 100, authSecret: secret, ingestToken: TOKEN });
    try {
      const viewerToken = signToken(secret, { sub: 'alice', exp: Math.floor(Date.now() / 1000) + 600 });
      const r = await post(server.url, [{ ticker: 'ACME', price: '1', size: '1' }], { authorization: `Bearer ${viewerToken}` });
      expect([r.status, r.body.error?.name]).toEqual([401, 'IngestAuth']);
      const ok = await post(server.url, [{ ticker: 'ACME', price: '1', size: '1' }]);
      expect([ok.status, ok.body.accepted]).toEqual([200, 1]);
    } finally {
      await server.close();
    }
  });

  it('refuses a body that might not fit the queue with 503 + Retry-After, and a producer over its rate with 429 + Retry-After', async () => {
    const server = await startServer({ instruments: FILE, tickRate: 100, ingestToken: TOKEN, ingestQueue: 5, ingestRate: 1 });
    try {
      const line = (i: number) => ({ ticker: 'ACME', price: '1.00', size: '1', id: `q-${i}` });
      const full = await post(server.url, [1, 2, 3, 4, 5, 6].map(line));
      expect([full.status, full.body.error?.name, full.headers.get('retry-after')]).toEqual([503, 'IngestQueueFull', '1']);
      expect(await readCounter(server.url, 'tickwire_refusals_total', { reason: 'IngestQueueFull' })).toBe(1);
      expect(server.fanout.states[ACME]!.seq).toBe(0);
      // Rate 1/s, burst 2: a 5-line body is admitted (the bucket goes into debt), the next waits it out.
      const first = await post(server.url, [1, 2, 3, 4, 5].map(line));
      expect([first.status, first.body.accepted]).toEqual([200, 5]);
      const next = await post(server.url, [line(9)]);
      expect([next.status, next.body.error?.name]).toEqual([429, 'IngestRateLimited']);
      expect(Number(next.headers.get('retry-after'))).toBeGreaterThanOrEqual(3);
      expect(await readCounter(server.url, 'tickwire_refusals_total', { reason: 'IngestRateLimited' })).toBe(1);
      await published();
      expect(server.fanout.states[ACME]!.seq).toBe(5);
    } finally {
      await server.close();
    }
  });
});

describe('instrument files across restarts (built server)', () => {
  async function symbolsOf(args: string[]) {
    const proc = await startServerProcess(args);
    try {
      return ((await httpJson(proc.url, '/api/symbols')).body as { symbols: Array<{ id: number; ticker: string }> }).symbols.map((s) => [s.id, s.ticker]);
    } finally {
      await proc.stop();
    }
  }

  it('keeps every id across a restart with the same file, and when instruments are appended', async () => {
    const args = ['--instruments', FILE, '--feed', 'none'];
    const first = await symbolsOf(args);
    expect(first).toEqual([
      [0, 'ACME'],
      [1, 'BETA'],
      [2, 'SIMCO'],
    ]);
    expect(await symbolsOf(args)).toEqual(first);
    const appended = instrumentFile('appended.json', [...entries, { ticker: 'NEWCO', name: 'New Co', assetClass: 'equity', priceScale: 2, sizeScale: 0 }]);
    expect(await symbolsOf(['--instruments', appended, '--feed', 'none'])).toEqual([...first, [3, 'NEWCO']]);
  });

  it('runs ingested instruments only with --feed none, healthy while producers are quiet', async () => {
    const proc = await startServerProcess(['--instruments', FILE, '--feed', 'none', '--ingest-token', TOKEN]);
    try {
      // With --feed none every instrument is ingested, SIMCO included.
      const r = await post(proc.url, [{ ticker: 'SIMCO', price: '50.00', size: '1' }]);
      expect(r.body).toMatchObject({ accepted: 1, rejected: 0 });
      await new Promise((res) => setTimeout(res, 200));
      const health = await httpJson(proc.url, '/healthz');
      expect(health.status).toBe(200);
      expect(health.body).toMatchObject({ feed: { simulated: 0, ingest: { instruments: 3, accepted: 1 } } });
    } finally {
      await proc.stop();
    }
  });

  it('refuses to start on a bad file, naming the instrument, the value and the largest scale that fits', async () => {
    const bad = instrumentFile('bad.json', [entries[0], { ...entries[2], id: 1, price: '5000000', priceScale: 4 }]);
    const r = await runServerExpectingFailure(['--instruments', bad]);
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('TW_INSTRUMENTS');
    expect(r.stderr).toContain('instruments[1] (SIMCO): price 5000000 does not fit the wire at priceScale 4');
    expect(r.stderr).toContain('the largest priceScale that fits is 1');
    const none = await runServerExpectingFailure(['--feed', 'none']);
    expect([none.code, none.stderr]).toEqual([78, expect.stringContaining('--feed none needs --instruments FILE')]);
  });
});
