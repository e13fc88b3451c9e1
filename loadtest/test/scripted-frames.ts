// Scripted wire frames for the load tester's accounting tests: ticks, Updates and Snapshots of one
// flat-priced symbol at a fixed time, so a test states only the epoch, symbol and seqs that matter.
import { encodeSnapshot, encodeUpdates } from '@tickwire/protocol/codec';
import type { Tick } from '@tickwire/protocol/messages';
import type { EpochMs, PriceTicks, SizeLots } from '@tickwire/protocol/units';

export const T = 1_700_000_000_000;

export const tick = (symbolId: number, seq: number, flags = 0): Tick => ({
  symbolId,
  seq,
  flags,
  eventTimeMs: T as EpochMs,
  price: 100 as PriceTicks,
  size: 1 as SizeLots,
  bid: 99 as PriceTicks,
  ask: 101 as PriceTicks,
});

export const updatesFrame = (epoch: number, symbolId: number, seqs: number[], flags = 0): Uint8Array =>
  encodeUpdates(
    epoch,
    T,
    seqs.map((s) => tick(symbolId, s, flags)),
  );

export const snapshotFrame = (epoch: number, symbolId: number, seq: number): Uint8Array =>
  encodeSnapshot(epoch, T, {
    symbolId,
    ticker: `S${symbolId}`,
    priceScale: 2,
    sizeScale: 0,
    seq,
    lastTimeMs: T as EpochMs,
    last: 100 as PriceTicks,
    lastSize: 1 as SizeLots,
    bid: 99 as PriceTicks,
    ask: 101 as PriceTicks,
    open: 100 as PriceTicks,
    high: 100 as PriceTicks,
    low: 100 as PriceTicks,
    volume: 0,
    sessionStartMs: T as EpochMs,
    candles: [],
  });
