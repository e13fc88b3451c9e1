// The NATS ingest door with a real nats-server: the feed process (runFeed, in-process, on a real NATS
// connection) runs instruments from a file, a producer publishes trades (NDJSON and 32-byte records, plain
// and as requests that get the ack), and a gateway's WebSocket client receives them with continuous seq and
// exact prices, and a late client's snapshot carries candles computed here from the trades; the shared
// bad-input matrix (bad-inputs.ts) answered, counted and leaving SIMCO ticking; a message cut mid-payload
// applies nothing. A feed restart with the same file keeps every id: the meta lists the same ids and new
// trades arrive under them.
import { connect as tcpConnect } from 'node:net';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlText } from '@tickwire/protocol/control';
import { tradeRecords, type IngestAnswer } from '@tickwire/protocol/ingest-wire';
import { FrameType } from '@tickwire/protocol/messages';
import { createLogger } from '@tickwire/core/log';
import { connectNatsBus, type Bus } from '@tickwire/core/nats/bus';
import { INGEST_JSON_SUBJECT, INGEST_RECORDS_SUBJECT, META_SUBJECT, parseFeedMeta } from '@tickwire/core/nats/subjects';
import { parseFeedConfig, runFeed, type RunningFeed } from '../src/nats/feed-process.js';
import type { TickwireServer } from '../src/server.js';
import { ACME, BAD_INPUTS, BAD_RECORDS, SIMCO, good, ingestInstrumentFile, ndjson as ndjsonText } from './bad-inputs.js';
import { bars } from './expected-candles.js';
import { connectWs, startServer, waitFor, type WsClient } from './harness.js';
import { startNats, type NatsServer } from './nats-harness.js';

const silent = createLogger('silent');
const FILE = ingestInstrumentFile();

let nats: NatsServer;
let producer: NatsConnection;
let bus: Bus;
let feed: RunningFeed;
let gateway: TickwireServer;

async function startFeedInProcess(): Promise<void> {
  bus = await connectNatsBus({ servers: nats.url, name: 'nats-ingest-feed', log: silent });
  feed = await runFeed(
    parseFeedConfig(['--nats', nats.url, '--instruments', FILE, '--batch-ms', '10', '--warmup', '5', '--tick-rate', '200', '--ingest-queue', '1000'], {}),
    bus,
    silent,
  );
  // The feed's subscriptions (meta, snapshots, ingest) are at the server before a test asks: no "no responders".
  await bus.flush();
}
async function stopFeed(): Promise<void> {
  await feed.close();
  await bus.close();
}

const enc = new TextEncoder();
const ndjson = (lines: unknown[]) => enc.encode(ndjsonText(lines));
async function request(subject: string, data: Uint8Array): Promise<IngestAnswer> {
  const msg = await producer.request(subject, data, { timeout: 3000 });
  return JSON.parse(new TextDecoder().decode(msg.data)) as IngestAnswer;
}

function ticksOf(c: WsClient, symbolId: number) {
  return c
    .of(FrameType.Updates)
    .flatMap((r) => r.frame.ticks)
    .filter((t) => t.symbolId === symbolId);
}

beforeAll(async () => {
  nats = await startNats();
  producer = await connect({ servers: nats.url, name: 'nats-ingest-producer' });
  await startFeedInProcess();
  gateway = await startServer({ nats: nats.url });
}, 30_000);

afterAll(async () => {
  await gateway?.close();
  await stopFeed().catch(() => {});
  await producer?.close();
  await nats?.stop();
}, 30_000);

describe('NATS ingest door', () => {
  const t0 = Math.floor((Date.now() - 120_000) / 5000) * 5000;
  const trades = Array.from({ length: 30 }, (_, i) => ({ ts: t0 + i * 900, price: 10_000 + ((i * 37) % 40) * 5, size: 1 + ((i * 7) % 11) }));

  it('takes JSON and binary batches, acks requests, and a gateway client gets continuous seq, exact prices and candles', async () => {
    const viewer = await connectWs(gateway.url);
    viewer.send(controlText('subscribe', ['ACME', 'SIMCO'], { id: 1, history: 0 }));
    await viewer.waitFor(FrameType.Ack);

    // The first ten as a plain publish (no ack), the next ten as a JSON request, the last ten as records.
    const json = (from: number, to: number) =>
      ndjson(trades.slice(from, to).map((t, k) => ({ ticker: 'ACME', price: (t.price / 100).toFixed(2), size: String(t.size), ts: t.ts, id: from + k + 1 })));
    producer.publish(INGEST_JSON_SUBJECT, json(0, 10));
    expect(await request(INGEST_JSON_SUBJECT, json(10, 20))).toEqual({ type: 'ack', batch: 0, accepted: 10, rejected: 0, reasons: {}, errors: [] });
    const records = tradeRecords(trades.slice(20).map((t, k) => ({ symbolId: 0, price: t.price, size: t.size, ts: t.ts, id: 21 + k })));
    expect(await request(INGEST_RECORDS_SUBJECT, records)).toMatchObject({ type: 'ack', accepted: 10, rejected: 0 });

    await waitFor(() => ticksOf(viewer, 0).length >= 30, { what: '30 ACME ticks through the gateway', timeoutMs: 10_000 });
    expect(ticksOf(viewer, 0).map((t) => t.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(ticksOf(viewer, 0).map((t) => [t.eventTimeMs, t.price, t.size])).toEqual(trades.map((t) => [t.ts, t.price, t.size]));
    // The simulated instrument of the same file kept flowing.
    expect(ticksOf(viewer, 2).length).toBeGreaterThan(0);
    viewer.close();

    const late = await connectWs(gateway.url);
    late.send(controlText('subscribe', ['ACME'], { id: 2, history: 100 }));
    const { frame: snap } = await late.waitFor(FrameType.Snapshot);
    late.close();
    expect(snap).toMatchObject({ seq: 30, last: trades.at(-1)!.price, volume: trades.reduce((s, t) => s + t.size, 0) });
    for (const interval of [1, 5, 60]) {
      expect(snap.candles.find((c) => c.intervalSec === interval)?.candles, `${interval} s bars`).toEqual(bars(trades, interval));
    }
  });

  it('answers bad trades with reasons, refuses torn records and over-queue batches whole, and counts them', async () => {
    const seq = feed.core.fanout.states[0]!.seq;
    const r = await request(
      INGEST_JSON_SUBJECT,
      enc.encode(
        ['{"ticker":"ACME",', JSON.stringify({ ticker: 'NOPE', price: '1', size: '1' }), JSON.stringify({ ticker: 'ACME', price: '1', size: '1', id: 5 })].join(
          '\n',
        ),
      ),
    );
    expect(r).toMatchObject({ type: 'ack', accepted: 0, rejected: 3, reasons: { bad_json: 1, unknown_ticker: 1, duplicate_id: 1 } });
    expect(await request(INGEST_RECORDS_SUBJECT, new Uint8Array(33))).toMatchObject({ type: 'refused', error: { name: 'IngestBadRecords' } });
    const many = tradeRecords(Array.from({ length: 1001 }, () => ({ symbolId: 1, price: 100, size: 1 })));
    expect(await request(INGEST_RECORDS_SUBJECT, many)).toMatchObject({ type: 'refused', error: { name: 'IngestQueueFull' }, retryAfterMs: 10 });
    expect(feed.core.fanout.states[0]!.seq).toBe(seq);
    expect(feed.core.fanout.states[1]!.seq).toBe(0);
    expect(feed.ingest).toMatchObject({ refused: { IngestBadRecords: 1, IngestQueueFull: 1 }, rejected: { bad_json: 1, unknown_ticker: 1, duplicate_id: 1 } });
  });

  const matrix = [
    ...BAD_INPUTS.map(({ what, reason, lines }) => ({ what, reason, subject: INGEST_JSON_SUBJECT, data: ndjson(lines), count: lines.length })),
    ...BAD_RECORDS.map(({ what, reason, records }) => ({ what, reason, subject: INGEST_RECORDS_SUBJECT, data: tradeRecords(records), count: records.length })),
  ];
  it.each(matrix)('$what: answered as $reason, counted, nothing applied of it, other symbols flowing', async ({ reason, subject, data, count }) => {
    const counted = feed.ingest!.rejected[reason] ?? 0;
    const seq = feed.core.fanout.states[ACME]!.seq;
    const simSeq = feed.core.fanout.states[SIMCO]!.seq;
    const answer = await request(subject, data);
    // The setup lines before the bad one (the last) are applied; the bad one is not.
    expect(answer).toMatchObject({ type: 'ack', accepted: count - 1, rejected: 1, reasons: { [reason]: 1 } });
    expect(answer.type === 'ack' && answer.errors[0]).toMatchObject({ line: count, reason });
    expect(feed.ingest!.rejected[reason]).toBe(counted + 1);
    await waitFor(() => feed.core.fanout.states[ACME]!.seq === seq + count - 1, { what: 'the setup lines applied' });
    await waitFor(() => feed.core.fanout.states[SIMCO]!.seq > simSeq, { what: 'SIMCO still ticking' });
  });

  it('applies nothing of a message whose producer disconnected mid-payload', async () => {
    const seq = feed.core.fanout.states[ACME]!.seq;
    const payload = ndjsonText(Array.from({ length: 20 }, (_, i) => good({ id: `cut-${i}` })));
    // A raw NATS client: the PUB announces the whole payload, half of it is sent, then the connection goes.
    const socket = tcpConnect(nats.port, '127.0.0.1');
    await new Promise<void>((r) => socket.once('data', () => r()));
    socket.write(`CONNECT {"verbose":false,"pedantic":false}\r\nPUB ${INGEST_JSON_SUBJECT} ${payload.length}\r\n${payload.slice(0, payload.length >> 1)}`);
    await new Promise((r) => setTimeout(r, 50));
    socket.destroy();
    // The next producer's batch is applied, and it alone: none of the cut message's lines arrived.
    expect(await request(INGEST_JSON_SUBJECT, ndjson([good({ id: 'after-cut' })]))).toMatchObject({ accepted: 1 });
    await waitFor(() => feed.core.fanout.states[ACME]!.seq >= seq + 1, { what: 'the next batch applied' });
    expect(feed.core.fanout.states[ACME]!.seq).toBe(seq + 1);
    // And the cut lines' ids were never seen: resent whole, they are applied.
    expect(await request(INGEST_JSON_SUBJECT, enc.encode(payload))).toMatchObject({ accepted: 20, rejected: 0 });
  });

  it('keeps every id across a feed restart with the same file', async () => {
    const metaBefore = parseFeedMeta((await producer.request(META_SUBJECT, new Uint8Array(0), { timeout: 3000 })).data)!;
    const epochBefore = feed.epoch;
    await stopFeed();
    await startFeedInProcess();
    expect(feed.epoch).not.toBe(epochBefore);
    const metaAfter = parseFeedMeta((await producer.request(META_SUBJECT, new Uint8Array(0), { timeout: 3000 })).data)!;
    expect(metaAfter.symbols).toEqual(metaBefore.symbols);
    expect(metaAfter.symbols.map((s) => [s.id, s.ticker])).toEqual([
      [0, 'ACME'],
      [1, 'BETA'],
      [2, 'SIMCO'],
    ]);
    // The gateway follows the new epoch; a trade for BETA arrives under id 1.
    await waitFor(() => gateway.fanout.epoch === feed.epoch, { what: 'gateway on the new epoch', timeoutMs: 10_000 });
    const viewer = await connectWs(gateway.url);
    viewer.send(controlText('subscribe', ['BETA'], { id: 1, history: 0 }));
    await viewer.waitFor(FrameType.Ack);
    expect(await request(INGEST_JSON_SUBJECT, ndjson([{ ticker: 'BETA', price: '2.9050', size: '0.29' }]))).toMatchObject({ accepted: 1 });
    await waitFor(() => ticksOf(viewer, 1).length >= 1, { what: 'BETA after the restart', timeoutMs: 10_000 });
    expect(ticksOf(viewer, 1).map((t) => [t.symbolId, t.seq, t.price, t.size])).toEqual([[1, 1, 29_050, 29]]);
    viewer.close();
  });
});
