// The WebSocket ingest door against a real server, with the `ws` package as the producer: the Bearer
// credential on the upgrade, NDJSON text and 32-byte binary batches acked per message, the bad-input
// matrix with its /metrics counters while the other symbols keep flowing, and the bounds: oversized
// message (1009), torn records, full queue, producer rate, a producer cut off mid-message, the cap on
// producer connections (503 on the upgrade) and a producer that does not read its acks (1008).
import { connect as tcpConnect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { controlText } from '@tickwire/protocol/control';
import { tradeRecords, type IngestAnswer } from '@tickwire/protocol/ingest-wire';
import { FrameType } from '@tickwire/protocol/messages';
import { Route } from '@tickwire/protocol/routes';
import { MAX_INGEST_CONNECTIONS, MAX_UNREAD_ACK_BYTES } from '../src/ingest-ws.js';
import type { TickwireServer } from '../src/server.js';
import { ACME, BAD_INPUTS, BAD_RECORDS, BETA, SIMCO, good, ingestInstrumentFile, ndjson } from './bad-inputs.js';
import { connectWs, readCounter, startServer, waitFor, type WsClient } from './harness.js';

const TOKEN = 'ingest-ws-secret-0123456789';
const FILE = ingestInstrumentFile();

interface Producer {
  ws: WebSocket;
  answers: IngestAnswer[];
  closed: Promise<{ code: number; reason: string }>;
  /** Sends one batch and waits for its answer. */
  batch(data: string | Uint8Array): Promise<IngestAnswer>;
}

function ingestUrl(base: string): string {
  return `${base.replace(/^http/, 'ws')}${Route.ingestWs}`;
}

async function producer(base: string, token = TOKEN): Promise<Producer> {
  const ws = new WebSocket(ingestUrl(base), { headers: { authorization: `Bearer ${token}` } });
  const answers: IngestAnswer[] = [];
  ws.on('message', (data: Buffer) => answers.push(JSON.parse(data.toString()) as IngestAnswer));
  const closed = new Promise<{ code: number; reason: string }>((r) => ws.once('close', (code, reason) => r({ code, reason: reason.toString() })));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let sent = 0;
  return {
    ws,
    answers,
    closed,
    async batch(data) {
      const n = ++sent;
      ws.send(data, { binary: typeof data !== 'string' });
      return waitFor(() => answers.find((a) => a.batch === n), { what: `answer to batch ${n}` });
    },
  };
}

/** The HTTP status of a refused upgrade. */
function upgradeStatus(base: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(ingestUrl(base), { headers });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('open', () => reject(new Error('upgrade was accepted')));
    ws.once('error', () => {});
  });
}

function ticksOf(c: WsClient, symbolId: number) {
  return c
    .of(FrameType.Updates)
    .flatMap((r) => r.frame.ticks)
    .filter((t) => t.symbolId === symbolId);
}

describe('WebSocket ingest door', () => {
  let server: TickwireServer;
  let base: string;
  let viewer: WsClient;

  beforeAll(async () => {
    server = await startServer({ instruments: FILE, ingestToken: TOKEN, tickRate: 300, batchMs: 10, ingestMaxBody: 16 * 1024 });
    base = server.url;
    viewer = await connectWs(base);
    viewer.send(controlText('subscribe', ['ACME', 'BETA', 'SIMCO'], { id: 1, history: 0 }));
    await viewer.waitFor(FrameType.Ack);
  });
  afterAll(async () => {
    viewer?.close();
    await server?.close();
  });

  it('opens only with the ingest Bearer token on the upgrade', async () => {
    expect(await upgradeStatus(base, {})).toBe(401);
    expect(await upgradeStatus(base, { authorization: 'Bearer not-the-token-at-all' })).toBe(401);
    expect(await upgradeStatus(base, { authorization: TOKEN })).toBe(401);
    expect(await readCounter(base, 'tickwire_refusals_total', { reason: 'IngestAuth' })).toBeGreaterThanOrEqual(3);
  });

  it('acks NDJSON and binary batches, and clients get the trades with continuous seq and exact units', async () => {
    const p = await producer(base);
    const t0 = Date.now() - 60_000;
    const text = await p.batch(ndjson([1, 2, 3].map((i) => ({ ticker: 'ACME', price: `10${i}.25`, size: String(i), ts: t0 + i, id: `w-${i}` }))));
    expect(text).toEqual({ type: 'ack', batch: 1, accepted: 3, rejected: 0, reasons: {}, errors: [] });
    const bin = await p.batch(
      tradeRecords([
        { symbolId: ACME, price: 10_450, size: 4, ts: t0 + 10, id: 4 },
        { symbolId: ACME, price: 10_460, size: 5, ts: t0 + 11, id: 5, bid: 10_455, ask: 10_465 },
        { symbolId: BETA, price: 2905, size: 29, ts: t0 + 12 },
      ]),
    );
    expect(bin).toEqual({ type: 'ack', batch: 2, accepted: 3, rejected: 0, reasons: {}, errors: [] });
    await waitFor(() => ticksOf(viewer, ACME).length >= 5 && ticksOf(viewer, BETA).length >= 1, { what: 'ingested ticks' });
    expect(ticksOf(viewer, ACME).map((t) => [t.seq, t.eventTimeMs, t.price, t.size, t.bid, t.ask])).toEqual([
      [1, t0 + 1, 10_125, 1, 10_125, 10_125],
      [2, t0 + 2, 10_225, 2, 10_225, 10_225],
      [3, t0 + 3, 10_325, 3, 10_325, 10_325],
      [4, t0 + 10, 10_450, 4, 10_450, 10_450],
      [5, t0 + 11, 10_460, 5, 10_455, 10_465],
    ]);
    expect(ticksOf(viewer, BETA).map((t) => [t.seq, t.price, t.size])).toEqual([[1, 2905, 29]]);
    p.ws.close();
  });

  const matrix = [
    ...BAD_INPUTS.map(({ what, reason, lines }) => ({ what, reason, data: ndjson(lines) as string | Uint8Array, count: lines.length })),
    ...BAD_RECORDS.map(({ what, reason, records }) => ({ what, reason, data: tradeRecords(records), count: records.length })),
  ];
  it.each(matrix)('$what: rejected as $reason, counted, nothing applied of it, other symbols flowing', async ({ reason, data, count }) => {
    const p = await producer(base);
    const before = await readCounter(base, 'tickwire_ingest_trades_rejected_total', { reason });
    const seq = server.fanout.states[ACME]!.seq;
    const simSeq = server.fanout.states[SIMCO]!.seq;
    const answer = await p.batch(data);
    // The setup lines before the bad one (the last) are applied; the bad one is not.
    expect(answer).toMatchObject({ type: 'ack', accepted: count - 1, rejected: 1, reasons: { [reason]: 1 } });
    expect(answer.type === 'ack' && answer.errors[0]).toMatchObject({ line: count, reason });
    expect(await readCounter(base, 'tickwire_ingest_trades_rejected_total', { reason })).toBe(before + 1);
    await waitFor(() => server.fanout.states[ACME]!.seq === seq + count - 1, { what: 'the setup lines applied' });
    await waitFor(() => server.fanout.states[SIMCO]!.seq > simSeq, { what: 'SIMCO still ticking' });
    // The door stays open after a rejection: the next good trade goes through.
    const next = await p.batch(ndjson([good()]));
    expect(next).toMatchObject({ type: 'ack', accepted: 1, rejected: 0 });
    p.ws.close();
  });

  it('refuses a torn binary batch whole and keeps the connection', async () => {
    const p = await producer(base);
    const seq = server.fanout.states[ACME]!.seq;
    const torn = tradeRecords([{ symbolId: ACME, price: 10_100, size: 1 }]).subarray(0, 31);
    expect(await p.batch(torn)).toMatchObject({ type: 'refused', batch: 1, error: { name: 'IngestBadRecords' } });
    expect(server.fanout.states[ACME]!.seq).toBe(seq);
    expect(await p.batch(ndjson([good()]))).toMatchObject({ type: 'ack', accepted: 1 });
    p.ws.close();
  });

  it('refuses an oversized message with a reason, applies nothing of it, and closes with 1009', async () => {
    const p = await producer(base);
    const seq = server.fanout.states[ACME]!.seq;
    const before = await readCounter(base, 'tickwire_refusals_total', { reason: 'BodyTooLarge' });
    const big = ndjson(Array.from({ length: 400 }, () => good()));
    expect(big.length).toBeGreaterThan(16 * 1024);
    expect(await p.batch(big)).toMatchObject({ type: 'refused', error: { name: 'BodyTooLarge' } });
    expect((await p.closed).code).toBe(1009);
    expect(server.fanout.states[ACME]!.seq).toBe(seq);
    expect(await readCounter(base, 'tickwire_refusals_total', { reason: 'BodyTooLarge' })).toBe(before + 1);
  });

  it('applies nothing of a message cut off mid-frame', async () => {
    const seq = server.fanout.states[ACME]!.seq;
    const payload = Buffer.from(ndjson(Array.from({ length: 20 }, () => good())));
    const { port } = new URL(base);
    const socket = tcpConnect(Number(port), '127.0.0.1');
    await new Promise<void>((r) => socket.once('connect', () => r()));
    socket.write(
      `GET ${Route.ingestWs} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`,
    );
    const upgraded = await new Promise<string>((r) => socket.once('data', (d: Buffer) => r(d.toString())));
    expect(upgraded).toMatch(/^HTTP\/1\.1 101/);
    // A masked text frame announcing the whole payload (16-bit length), then only its first half.
    const header = Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 0xff, 0, 0, 0, 0]);
    socket.write(Buffer.concat([header, payload.subarray(0, payload.length >> 1)]));
    await new Promise((r) => setTimeout(r, 50));
    socket.destroy();
    await new Promise((r) => setTimeout(r, 50));
    expect(server.fanout.states[ACME]!.seq).toBe(seq);
    // And the server is fine: a new producer's batch applies.
    const p = await producer(base);
    expect(await p.batch(ndjson([good()]))).toMatchObject({ type: 'ack', accepted: 1 });
    p.ws.close();
  });

  it('counts batches by outcome in /metrics', async () => {
    expect(await readCounter(base, 'tickwire_ingest_batches_total', { door: 'ws', outcome: 'applied' })).toBeGreaterThanOrEqual(12);
    expect(await readCounter(base, 'tickwire_ingest_batches_total', { door: 'ws', outcome: 'refused' })).toBeGreaterThanOrEqual(2);
  });
});

describe('WebSocket ingest door under load limits', () => {
  let server: TickwireServer;
  beforeAll(async () => {
    server = await startServer({ instruments: FILE, ingestToken: TOKEN, tickRate: 100, batchMs: 10, ingestQueue: 300, ingestRate: 100 });
  });
  afterAll(async () => {
    await server?.close();
  });
  const lines = (n: number) => ndjson(Array.from({ length: n }, () => ({ ticker: 'ACME', price: '1.00', size: '1' })));

  it('refuses a batch larger than the queue room whole (IngestQueueFull, retry after a window), then one over the rate (IngestRateLimited)', async () => {
    const p = await producer(server.url);
    expect(await p.batch(lines(301))).toMatchObject({ type: 'refused', batch: 1, error: { name: 'IngestQueueFull' }, retryAfterMs: 10 });
    expect(server.fanout.states[ACME]!.seq).toBe(0);
    // The burst is 2 s of the rate (200): this batch is admitted and puts the producer 50 into debt…
    expect(await p.batch(lines(250))).toMatchObject({ type: 'ack', accepted: 250 });
    // …so the next is refused with the wait until the budget is back.
    const refused = await p.batch(lines(1));
    expect(refused).toMatchObject({ type: 'refused', batch: 3, error: { name: 'IngestRateLimited' } });
    expect(refused.type === 'refused' && refused.retryAfterMs).toBeGreaterThan(400);
    expect(await readCounter(server.url, 'tickwire_refusals_total', { reason: 'IngestRateLimited' })).toBe(1);
    expect(await readCounter(server.url, 'tickwire_refusals_total', { reason: 'IngestQueueFull' })).toBe(1);
    await waitFor(() => server.fanout.states[ACME]!.seq === 250, { what: '250 applied' });
    p.ws.close();
  });
});

describe('WebSocket ingest door guards', () => {
  let server: TickwireServer;
  let viewer: WsClient;
  beforeAll(async () => {
    // A rate far above what the tests send: only the guards under test refuse anything.
    server = await startServer({ instruments: FILE, ingestToken: TOKEN, tickRate: 300, batchMs: 10, ingestRate: 10_000_000, ingestQueue: 1_000_000 });
    viewer = await connectWs(server.url);
    viewer.send(controlText('subscribe', ['ACME', 'SIMCO'], { id: 1, history: 0 }));
    await viewer.waitFor(FrameType.Ack);
  });
  afterAll(async () => {
    viewer?.close();
    await server?.close();
  });

  /** A well-behaved producer's trade is applied and SIMCO (simulated) keeps ticking: the guard hit only its producer. */
  async function othersKeepFlowing(id: string): Promise<void> {
    const p = await producer(server.url);
    const simSeq = server.fanout.states[SIMCO]!.seq;
    expect(await p.batch(ndjson([{ ticker: 'ACME', price: '101.00', size: '1', id }]))).toMatchObject({ type: 'ack', accepted: 1 });
    await waitFor(() => ticksOf(viewer, ACME).some((t) => t.seq === server.fanout.states[ACME]!.seq), { what: "the good producer's ACME trade at the viewer" });
    await waitFor(() => server.fanout.states[SIMCO]!.seq > simSeq, { what: 'SIMCO still ticking' });
    p.ws.close();
    await p.closed;
  }

  it(`refuses upgrade ${MAX_INGEST_CONNECTIONS + 1} with 503 IngestBusy while ${MAX_INGEST_CONNECTIONS} producers are open, and takes one again when a slot frees`, async () => {
    const open = await Promise.all(Array.from({ length: MAX_INGEST_CONNECTIONS }, () => producer(server.url)));
    try {
      expect(await upgradeStatus(server.url, { authorization: `Bearer ${TOKEN}` })).toBe(503);
      expect(await readCounter(server.url, 'tickwire_refusals_total', { reason: 'IngestBusy' })).toBe(1);
      // The open producers are served as before.
      expect(await open[0]!.batch(ndjson([{ ticker: 'ACME', price: '100.00', size: '1', id: 'cap-0' }]))).toMatchObject({ type: 'ack', accepted: 1 });
      const last = open.pop()!;
      last.ws.close();
      await last.closed;
      await othersKeepFlowing('cap-1');
    } finally {
      for (const p of open) p.ws.close();
      await Promise.all(open.map((p) => p.closed));
    }
  });

  it(`closes a producer that leaves over ${MAX_UNREAD_ACK_BYTES} bytes of acks unread with 1008, counted, others untouched`, async () => {
    const p = await producer(server.url);
    // Stop reading: the kernel's buffers fill first, then the server's backlog of acks for this producer.
    p.ws.pause();
    // Each batch answers ~2 KB (twenty rejected lines, each with its message), and applies nothing.
    const batch = ndjson(Array.from({ length: 20 }, (_, i) => ({ ticker: `NOPE-${'X'.repeat(30)}-${i}`, price: '1.00', size: '1' })));
    const counted = () => readCounter(server.url, 'tickwire_slow_consumer_disconnects_total', { transport: 'ingest-ws' });
    let sent = 0;
    // Bounded: 64 MiB of acks is twice what the loopback buffers here can hold at most.
    for (let round = 0; round < 320 && (await counted()) === 0; round++) {
      for (let i = 0; i < 100; i++) p.ws.send(batch);
      sent += 100;
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(await counted()).toBe(1);
    p.ws.resume();
    expect(await p.closed).toMatchObject({ code: 1008, reason: expect.stringContaining('acks unread') });
    // It got acks for part of what it sent, each one whole, then the close.
    expect(p.answers.length).toBeGreaterThan(0);
    expect(p.answers.length).toBeLessThan(sent);
    expect(p.answers.every((a) => a.type === 'ack' && a.rejected === 20)).toBe(true);
    await othersKeepFlowing('backlog-1');
  }, 30_000);
});

describe('WebSocket ingest door when ingest is off', () => {
  it('does not exist (404)', async () => {
    const server = await startServer({ instruments: FILE, tickRate: 100 });
    try {
      expect(await upgradeStatus(server.url, { authorization: `Bearer ${TOKEN}` })).toBe(404);
    } finally {
      await server.close();
    }
  });
});
