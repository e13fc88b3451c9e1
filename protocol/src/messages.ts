// Message shapes of Tickwire wire protocol v1: frame types, flags, and the decoded forms of every
// server→client frame. Byte layouts live in codec.ts; this file is what callers program against.
import type { EpochMs, PriceTicks, SizeLots, UtcSeconds } from './units.js';

export const PROTOCOL_VERSION = 1;

/** Leading `type` byte of every frame. */
export const FrameType = {
  Hello: 1,
  Snapshot: 2,
  Updates: 3,
  Heartbeat: 4,
  Ack: 5,
  Error: 6,
  /** Updates in the compact encoding (varints, deltas within the frame), sent only to clients that asked. */
  UpdatesCompact: 7,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/** Header `flags` bits of a Hello frame (reserved bits that v1 decoders ignore). */
export const HelloFlag = {
  /** The server sends compact Updates (type 7) to a connection whose subscribe asks with `compact: true`. */
  Compact: 1,
} as const;

/** Per-tick flags (u16 in every tick record). */
export const TickFlag = {
  /** The record is the latest state of its symbol and its seq may jump: ticks in between were conflated on purpose. */
  Conflated: 1,
} as const;

/** Control operations acknowledged by an Ack frame. */
export const AckOp = { Subscribe: 1, Unsubscribe: 2 } as const;
export type AckOp = (typeof AckOp)[keyof typeof AckOp];

/** Bar intervals aggregated by the server, in seconds. */
export const CANDLE_INTERVALS = [1, 5, 60, 300] as const;
export type CandleInterval = (typeof CANDLE_INTERVALS)[number];

/**
 * One trade with the quote after it. Seq (per symbol, +1 per tick) and the feed epoch are assigned
 * where ticks enter the system, so every server relaying the feed emits identical records.
 */
export interface Tick {
  symbolId: number;
  flags: number;
  seq: number;
  eventTimeMs: EpochMs;
  price: PriceTicks;
  size: SizeLots;
  bid: PriceTicks;
  ask: PriceTicks;
}

export interface Candle {
  time: UtcSeconds;
  open: PriceTicks;
  high: PriceTicks;
  low: PriceTicks;
  close: PriceTicks;
  /** Traded volume in lots (float64: sums exceed 32 bits). */
  volume: number;
}

export interface CandleSeries {
  intervalSec: number;
  candles: Candle[];
}

/** Fields every frame starts with. */
export interface FrameHeader {
  version: number;
  type: FrameType;
  flags: number;
  /** Feed epoch: changes whenever sequence continuity is lost (e.g. a feed restart). */
  epoch: number;
  /** When the server sent (or stamped) the frame. */
  sendTimeMs: EpochMs;
}

export interface HelloFrame extends FrameHeader {
  type: typeof FrameType.Hello;
  heartbeatMs: number;
  maxSymbols: number;
  /** Opaque id of this connection; SSE clients quote it to change their subscriptions. */
  sessionId: string;
  serverId: string;
}

export interface SnapshotFrame extends FrameHeader {
  type: typeof FrameType.Snapshot;
  symbolId: number;
  ticker: string;
  priceScale: number;
  sizeScale: number;
  /** Seq of the last tick folded into this state; the next update for the symbol has seq + 1. */
  seq: number;
  lastTimeMs: EpochMs;
  last: PriceTicks;
  lastSize: SizeLots;
  bid: PriceTicks;
  ask: PriceTicks;
  open: PriceTicks;
  high: PriceTicks;
  low: PriceTicks;
  volume: number;
  sessionStartMs: EpochMs;
  candles: CandleSeries[];
}

export interface UpdatesFrame extends FrameHeader {
  type: typeof FrameType.Updates;
  ticks: Tick[];
}

/** The same ticks as UpdatesFrame; event times are carried to the microsecond. */
export interface CompactUpdatesFrame extends FrameHeader {
  type: typeof FrameType.UpdatesCompact;
  ticks: Tick[];
}

export interface HeartbeatEntry {
  symbolId: number;
  seq: number;
}

export interface HeartbeatFrame extends FrameHeader {
  type: typeof FrameType.Heartbeat;
  symbols: HeartbeatEntry[];
}

export interface AckFrame extends FrameHeader {
  type: typeof FrameType.Ack;
  requestId: number;
  op: AckOp;
  symbolIds: number[];
}

export interface ErrorFrame extends FrameHeader {
  type: typeof FrameType.Error;
  code: number;
  requestId: number;
  message: string;
}

export type Frame = HelloFrame | SnapshotFrame | UpdatesFrame | CompactUpdatesFrame | HeartbeatFrame | AckFrame | ErrorFrame;

export type DecodeResult<T> = { ok: true; value: T } | { ok: false; error: string };
