// Binary codec of Tickwire wire protocol v1: the one encoder/decoder used by the server, the browser and
// Node clients. All integers little-endian. Decoders never throw on wire input: they check lengths
// before every read and return { ok: false, error } instead. docs/protocol.md has the same tables.
//
// Header (16 bytes, every frame)          Tick record (32 bytes, Updates frames and the feed bus)
// | off | type | field                 |  | off | type | field                           |
// |-----|------|-----------------------|  |-----|------|---------------------------------|
// | 0   | u8   | version (= 1)         |  | 0   | u16  | symbolId                        |
// | 1   | u8   | frame type            |  | 2   | u16  | flags (bit 0: conflated)        |
// | 2   | u16  | frame flags (0)       |  | 4   | u32  | seq (per symbol, +1 per tick)   |
// | 4   | u32  | feed epoch            |  | 8   | f64  | feed event time, epoch ms       |
// | 8   | f64  | server send time, ms  |  | 16  | u32  | trade price, ticks              |
//                                         | 20  | u32  | trade size, lots                |
//                                         | 24  | u32  | best bid, ticks                 |
//                                         | 28  | u32  | best ask, ticks                 |
//
// Bodies after the header:
//   Hello     u32 heartbeatMs, u16 maxSymbols, u8 len + sessionId (ASCII), u8 len + serverId (UTF-8)
//   Snapshot  u16 symbolId, u16 0, u32 seq, f64 lastTimeMs, u32 last, u32 lastSize, u32 bid, u32 ask,
//             u32 open, u32 high, u32 low, f64 volume, f64 sessionStartMs, u8 priceScale, u8 sizeScale,
//             u8 len + ticker (ASCII), u8 seriesCount, per series: u32 intervalSec, u16 count,
//             count × candle (u32 time s, u32 open, u32 high, u32 low, u32 close, f64 volume)
//   Updates   u32 count, count × tick record
//   Updates, compact (type 7, negotiated): a 14-byte header (u8 version, u8 type, u32 epoch, f64
//             sendTimeMs: no flags), then varint count, count × compact record (layout in compact.ts)
//   Heartbeat u32 count, count × (u16 symbolId, u16 0, u32 seq)
//   Ack       u32 requestId, u8 op, u32 count, count × u16 symbolId
//   Error     u16 code, u32 requestId, u16 len + message (UTF-8)
import {
  FrameType,
  PROTOCOL_VERSION,
  type AckFrame,
  type CompactUpdatesFrame,
  type AckOp,
  type Candle,
  type CandleSeries,
  type DecodeResult,
  type ErrorFrame,
  type Frame,
  type FrameHeader,
  type HeartbeatEntry,
  type HeartbeatFrame,
  type HelloFrame,
  type SnapshotFrame,
  type Tick,
  type UpdatesFrame,
} from './messages.js';
import type { EpochMs, PriceTicks, SizeLots, UtcSeconds } from './units.js';
import { MAX_COMPACT_RECORD_BYTES, readCompactRecords, writeCompactRecords } from './compact.js';

export const HEADER_SIZE = 16;
/**
 * Compact Updates (type 7) drop the header's flags: u8 version, u8 type, u32 epoch, f64 sendTimeMs. The
 * header is most of a one-tick frame, and these frames extend through their records' reserved bits.
 */
export const COMPACT_HEADER_SIZE = 14;
export const TICK_RECORD_SIZE = 32;
export const CANDLE_SIZE = 28;
export const HEARTBEAT_ENTRY_SIZE = 8;
export const MAX_TICKER_BYTES = 16;
export const MAX_ID_BYTES = 64;
export const MAX_ERROR_MESSAGE_BYTES = 1024;
export const MAX_CANDLES_PER_SERIES = 0xffff;
/** Decoders refuse frames larger than this (a defence for clients; the server sends far smaller). */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function writeHeader(view: DataView, type: FrameType, epoch: number, sendTimeMs: number, flags = 0): void {
  view.setUint8(0, PROTOCOL_VERSION);
  view.setUint8(1, type);
  view.setUint16(2, flags, true);
  view.setUint32(4, epoch >>> 0, true);
  view.setFloat64(8, sendTimeMs, true);
}

function asciiBytes(text: string, max: number, what: string): Uint8Array {
  const bytes = utf8Encoder.encode(text);
  if (bytes.length > max) throw new RangeError(`${what} is ${bytes.length} bytes; the limit is ${max}`);
  return bytes;
}

function checkU32(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
    throw new RangeError(`${what} must be an integer in 0..2^32-1, got ${value}`);
  }
}

function checkU16(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) {
    throw new RangeError(`${what} must be an integer in 0..65535, got ${value}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Tick records: shared by Updates frames and the feed bus, so a relay can copy bytes without re-encoding.

/** Writes one 32-byte tick record at `offset`. Values are trusted (they come from the feed). */
export function writeTickRecord(view: DataView, offset: number, tick: Tick): void {
  view.setUint16(offset, tick.symbolId, true);
  view.setUint16(offset + 2, tick.flags, true);
  view.setUint32(offset + 4, tick.seq, true);
  view.setFloat64(offset + 8, tick.eventTimeMs, true);
  view.setUint32(offset + 16, tick.price, true);
  view.setUint32(offset + 20, tick.size, true);
  view.setUint32(offset + 24, tick.bid, true);
  view.setUint32(offset + 28, tick.ask, true);
}

/** Reads one tick record into `out` (reused by hot loops to avoid an allocation per tick). */
export function readTickRecord(view: DataView, offset: number, out: Tick): Tick {
  out.symbolId = view.getUint16(offset, true);
  out.flags = view.getUint16(offset + 2, true);
  out.seq = view.getUint32(offset + 4, true);
  out.eventTimeMs = view.getFloat64(offset + 8, true) as EpochMs;
  out.price = view.getUint32(offset + 16, true) as PriceTicks;
  out.size = view.getUint32(offset + 20, true) as SizeLots;
  out.bid = view.getUint32(offset + 24, true) as PriceTicks;
  out.ask = view.getUint32(offset + 28, true) as PriceTicks;
  return out;
}

export function emptyTick(): Tick {
  return {
    symbolId: 0,
    flags: 0,
    seq: 0,
    eventTimeMs: 0 as EpochMs,
    price: 0 as PriceTicks,
    size: 0 as SizeLots,
    bid: 0 as PriceTicks,
    ask: 0 as PriceTicks,
  };
}

// ---------------------------------------------------------------------------------------------------
// Encoders. They throw RangeError on values that cannot be represented: that is a server bug, not input.

export function encodeHello(
  epoch: number,
  sendTimeMs: number,
  hello: { heartbeatMs: number; maxSymbols: number; sessionId: string; serverId: string; flags?: number },
): Uint8Array {
  checkU32(hello.heartbeatMs, 'heartbeatMs');
  checkU16(hello.maxSymbols, 'maxSymbols');
  const session = asciiBytes(hello.sessionId, MAX_ID_BYTES, 'sessionId');
  const server = asciiBytes(hello.serverId, MAX_ID_BYTES, 'serverId');
  const bytes = new Uint8Array(HEADER_SIZE + 4 + 2 + 1 + session.length + 1 + server.length);
  const view = viewOf(bytes);
  // Header flags announce optional features (HelloFlag); v1 decoders that know none of them ignore them.
  writeHeader(view, FrameType.Hello, epoch, sendTimeMs, hello.flags ?? 0);
  let o = HEADER_SIZE;
  view.setUint32(o, hello.heartbeatMs, true);
  view.setUint16(o + 4, hello.maxSymbols, true);
  o += 6;
  view.setUint8(o++, session.length);
  bytes.set(session, o);
  o += session.length;
  view.setUint8(o++, server.length);
  bytes.set(server, o);
  return bytes;
}

export type SnapshotBody = Omit<SnapshotFrame, keyof FrameHeader>;

export function encodeSnapshot(epoch: number, sendTimeMs: number, s: SnapshotBody): Uint8Array {
  checkU16(s.symbolId, 'symbolId');
  checkU32(s.seq, 'seq');
  const ticker = asciiBytes(s.ticker, MAX_TICKER_BYTES, 'ticker');
  if (s.candles.length > 255) throw new RangeError('at most 255 candle series per snapshot');
  let size = HEADER_SIZE + 63 + ticker.length + 1;
  for (const series of s.candles) {
    if (series.candles.length > MAX_CANDLES_PER_SERIES) throw new RangeError('too many candles in a series');
    size += 6 + series.candles.length * CANDLE_SIZE;
  }
  const bytes = new Uint8Array(size);
  const view = viewOf(bytes);
  writeHeader(view, FrameType.Snapshot, epoch, sendTimeMs);
  let o = HEADER_SIZE;
  view.setUint16(o, s.symbolId, true);
  view.setUint16(o + 2, 0, true);
  view.setUint32(o + 4, s.seq, true);
  view.setFloat64(o + 8, s.lastTimeMs, true);
  view.setUint32(o + 16, s.last, true);
  view.setUint32(o + 20, s.lastSize, true);
  view.setUint32(o + 24, s.bid, true);
  view.setUint32(o + 28, s.ask, true);
  view.setUint32(o + 32, s.open, true);
  view.setUint32(o + 36, s.high, true);
  view.setUint32(o + 40, s.low, true);
  view.setFloat64(o + 44, s.volume, true);
  view.setFloat64(o + 52, s.sessionStartMs, true);
  view.setUint8(o + 60, s.priceScale);
  view.setUint8(o + 61, s.sizeScale);
  view.setUint8(o + 62, ticker.length);
  o += 63;
  bytes.set(ticker, o);
  o += ticker.length;
  view.setUint8(o++, s.candles.length);
  for (const series of s.candles) {
    view.setUint32(o, series.intervalSec, true);
    view.setUint16(o + 4, series.candles.length, true);
    o += 6;
    for (const c of series.candles) {
      view.setUint32(o, c.time, true);
      view.setUint32(o + 4, c.open, true);
      view.setUint32(o + 8, c.high, true);
      view.setUint32(o + 12, c.low, true);
      view.setUint32(o + 16, c.close, true);
      view.setFloat64(o + 20, c.volume, true);
      o += CANDLE_SIZE;
    }
  }
  return bytes;
}

/**
 * Builds an Updates frame around `count` already-encoded tick records (the server keeps ticks as
 * records from ingest on, so a batch costs one allocation and one copy).
 */
export function encodeUpdatesFromRecords(epoch: number, sendTimeMs: number, records: Uint8Array, count: number): Uint8Array {
  const length = count * TICK_RECORD_SIZE;
  if (records.length < length) throw new RangeError('records buffer shorter than count × record size');
  const bytes = new Uint8Array(HEADER_SIZE + 4 + length);
  const view = viewOf(bytes);
  writeHeader(view, FrameType.Updates, epoch, sendTimeMs);
  view.setUint32(HEADER_SIZE, count, true);
  bytes.set(records.subarray(0, length), HEADER_SIZE + 4);
  return bytes;
}

export function encodeUpdates(epoch: number, sendTimeMs: number, ticks: readonly Tick[]): Uint8Array {
  const bytes = new Uint8Array(HEADER_SIZE + 4 + ticks.length * TICK_RECORD_SIZE);
  const view = viewOf(bytes);
  writeHeader(view, FrameType.Updates, epoch, sendTimeMs);
  view.setUint32(HEADER_SIZE, ticks.length, true);
  let o = HEADER_SIZE + 4;
  for (const t of ticks) {
    writeTickRecord(view, o, t);
    o += TICK_RECORD_SIZE;
  }
  return bytes;
}

/** Grown on demand: compact records are written here first, then copied into an exact-size frame. */
let compactScratch = new Uint8Array(COMPACT_HEADER_SIZE + 5 + 64 * MAX_COMPACT_RECORD_BYTES);

/**
 * Builds a compact Updates frame (type 7) from `count` 32-byte tick records: the same ticks as
 * encodeUpdatesFromRecords, about half the bytes. Encoded once per symbol per batch, like the standard one.
 */
export function encodeCompactUpdatesFromRecords(epoch: number, sendTimeMs: number, records: Uint8Array, count: number): Uint8Array {
  if (records.length < count * TICK_RECORD_SIZE) throw new RangeError('records buffer shorter than count × record size');
  const room = COMPACT_HEADER_SIZE + 5 + count * MAX_COMPACT_RECORD_BYTES;
  if (compactScratch.length < room) compactScratch = new Uint8Array(room * 2);
  const end = writeCompactRecords(compactScratch, COMPACT_HEADER_SIZE, sendTimeMs, viewOf(records), 0, count);
  const bytes = compactScratch.slice(0, end);
  const view = viewOf(bytes);
  view.setUint8(0, PROTOCOL_VERSION);
  view.setUint8(1, FrameType.UpdatesCompact);
  view.setUint32(2, epoch >>> 0, true);
  view.setFloat64(6, sendTimeMs, true);
  return bytes;
}

export function encodeCompactUpdates(epoch: number, sendTimeMs: number, ticks: readonly Tick[]): Uint8Array {
  const records = new Uint8Array(ticks.length * TICK_RECORD_SIZE);
  const view = viewOf(records);
  ticks.forEach((t, i) => writeTickRecord(view, i * TICK_RECORD_SIZE, t));
  return encodeCompactUpdatesFromRecords(epoch, sendTimeMs, records, ticks.length);
}

export function encodeHeartbeat(epoch: number, sendTimeMs: number, symbols: readonly HeartbeatEntry[]): Uint8Array {
  const bytes = new Uint8Array(HEADER_SIZE + 4 + symbols.length * HEARTBEAT_ENTRY_SIZE);
  const view = viewOf(bytes);
  writeHeader(view, FrameType.Heartbeat, epoch, sendTimeMs);
  view.setUint32(HEADER_SIZE, symbols.length, true);
  let o = HEADER_SIZE + 4;
  for (const s of symbols) {
    view.setUint16(o, s.symbolId, true);
    view.setUint16(o + 2, 0, true);
    view.setUint32(o + 4, s.seq, true);
    o += HEARTBEAT_ENTRY_SIZE;
  }
  return bytes;
}

export function encodeAck(epoch: number, sendTimeMs: number, requestId: number, op: AckOp, symbolIds: readonly number[]): Uint8Array {
  checkU32(requestId, 'requestId');
  const bytes = new Uint8Array(HEADER_SIZE + 9 + symbolIds.length * 2);
  const view = viewOf(bytes);
  writeHeader(view, FrameType.Ack, epoch, sendTimeMs);
  view.setUint32(HEADER_SIZE, requestId, true);
  view.setUint8(HEADER_SIZE + 4, op);
  view.setUint32(HEADER_SIZE + 5, symbolIds.length, true);
  let o = HEADER_SIZE + 9;
  for (const id of symbolIds) {
    view.setUint16(o, id, true);
    o += 2;
  }
  return bytes;
}

export function encodeError(epoch: number, sendTimeMs: number, code: number, requestId: number, message: string): Uint8Array {
  checkU16(code, 'code');
  checkU32(requestId, 'requestId');
  let text = utf8Encoder.encode(message);
  // Trim on a character boundary so a long message never yields invalid UTF-8.
  while (text.length > MAX_ERROR_MESSAGE_BYTES) {
    message = message.slice(0, Math.floor(message.length * 0.9));
    text = utf8Encoder.encode(message);
  }
  const bytes = new Uint8Array(HEADER_SIZE + 8 + text.length);
  const view = viewOf(bytes);
  writeHeader(view, FrameType.Error, epoch, sendTimeMs);
  view.setUint16(HEADER_SIZE, code, true);
  view.setUint32(HEADER_SIZE + 2, requestId, true);
  view.setUint16(HEADER_SIZE + 6, text.length, true);
  bytes.set(text, HEADER_SIZE + 8);
  return bytes;
}

/**
 * Overwrites the send time of an encoded frame in place (relays restamp without re-encoding). Not for
 * compact Updates: their event times are offsets from the send time, so restamping would move them.
 */
export function stampSendTime(frame: Uint8Array, sendTimeMs: number): void {
  viewOf(frame).setFloat64(8, sendTimeMs, true);
}

// ---------------------------------------------------------------------------------------------------
// Decoders: bounds-checked reader over untrusted bytes.

class Reader {
  offset: number;
  error: string | null = null;
  constructor(
    readonly view: DataView,
    offset: number,
  ) {
    this.offset = offset;
  }
  private need(n: number, what: string): boolean {
    if (this.error !== null) return false;
    if (this.offset + n > this.view.byteLength) {
      this.error = `truncated frame: ${what} needs ${n} bytes at offset ${this.offset}, frame has ${this.view.byteLength}`;
      return false;
    }
    return true;
  }
  u8(what: string): number {
    if (!this.need(1, what)) return 0;
    return this.view.getUint8(this.offset++);
  }
  u16(what: string): number {
    if (!this.need(2, what)) return 0;
    const v = this.view.getUint16(this.offset, true);
    this.offset += 2;
    return v;
  }
  u32(what: string): number {
    if (!this.need(4, what)) return 0;
    const v = this.view.getUint32(this.offset, true);
    this.offset += 4;
    return v;
  }
  f64(what: string): number {
    if (!this.need(8, what)) return 0;
    const v = this.view.getFloat64(this.offset, true);
    this.offset += 8;
    return v;
  }
  text(length: number, what: string): string {
    if (!this.need(length, what)) return '';
    const slice = new Uint8Array(this.view.buffer, this.view.byteOffset + this.offset, length);
    this.offset += length;
    try {
      return utf8Decoder.decode(slice);
    } catch {
      this.error = `${what} is not valid UTF-8`;
      return '';
    }
  }
  /** Checks that `count` items of `size` bytes fit before allocating anything for them. */
  fits(count: number, size: number, what: string): boolean {
    return this.need(count * size, `${count} × ${what}`);
  }
}

/** Validates and reads the header (16 bytes; 14 for compact Updates, whose flags are 0) without the body. */
export function decodeHeader(bytes: Uint8Array): DecodeResult<FrameHeader> {
  const compact = bytes.byteLength >= 2 && bytes[1] === FrameType.UpdatesCompact;
  const size = compact ? COMPACT_HEADER_SIZE : HEADER_SIZE;
  if (bytes.byteLength < size) {
    return { ok: false, error: `truncated frame: ${bytes.byteLength} bytes, the header needs ${size}` };
  }
  if (bytes.byteLength > MAX_FRAME_BYTES) {
    return { ok: false, error: `frame of ${bytes.byteLength} bytes exceeds the ${MAX_FRAME_BYTES}-byte limit` };
  }
  const view = viewOf(bytes);
  const version = view.getUint8(0);
  if (version !== PROTOCOL_VERSION) {
    return { ok: false, error: `unsupported protocol version ${version} (this decoder speaks ${PROTOCOL_VERSION})` };
  }
  const type = view.getUint8(1);
  if (type < FrameType.Hello || type > FrameType.UpdatesCompact) {
    return { ok: false, error: `unknown frame type ${type}` };
  }
  if (compact) {
    return {
      ok: true,
      value: { version, type: FrameType.UpdatesCompact, flags: 0, epoch: view.getUint32(2, true), sendTimeMs: view.getFloat64(6, true) as EpochMs },
    };
  }
  return {
    ok: true,
    value: {
      version,
      type: type as FrameType,
      flags: view.getUint16(2, true),
      epoch: view.getUint32(4, true),
      sendTimeMs: view.getFloat64(8, true) as EpochMs,
    },
  };
}

function finish<T extends Frame>(r: Reader, frame: T): DecodeResult<T> {
  if (r.error !== null) return { ok: false, error: r.error };
  if (r.offset !== r.view.byteLength) {
    return { ok: false, error: `${r.view.byteLength - r.offset} trailing bytes after frame body` };
  }
  return { ok: true, value: frame };
}

function decodeCandles(r: Reader): CandleSeries[] {
  const seriesCount = r.u8('series count');
  const series: CandleSeries[] = [];
  for (let s = 0; s < seriesCount && r.error === null; s++) {
    const intervalSec = r.u32('series interval');
    const count = r.u16('candle count');
    if (!r.fits(count, CANDLE_SIZE, 'candle')) break;
    const candles: Candle[] = new Array<Candle>(count);
    for (let i = 0; i < count; i++) {
      candles[i] = {
        time: r.u32('candle time') as UtcSeconds,
        open: r.u32('candle open') as PriceTicks,
        high: r.u32('candle high') as PriceTicks,
        low: r.u32('candle low') as PriceTicks,
        close: r.u32('candle close') as PriceTicks,
        volume: r.f64('candle volume'),
      };
    }
    series.push({ intervalSec, candles });
  }
  return series;
}

/** Decodes any frame into plain objects. Hot paths that only need ticks use `visitTicks`. */
export function decodeFrame(bytes: Uint8Array): DecodeResult<Frame> {
  const head = decodeHeader(bytes);
  if (!head.ok) return head;
  const h = head.value;
  const r = new Reader(viewOf(bytes), HEADER_SIZE);
  switch (h.type) {
    case FrameType.Hello: {
      const heartbeatMs = r.u32('heartbeatMs');
      const maxSymbols = r.u16('maxSymbols');
      const sessionId = r.text(r.u8('sessionId length'), 'sessionId');
      const serverId = r.text(r.u8('serverId length'), 'serverId');
      const frame: HelloFrame = { ...h, type: FrameType.Hello, heartbeatMs, maxSymbols, sessionId, serverId };
      return finish(r, frame);
    }
    case FrameType.Snapshot: {
      const symbolId = r.u16('symbolId');
      r.u16('reserved');
      const seq = r.u32('seq');
      const lastTimeMs = r.f64('lastTimeMs') as EpochMs;
      const last = r.u32('last') as PriceTicks;
      const lastSize = r.u32('lastSize') as SizeLots;
      const bid = r.u32('bid') as PriceTicks;
      const ask = r.u32('ask') as PriceTicks;
      const open = r.u32('open') as PriceTicks;
      const high = r.u32('high') as PriceTicks;
      const low = r.u32('low') as PriceTicks;
      const volume = r.f64('volume');
      const sessionStartMs = r.f64('sessionStartMs') as EpochMs;
      const priceScale = r.u8('priceScale');
      const sizeScale = r.u8('sizeScale');
      const tickerLength = r.u8('ticker length');
      if (r.error === null && (tickerLength === 0 || tickerLength > MAX_TICKER_BYTES)) {
        r.error = `ticker length ${tickerLength} outside 1..${MAX_TICKER_BYTES}`;
      }
      const ticker = r.text(tickerLength, 'ticker');
      const candles = decodeCandles(r);
      const frame: SnapshotFrame = {
        ...h,
        type: FrameType.Snapshot,
        symbolId,
        ticker,
        priceScale,
        sizeScale,
        seq,
        lastTimeMs,
        last,
        lastSize,
        bid,
        ask,
        open,
        high,
        low,
        volume,
        sessionStartMs,
        candles,
      };
      return finish(r, frame);
    }
    case FrameType.Updates: {
      const count = r.u32('tick count');
      const ticks: Tick[] = [];
      if (r.fits(count, TICK_RECORD_SIZE, 'tick record')) {
        for (let i = 0; i < count; i++) {
          ticks.push(readTickRecord(r.view, r.offset, emptyTick()));
          r.offset += TICK_RECORD_SIZE;
        }
      }
      const frame: UpdatesFrame = { ...h, type: FrameType.Updates, ticks };
      return finish(r, frame);
    }
    case FrameType.UpdatesCompact: {
      const ticks: Tick[] = [];
      const read = readCompactRecords(bytes, COMPACT_HEADER_SIZE, h.sendTimeMs, (t) => ticks.push({ ...t }), emptyTick());
      if (!read.ok) return read;
      const frame: CompactUpdatesFrame = { ...h, type: FrameType.UpdatesCompact, ticks };
      return { ok: true, value: frame };
    }
    case FrameType.Heartbeat: {
      const count = r.u32('heartbeat count');
      const symbols: HeartbeatEntry[] = [];
      if (r.fits(count, HEARTBEAT_ENTRY_SIZE, 'heartbeat entry')) {
        for (let i = 0; i < count; i++) {
          const symbolId = r.u16('symbolId');
          r.u16('reserved');
          symbols.push({ symbolId, seq: r.u32('seq') });
        }
      }
      const frame: HeartbeatFrame = { ...h, type: FrameType.Heartbeat, symbols };
      return finish(r, frame);
    }
    case FrameType.Ack: {
      const requestId = r.u32('requestId');
      const op = r.u8('op');
      if (r.error === null && op !== 1 && op !== 2) r.error = `unknown ack op ${op}`;
      const count = r.u32('symbol count');
      const symbolIds: number[] = [];
      if (r.fits(count, 2, 'symbolId')) {
        for (let i = 0; i < count; i++) symbolIds.push(r.u16('symbolId'));
      }
      const frame: AckFrame = { ...h, type: FrameType.Ack, requestId, op: op as AckOp, symbolIds };
      return finish(r, frame);
    }
    case FrameType.Error: {
      const code = r.u16('code');
      const requestId = r.u32('requestId');
      const message = r.text(r.u16('message length'), 'message');
      const frame: ErrorFrame = { ...h, type: FrameType.Error, code, requestId, message };
      return finish(r, frame);
    }
  }
}

/**
 * Calls `visit` for every tick of an Updates frame (standard or compact) without allocating per tick:
 * `scratch` is reused, so copy what you keep. Returns the number of ticks, or an error for a malformed
 * or non-Updates frame; a malformed frame visits nothing.
 */
export function visitTicks(bytes: Uint8Array, visit: (tick: Tick, header: FrameHeader) => void, scratch: Tick = emptyTick()): DecodeResult<number> {
  const head = decodeHeader(bytes);
  if (!head.ok) return head;
  if (head.value.type === FrameType.UpdatesCompact) {
    const header = head.value;
    return readCompactRecords(bytes, COMPACT_HEADER_SIZE, header.sendTimeMs, (t) => visit(t, header), scratch);
  }
  if (head.value.type !== FrameType.Updates) return { ok: false, error: `frame type ${head.value.type} is not Updates` };
  const view = viewOf(bytes);
  if (bytes.byteLength < HEADER_SIZE + 4) return { ok: false, error: 'truncated frame: tick count missing' };
  const count = view.getUint32(HEADER_SIZE, true);
  if (bytes.byteLength !== HEADER_SIZE + 4 + count * TICK_RECORD_SIZE) {
    return { ok: false, error: `Updates frame of ${bytes.byteLength} bytes does not hold ${count} tick records` };
  }
  for (let i = 0, o = HEADER_SIZE + 4; i < count; i++, o += TICK_RECORD_SIZE) {
    visit(readTickRecord(view, o, scratch), head.value);
  }
  return { ok: true, value: count };
}
