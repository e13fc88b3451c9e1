// Wire records as numbers in the instrument's own units, for users who want prices rather than integer
// ticks: every conversion goes through protocol's units.ts (the one place that scales). Built only when
// someone listens to 'ticks' or 'snapshot'; hot paths take the raw records ('record' event) instead.
import type { FrameHeader, SnapshotFrame, Tick } from '@tickwire/protocol/messages';
import { TickFlag } from '@tickwire/protocol/messages';
import { ticksToNumber } from '@tickwire/protocol/units';

/** What the client knows of a subscribed symbol's units (from its snapshot). */
export interface Scales {
  ticker: string;
  priceScale: number;
  sizeScale: number;
}

/** One trade with the quote after it, in the instrument's units. */
export interface PriceTick {
  ticker: string;
  symbolId: number;
  seq: number;
  /** Feed event time, epoch ms. */
  timeMs: number;
  price: number;
  size: number;
  bid: number;
  ask: number;
  /** A conflated record: the latest state after ticks skipped on purpose (the seq may jump; not a gap). */
  conflated: boolean;
  /** When the server sent the frame, epoch ms (latency = now − sendTimeMs). */
  sendTimeMs: number;
}

export interface PriceBar {
  /** Bar start, UTC seconds. */
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/** A snapshot: the symbol's full current state, after which its ticks continue at `seq + 1`. */
export interface SnapshotEvent {
  ticker: string;
  symbolId: number;
  epoch: number;
  seq: number;
  priceScale: number;
  sizeScale: number;
  last: number;
  lastSize: number;
  /** Time of the last trade, epoch ms. */
  lastTimeMs: number;
  bid: number;
  ask: number;
  open: number;
  high: number;
  low: number;
  volume: number;
  /** Candles per interval (seconds → bars, oldest first). */
  candles: ReadonlyMap<number, readonly PriceBar[]>;
  /** It replaces state voided by a gap or an epoch change (a repair), rather than a first load. */
  repaired: boolean;
  /** The feed epoch changed since this symbol's previous snapshot: seqs restarted, drop trade history. */
  epochChanged: boolean;
  /** The frame as decoded, integers on the wire scale. */
  raw: SnapshotFrame;
}

export function decodeTick(record: Readonly<Tick>, scales: Scales, header: FrameHeader): PriceTick {
  return {
    ticker: scales.ticker,
    symbolId: record.symbolId,
    seq: record.seq,
    timeMs: record.eventTimeMs,
    price: ticksToNumber(record.price, scales.priceScale),
    size: ticksToNumber(record.size, scales.sizeScale),
    bid: ticksToNumber(record.bid, scales.priceScale),
    ask: ticksToNumber(record.ask, scales.priceScale),
    conflated: (record.flags & TickFlag.Conflated) !== 0,
    sendTimeMs: header.sendTimeMs,
  };
}

export function decodeSnapshot(snap: SnapshotFrame, how: { repaired: boolean; epochChanged: boolean }): SnapshotEvent {
  const p = (v: number) => ticksToNumber(v, snap.priceScale);
  const candles = new Map<number, PriceBar[]>();
  for (const series of snap.candles) {
    candles.set(
      series.intervalSec,
      series.candles.map((c) => ({
        time: c.time,
        open: p(c.open),
        high: p(c.high),
        low: p(c.low),
        close: p(c.close),
        volume: ticksToNumber(c.volume, snap.sizeScale),
      })),
    );
  }
  return {
    ticker: snap.ticker,
    symbolId: snap.symbolId,
    epoch: snap.epoch,
    seq: snap.seq,
    priceScale: snap.priceScale,
    sizeScale: snap.sizeScale,
    last: p(snap.last),
    lastSize: ticksToNumber(snap.lastSize, snap.sizeScale),
    lastTimeMs: snap.lastTimeMs,
    bid: p(snap.bid),
    ask: p(snap.ask),
    open: p(snap.open),
    high: p(snap.high),
    low: p(snap.low),
    volume: ticksToNumber(snap.volume, snap.sizeScale),
    candles,
    ...how,
    raw: snap,
  };
}
