// The accounting module fed a scripted stream of real encoded frames with known injected gaps,
// duplicates, out-of-order ticks, conflation, resets and delays: it must report exactly those.
import { describe, expect, it } from 'vitest';
import { encodeError, encodeHeartbeat, encodeHello, encodeSnapshot, encodeUpdates, type SnapshotBody } from '@tickwire/protocol/codec';
import { TickFlag, type Tick } from '@tickwire/protocol/messages';
import type { EpochMs, PriceTicks, SizeLots } from '@tickwire/protocol/units';
import { MAX_PENDING_PER_SYMBOL, StreamAccounting } from '../src/accounting.js';
import { AccountingSink, zeroCounters, type Counters } from '../src/counters.js';
import { accountPeerMessage } from '../src/adapters/peer-json.js';
import { FastRecorder, newHistogram } from '../src/histogram.js';

const T0 = 1_700_000_000_000;

function tick(symbolId: number, seq: number, eventTimeMs: number, flags = 0): Tick {
  return {
    symbolId,
    seq,
    flags,
    eventTimeMs: eventTimeMs as EpochMs,
    price: 10_000 as PriceTicks,
    size: 1 as SizeLots,
    bid: 9_999 as PriceTicks,
    ask: 10_001 as PriceTicks,
  };
}

function snapshot(symbolId: number, seq: number, epoch: number, sendTimeMs: number): Uint8Array {
  const body: SnapshotBody = {
    symbolId,
    ticker: `S${symbolId}`,
    priceScale: 2,
    sizeScale: 0,
    seq,
    lastTimeMs: sendTimeMs as EpochMs,
    last: 10_000 as PriceTicks,
    lastSize: 1 as SizeLots,
    bid: 9_999 as PriceTicks,
    ask: 10_001 as PriceTicks,
    open: 10_000 as PriceTicks,
    high: 10_000 as PriceTicks,
    low: 10_000 as PriceTicks,
    volume: 0,
    sessionStartMs: T0 as EpochMs,
    candles: [],
  };
  return encodeSnapshot(epoch, sendTimeMs, body);
}

/** Updates frame of `seqs` for one symbol; every tick's event time is `eventAgoMs` before the send time. */
function updates(symbolId: number, seqs: number[], epoch: number, sendTimeMs: number, eventAgoMs = 0, flags = 0): Uint8Array {
  return encodeUpdates(
    epoch,
    sendTimeMs,
    seqs.map((s) => tick(symbolId, s, sendTimeMs - eventAgoMs, flags)),
  );
}

function expectCounters(actual: Counters, expected: Partial<Counters>): void {
  const picked = Object.fromEntries(Object.keys(expected).map((k) => [k, actual[k as keyof Counters]]));
  expect(picked).toEqual(expected);
}

/** HDR keeps 3 significant digits: a recorded value reads back within 0.1 %. */
function expectMs(actualMs: number, expectedMs: number): void {
  expect(Math.abs(actualMs - expectedMs)).toBeLessThanOrEqual(expectedMs * 0.001 + 0.001);
}

describe('StreamAccounting on a scripted Tickwire stream', () => {
  it('reports exactly the injected gaps, duplicates, out-of-order ticks, conflation and resets', () => {
    const sink = new AccountingSink();
    const s = new StreamAccounting(sink);
    const E = 7;
    let t = T0;
    const feed = (frame: Uint8Array, recvDelayMs = 1): void => {
      t += 10;
      expect(s.tickwireFrame(frame, t + recvDelayMs)).toBe(true);
    };
    feed(encodeHello(E, T0, { heartbeatMs: 1000, maxSymbols: 50, sessionId: 'abc', serverId: 'tw' }));
    feed(snapshot(1, 10, E, t));
    feed(snapshot(2, 0, E, t));
    feed(updates(1, [11, 12], E, t + 10)); // in order
    feed(updates(1, [15], E, t + 10)); // gap: 13, 14 missing
    feed(updates(1, [13], E, t + 10)); // late: out of order
    feed(updates(1, [12], E, t + 10)); // duplicate
    feed(updates(1, [15], E, t + 10)); // duplicate
    feed(updates(1, [20], E, t + 10, 0, TickFlag.Conflated)); // announced jump: 16..19 conflated
    feed(updates(1, [14], E, t + 10)); // late: out of order, nothing missing any more
    feed(updates(1, [21, 23, 22], E, t + 10)); // gap of 22 filled in the same frame
    feed(updates(1, [5, 6], E + 1, t + 10)); // epoch change: new baseline at 5, then in order
    feed(snapshot(1, 100, E + 1, t + 10)); // fresh snapshot: new baseline
    feed(updates(1, [101], E + 1, t + 10));
    feed(updates(2, [1, 2, 3, 5], E, t + 10)); // seq 4 of symbol 2 never arrives
    feed(
      encodeHeartbeat(E, t + 10, [
        { symbolId: 1, seq: 101 },
        { symbolId: 2, seq: 5 },
      ]),
    );
    feed(encodeHeartbeat(E, t + 10, [{ symbolId: 2, seq: 7 }])); // 6 and 7 never arrived: tail stall
    feed(encodeError(E, t + 10, 4, 9, 'unknown symbol'));
    t += 10;
    expect(s.tickwireFrame(updates(1, [102], E + 1, t).subarray(0, 30), t)).toBe(false); // truncated
    expect(s.tickwireFrame(new Uint8Array([9, 3, 0, 0]), t)).toBe(false); // garbage

    expectCounters(sink.counters, {
      frames: 20,
      snapshots: 3,
      heartbeats: 2,
      heartbeatAhead: 1,
      errorFrames: 1,
      decodeErrors: 2,
      ticks: 18,
      inOrder: 13,
      missing: 1,
      gapEvents: 3,
      duplicates: 2,
      outOfOrder: 3,
      conflatedTicks: 1,
      conflatedSkipped: 4,
      epochResets: 1,
      snapshotResets: 1,
      baselineTicks: 0,
      negativeLatency: 0,
    });
    sink.flush();
    expect(s.lastSeq(1)).toBe(101);
    expect(s.lastSeq(2)).toBe(5);
    expect(sink.eventLatency.totalCount).toBe(18);
    expect(sink.sendLatency.totalCount).toBe(18);
  });

  it('measures injected delays: receive − event time per tick and receive − send time per frame', () => {
    const sink = new AccountingSink();
    const s = new StreamAccounting(sink);
    s.tickwireFrame(snapshot(3, 0, 1, T0), T0);
    // Ten frames of one tick: the server sends 1 ms after the event, the client receives `d` ms after
    // the send, for d = 1..10 → feed→client 2..11 ms, server→client 1..10 ms.
    for (let d = 1; d <= 10; d++) {
      const send = T0 + 100 * d;
      expect(s.tickwireFrame(updates(3, [d], 1, send, 1), send + d)).toBe(true);
    }
    // One frame of 5 ticks sent 20 ms after their events, received 30 ms after sending: weighted ×5.
    s.tickwireFrame(updates(3, [11, 12, 13, 14, 15], 1, T0 + 5_000, 20), T0 + 5_030);
    sink.flush();
    const ev = sink.eventLatency;
    const snd = sink.sendLatency;
    expect(ev.totalCount).toBe(15);
    expect(snd.totalCount).toBe(15);
    expectMs(ev.minNonZeroValue / 1000, 2);
    expectMs(ev.maxValue / 1000, 50);
    expectMs(ev.getValueAtPercentile(50) / 1000, 9);
    expectMs(snd.maxValue / 1000, 30);
    expectMs(snd.getValueAtPercentile(60) / 1000, 9);
    expect(sink.counters.missing).toBe(0);
  });

  it('counts clock disagreement (negative latency) and clamps it to zero', () => {
    const sink = new AccountingSink();
    const s = new StreamAccounting(sink);
    s.tickwireFrame(snapshot(1, 0, 1, T0), T0);
    s.tickwireFrame(updates(1, [1, 2], 1, T0 + 10, -5), T0 + 8); // events "in the future", received before send
    sink.flush();
    expect(sink.counters.negativeLatency).toBe(4);
    expect(sink.eventLatency.maxValue).toBe(0);
  });

  it('stops recording latency outside the steady window but keeps counting', () => {
    const sink = new AccountingSink();
    sink.recording = false;
    const s = new StreamAccounting(sink);
    s.tickwireFrame(snapshot(1, 0, 1, T0), T0);
    s.tickwireFrame(updates(1, [1, 3], 1, T0 + 10, 1), T0 + 12);
    sink.flush();
    expect(sink.eventLatency.totalCount).toBe(0);
    expectCounters(sink.counters, { ticks: 2, missing: 1, gapEvents: 1 });
  });

  it('remembers a bounded number of missing seqs; older ones stay missing', () => {
    const sink = new AccountingSink();
    const s = new StreamAccounting(sink);
    s.tickwireFrame(snapshot(1, 0, 1, T0), T0);
    const jump = MAX_PENDING_PER_SYMBOL + 100;
    s.tickwireFrame(updates(1, [1, jump + 2], 1, T0), T0);
    expect(sink.counters.missing).toBe(jump);
    s.tickwireFrame(updates(1, [jump + 1], 1, T0), T0); // recent: recognised as late
    s.tickwireFrame(updates(1, [2], 1, T0), T0); // beyond memory: looks like a repeat
    expectCounters(sink.counters, { missing: jump - 1, outOfOrder: 1, duplicates: 1 });
  });

  it('a new StreamAccounting per connection starts without baselines (reconnects are not gaps)', () => {
    const sink = new AccountingSink();
    const first = new StreamAccounting(sink);
    first.tickwireFrame(snapshot(1, 10, 1, T0), T0);
    first.tickwireFrame(updates(1, [11], 1, T0), T0);
    const second = new StreamAccounting(sink);
    second.tickwireFrame(snapshot(1, 50, 1, T0), T0);
    second.tickwireFrame(updates(1, [51], 1, T0), T0);
    expectCounters(sink.counters, { missing: 0, snapshotResets: 0, snapshots: 2, inOrder: 2 });
  });
});

describe('peer JSON accounting', () => {
  it('applies the same rules to JSON ticks (first tick or snapshot sets the baseline)', () => {
    const sink = new AccountingSink();
    const s = new StreamAccounting(sink);
    const ids = new Map([
      ['AAPL', 0],
      ['MSFT', 3],
    ]);
    const tickMsg = (symbol: string, seq: number, send: number) => ({
      symbol,
      seq,
      eventTimeMs: send - 2,
      sendTimeMs: send,
      price: 1,
      size: 1,
      bid: 1,
      ask: 2,
    });
    expect(accountPeerMessage(s, ids, 'snapshot', { symbol: 'AAPL', seq: 4, sendTimeMs: T0 }, T0)).toBe(true);
    for (const seq of [5, 6, 8, 7, 7]) expect(accountPeerMessage(s, ids, 'tick', tickMsg('AAPL', seq, T0 + 10), T0 + 13)).toBe(true);
    for (const seq of [40, 41, 43]) expect(accountPeerMessage(s, ids, 'tick', tickMsg('MSFT', seq, T0 + 10), T0 + 13)).toBe(true);
    expect(accountPeerMessage(s, ids, 'tick', tickMsg('NOPE', 1, T0), T0)).toBe(false);
    expect(accountPeerMessage(s, ids, 'tick', { symbol: 'AAPL' }, T0)).toBe(false);
    expect(accountPeerMessage(s, ids, 'quote', tickMsg('AAPL', 9, T0), T0)).toBe(false);
    // openGaps: AAPL's gap healed when 7 came late; MSFT's (42) is still open.
    const expected: Partial<Counters> = {
      ...zeroCounters(),
      ticks: 8,
      inOrder: 6,
      snapshots: 1,
      missing: 1,
      gapEvents: 2,
      outOfOrder: 1,
      duplicates: 1,
      baselineTicks: 1,
      openGaps: 1,
    };
    delete expected.frames;
    delete expected.bytes;
    expectCounters(sink.counters, expected);
    sink.flush();
    expectMs(sink.eventLatency.maxValue / 1000, 5);
    expectMs(sink.sendLatency.maxValue / 1000, 3);
  });
});

describe('FastRecorder', () => {
  it('files values in exactly the buckets HDR uses, so percentiles read back identically', () => {
    const direct = newHistogram();
    const viaFast = newHistogram();
    const fast = new FastRecorder();
    let x = 12345;
    const values: number[] = [0, 1, 2047, 2048, 2049, 4095, 4096, 1_000_000, 2 ** 31 - 2];
    for (let i = 0; i < 20_000; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      values.push(Math.floor(2 ** ((x / 2 ** 32) * 30))); // log-uniform over 1 µs … 18 min
    }
    for (const v of values) {
      direct.recordValue(v);
      fast.record(v);
    }
    fast.record(7_000, 5);
    direct.recordValueWithCount(7_000, 5);
    fast.flushInto(viaFast);
    expect(fast.total).toBe(0);
    expect(viaFast.totalCount).toBe(direct.totalCount);
    expect(viaFast.maxValue).toBe(direct.maxValue);
    expect(viaFast.minNonZeroValue).toBe(direct.minNonZeroValue);
    for (const p of [1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 100]) {
      expect(viaFast.getValueAtPercentile(p)).toBe(direct.getValueAtPercentile(p));
    }
    for (let i = 0; i < fast.counts.length; i += 97) expect(FastRecorder.valueAt(i)).toBeLessThanOrEqual(FastRecorder.valueAt(i + 1));
  });
});
