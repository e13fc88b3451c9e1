// Unit tests of the server's market state: candle rings, published symbol state, and the batching
// fan-out (one frame per symbol per window, encoded once, state advanced only on publish).
import { describe, expect, it } from 'vitest';
import { decodeFrame, emptyTick, encodeSnapshot } from '@tickwire/protocol/codec';
import { FrameType, type Tick } from '@tickwire/protocol/messages';
import { CandleRing } from '@tickwire/core/market/candle-ring';
import { Fanout, type FrameSink } from '@tickwire/core/fanout';
import { parseConfig } from '../src/config.js';

const T0 = 1_767_225_600_000;

function tick(symbolId: number, seq: number, timeMs: number, price: number, size = 10): Tick {
  return {
    ...emptyTick(),
    symbolId,
    seq,
    eventTimeMs: timeMs as never,
    price: price as never,
    size: size as never,
    bid: (price - 1) as never,
    ask: (price + 1) as never,
  };
}

describe('CandleRing', () => {
  it('folds trades into OHLCV bars aligned to the interval', () => {
    const ring = new CandleRing(5, 10);
    ring.add(T0 + 100, 100, 1);
    ring.add(T0 + 2000, 105, 2);
    ring.add(T0 + 4999, 98, 3);
    ring.add(T0 + 5000, 101, 4);
    expect(ring.latest(10)).toEqual([
      { time: T0 / 1000, open: 100, high: 105, low: 98, close: 98, volume: 6 },
      { time: T0 / 1000 + 5, open: 101, high: 101, low: 101, close: 101, volume: 4 },
    ]);
  });
  it('keeps only the newest bars once full, oldest first', () => {
    const ring = new CandleRing(1, 3);
    for (let i = 0; i < 7; i++) ring.add(T0 + i * 1000, 100 + i, 1);
    expect(ring.length).toBe(3);
    expect(ring.latest(10).map((c) => c.close)).toEqual([104, 105, 106]);
    expect(ring.latest(2).map((c) => c.close)).toEqual([105, 106]);
  });
  it('folds a late trade into the current bar instead of reopening an old one', () => {
    const ring = new CandleRing(1, 5);
    ring.add(T0 + 2000, 100, 1);
    ring.add(T0 + 500, 90, 1);
    expect(ring.latest(5)).toEqual([{ time: T0 / 1000 + 2, open: 100, high: 100, low: 90, close: 90, volume: 2 }]);
  });
});

describe('Fanout', () => {
  const instruments = [0, 1, 2].map((id) => ({ id, ticker: `S${id}`, name: `S${id}`, assetClass: 'equity', priceScale: 2, sizeScale: 0 }));

  function recordingSink() {
    const frames: Array<{ symbolId: number; frame: Uint8Array }> = [];
    let batches = 0;
    const sink: FrameSink = { publish: (symbolId, frame) => frames.push({ symbolId, frame }), endOfBatch: () => batches++ };
    return { sink, frames, batches: () => batches };
  }

  it('publishes one frame per symbol per batch, in seq order, and nothing for quiet symbols', () => {
    const fanout = new Fanout(instruments, 9, 100);
    const a = recordingSink();
    const b = recordingSink();
    fanout.addSink(a.sink);
    fanout.addSink(b.sink);
    for (let seq = 1; seq <= 40; seq++) fanout.ingest(tick(seq % 2, Math.ceil(seq / 2), T0 + seq, 1000 + seq));
    fanout.flush(T0 + 100);
    expect(a.frames.map((f) => f.symbolId)).toEqual([1, 0]);
    expect(a.batches()).toBe(1);
    // The very same bytes go to every sink: encoded once.
    expect(a.frames[0]!.frame).toBe(b.frames[0]!.frame);
    const decoded = decodeFrame(a.frames[1]!.frame);
    expect(decoded.ok && decoded.value.type === FrameType.Updates && decoded.value.ticks.map((t) => t.seq)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    expect(decoded.ok && decoded.value.epoch).toBe(9);
    expect(decoded.ok && decoded.value.sendTimeMs).toBe(T0 + 100);
    fanout.flush(T0 + 200);
    expect(a.frames).toHaveLength(2);
    expect(fanout.stats).toMatchObject({ ticksIn: 40, batches: 1, frames: 2 });
  });

  it('advances published state only when a batch is published', () => {
    const fanout = new Fanout(instruments, 1, 100);
    fanout.ingest(tick(2, 1, T0, 500, 7));
    fanout.ingest(tick(2, 2, T0 + 10, 520, 3));
    expect(fanout.states[2]!.seq).toBe(0);
    fanout.flush(T0 + 20);
    const snap = fanout.states[2]!.snapshot(10);
    expect(snap).toMatchObject({ seq: 2, last: 520, lastSize: 3, open: 500, high: 520, low: 500, volume: 10, sessionStartMs: T0, bid: 519, ask: 521 });
    expect(snap.candles.map((s) => s.intervalSec)).toEqual([1, 5, 60, 300]);
    expect(snap.candles[0]!.candles).toEqual([{ time: T0 / 1000, open: 500, high: 520, low: 500, close: 520, volume: 10 }]);
    expect(() => encodeSnapshot(1, T0, snap)).not.toThrow();
    expect(fanout.states[2]!.snapshot(0).candles).toEqual([]);
  });

  it('copies ticks on ingest (the feed reuses its tick object)', () => {
    const fanout = new Fanout(instruments, 1, 10);
    const { sink, frames } = recordingSink();
    fanout.addSink(sink);
    const scratch = tick(0, 1, T0, 100);
    fanout.ingest(scratch);
    scratch.seq = 2;
    scratch.price = 200 as never;
    fanout.ingest(scratch);
    fanout.flush(T0);
    const d = decodeFrame(frames[0]!.frame);
    expect(d.ok && d.value.type === FrameType.Updates && d.value.ticks.map((t) => [t.seq, t.price])).toEqual([
      [1, 100],
      [2, 200],
    ]);
  });

  it('grows pending buffers for bursts and ignores unknown symbol ids', () => {
    const fanout = new Fanout(instruments, 1, 10);
    const { sink, frames } = recordingSink();
    fanout.addSink(sink);
    for (let i = 1; i <= 5000; i++) fanout.ingest(tick(0, i, T0 + i, 100));
    fanout.ingest(tick(99, 1, T0, 100));
    fanout.flush(T0 + 6000);
    const d = decodeFrame(frames[0]!.frame);
    expect(d.ok && d.value.type === FrameType.Updates && d.value.ticks.length).toBe(5000);
    expect(frames).toHaveLength(1);
  });

  it('resets seq state on an epoch change', () => {
    const fanout = new Fanout(instruments, 1, 10);
    fanout.ingest(tick(0, 5, T0, 100));
    fanout.flush(T0);
    fanout.setEpoch(2);
    expect(fanout.epoch).toBe(2);
    expect(fanout.states[0]!.seq).toBe(0);
  });
});

describe('parseConfig', () => {
  it('takes defaults, flags, and environment (flags win)', () => {
    expect(parseConfig([], {})).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      symbols: 50,
      tickRate: 1000,
      batchMs: 20,
      transports: ['ws', 'sse', 'stream', 'poll'],
    });
    expect(parseConfig(['--port', '9000'], { TICKWIRE_PORT: '7000', TICKWIRE_TICK_RATE: '250' })).toMatchObject({ port: 9000, tickRate: 250 });
    expect(parseConfig(['--transports', 'sse'], {})).toMatchObject({ transports: ['sse'] });
  });
  it('names the bad setting', () => {
    expect(() => parseConfig(['--batch-ms', '0'], {})).toThrow(/--batch-ms.*integer from 1 to 1000/);
    expect(() => parseConfig([], { TICKWIRE_SEED: '1.5' })).toThrow(/seed/);
    expect(() => parseConfig(['--host', 'a b'], {})).toThrow(/not a host/);
    expect(() => parseConfig(['--heartbeat-ms', '100', '--batch-ms', '200'], {})).toThrow(/shorter than --batch-ms/);
    expect(() => parseConfig(['--market-time', '2026-01-06T15:00:00'], {})).toThrow(/--market-time.*ISO 8601 time with a zone/);
    expect(() => parseConfig(['--market-time', 'tuesday'], {})).toThrow(/--market-time/);
  });
  it('--market-time shifts the simulated calendar from now to that time', () => {
    expect(parseConfig([], {}).calendarShiftMs).toBe(0);
    const target = Date.UTC(2026, 0, 6, 15, 0);
    const before = Date.now();
    const shift = parseConfig(['--market-time', '2026-01-06T15:00:00Z'], {}).calendarShiftMs;
    expect(shift).toBeLessThanOrEqual(target - before);
    expect(shift).toBeGreaterThan(target - before - 5_000);
    expect(parseConfig([], { TICKWIRE_MARKET_TIME: '2026-01-06T16:00:00+01:00' }).calendarShiftMs).toBeLessThanOrEqual(target - before);
  });
});
