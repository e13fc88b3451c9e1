// Fanout's compact twin: built lazily (never when no sink asks), at most once per symbol per batch however
// many sinks ask, equal to the standard frame's ticks; and on the gateway's relay path built from the
// feed's frame with the feed's send time, so every gateway sends identical compact bytes.
import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeCompactUpdates, encodeUpdates } from '@tickwire/protocol/codec';
import { FrameType, type Tick } from '@tickwire/protocol/messages';
import type { EpochMs, PriceTicks, SizeLots } from '@tickwire/protocol/units';
import { Fanout, type CompactFrame, type FrameSink } from '../src/fanout.js';

const instruments = [
  { id: 0, ticker: 'AAA', name: 'A', assetClass: 'equity', priceScale: 2, sizeScale: 0 },
  { id: 1, ticker: 'BBB', name: 'B', assetClass: 'fx', priceScale: 5, sizeScale: 0 },
];

const tick = (symbolId: number, seq: number, price: number): Tick => ({
  symbolId,
  flags: 0,
  seq,
  eventTimeMs: (1_767_225_600_000 + seq) as EpochMs,
  price: price as PriceTicks,
  size: 10 as SizeLots,
  bid: (price - 1) as PriceTicks,
  ask: (price + 1) as PriceTicks,
});

function sink(ask: boolean, out: Array<{ id: number; frame: Uint8Array; compact: Uint8Array | null }>): FrameSink {
  return {
    publish: (id: number, frame: Uint8Array, compact: CompactFrame) => out.push({ id, frame, compact: ask ? compact.get() : null }),
    endOfBatch: () => {},
  };
}

describe('Fanout compact frames', () => {
  it('are built only when asked, once per symbol per batch, with the standard frame ticks', () => {
    const fanout = new Fanout(instruments, 9, 10, 100);
    const a: Array<{ id: number; frame: Uint8Array; compact: Uint8Array | null }> = [];
    const b: typeof a = [];
    fanout.addSink(sink(false, a));
    fanout.ingest(tick(0, 1, 1000));
    fanout.flush(1_767_225_600_050);
    expect(fanout.compact.encoded).toBe(0);
    fanout.addSink(sink(true, a));
    fanout.addSink(sink(true, b));
    fanout.ingest(tick(0, 2, 1001));
    fanout.ingest(tick(1, 1, 108_500));
    fanout.ingest(tick(0, 3, 999));
    fanout.flush(1_767_225_600_070);
    expect(fanout.compact.encoded).toBe(2);
    const asked = a.filter((x) => x.compact !== null);
    expect(asked.map((x) => x.id)).toEqual([0, 1]);
    for (const [i, x] of asked.entries()) {
      expect(b[i]!.compact).toBe(x.compact);
      const standard = decodeFrame(x.frame);
      const compact = decodeFrame(x.compact!);
      expect(compact.ok && compact.value.type).toBe(FrameType.UpdatesCompact);
      if (standard.ok && compact.ok && 'ticks' in standard.value && 'ticks' in compact.value) expect(compact.value.ticks).toEqual(standard.value.ticks);
    }
  });

  it("are built from a relayed feed frame with the feed's send time", () => {
    const fanout = new Fanout(instruments, 9, 10, 100);
    const out: Array<{ id: number; frame: Uint8Array; compact: Uint8Array | null }> = [];
    fanout.addSink(sink(true, out));
    const ticks = [tick(1, 1, 108_500), tick(1, 2, 108_501)];
    const feedFrame = encodeUpdates(9, 1_767_225_600_040, ticks);
    fanout.relay(1, feedFrame);
    fanout.endRelay(1_767_225_600_090);
    expect(out[0]!.frame).toBe(feedFrame);
    expect(out[0]!.compact).toEqual(encodeCompactUpdates(9, 1_767_225_600_040, ticks));
  });
});
