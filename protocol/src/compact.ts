// Body of the compact Updates frame (type 7, negotiated with `compact: true` on subscribe): the same tick
// records as a standard Updates frame, written as varints and deltas from the previous record of the
// frame, so a one-tick frame is ~half the bytes. codec.ts writes the 16-byte header around it; this file
// owns the record layout (docs/protocol.md, "Updates, compact"). Readers never throw on wire input.
//
// Body: varint count, then count records, each:
// | u8     | head: bit 0 conflated, bit 1 flags follow, bit 2 symbol follows (required on the first
// |        | record; seq and price are then absolute), bit 3 seq jump follows, bit 4 quote packed,
// |        | bit 5 time negative, bits 6–7 zero                                                           |
// | varint | tick flags bits 1–15, shifted right by one (bit 1)                                            |
// | varint | symbolId (bit 2)                                                                             |
// | varint | seq (bit 2: absolute; bit 3: seq − previous seq − 1 mod 2^32; neither: previous seq + 1)      |
// | varint | time, µs: with us = round((sendTimeMs − eventTimeMs) × 1000), the first record carries us (how
// |        | long before the send time), later ones previous us − us (how much later); bit 5 negates it   |
// | zz/var | price: bit 2 absolute varint, otherwise zigzag price − previous price                         |
// | varint | size                                                                                         |
// | quote  | bit 4: one byte, low nibble zz(bid − price), high nibble zz(ask − price); else two zz varints  |
import type { Tick } from './messages.js';
import type { EpochMs, PriceTicks, SizeLots } from './units.js';

export const CompactHead = {
  Conflated: 0x01,
  Flags: 0x02,
  Symbol: 0x04,
  SeqJump: 0x08,
  QuotePacked: 0x10,
  TimeNegative: 0x20,
} as const;
const HEAD_RESERVED = 0xc0;

/** Most bytes one record can take (head, flags 3, symbol 3, seq 5, time 8, price 5, size 5, quote 10). */
export const MAX_COMPACT_RECORD_BYTES = 40;
/** Fewest bytes a record can take (head, time, price, size, packed quote): bounds `count` before allocating. */
export const MIN_COMPACT_RECORD_BYTES = 5;
/** |time offsets| stay below this many µs (≈ 142 years), so zigzag values stay exact doubles. */
const MAX_TIME_US = 2 ** 51;
const U32 = 0x1_0000_0000;

const zigzag = (v: number): number => (v >= 0 ? v * 2 : -v * 2 - 1);
const unzigzag = (z: number): number => (z % 2 === 0 ? z / 2 : -(z + 1) / 2);

/** Writes an unsigned integer < 2^53 as LEB128; returns the offset after it. */
function putVarint(out: Uint8Array, o: number, v: number): number {
  while (v >= 0x80) {
    out[o++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  out[o++] = v;
  return o;
}

/**
 * Writes `count` 32-byte tick records (from `records` at `at`) as compact records into `out` at `o`, which
 * must have count × MAX_COMPACT_RECORD_BYTES + 5 bytes of room. Returns the end offset. Values are
 * trusted (they come from the feed); an event time more than ~142 years from the send time throws.
 */
export function writeCompactRecords(out: Uint8Array, o: number, sendTimeMs: number, records: DataView, at: number, count: number): number {
  o = putVarint(out, o, count);
  let prevSymbol = -1;
  let prevSeq = 0;
  let prevPrice = 0;
  let prevUs = 0;
  for (let i = 0; i < count; i++, at += 32) {
    const symbolId = records.getUint16(at, true);
    const flags = records.getUint16(at + 2, true);
    const seq = records.getUint32(at + 4, true);
    const us = Math.round((sendTimeMs - records.getFloat64(at + 8, true)) * 1000);
    if (!(Math.abs(us) < MAX_TIME_US)) throw new RangeError(`event time too far from the send time for a compact frame`);
    const price = records.getUint32(at + 16, true);
    const size = records.getUint32(at + 20, true);
    const zb = zigzag(records.getUint32(at + 24, true) - price);
    const za = zigzag(records.getUint32(at + 28, true) - price);
    let head = flags & CompactHead.Conflated;
    if (flags > 1) head |= CompactHead.Flags;
    const newSymbol = symbolId !== prevSymbol;
    if (newSymbol) head |= CompactHead.Symbol;
    else if (seq !== (prevSeq + 1) % U32) head |= CompactHead.SeqJump;
    const packed = zb < 16 && za < 16;
    if (packed) head |= CompactHead.QuotePacked;
    // Event times rise within a frame and precede the send time, so the usual sign costs no bit.
    const dt = i === 0 ? us : prevUs - us;
    if (dt < 0) head |= CompactHead.TimeNegative;
    out[o++] = head;
    if (flags > 1) o = putVarint(out, o, flags >>> 1);
    if (newSymbol) {
      o = putVarint(out, o, symbolId);
      o = putVarint(out, o, seq);
    } else if (head & CompactHead.SeqJump) o = putVarint(out, o, (seq - prevSeq - 1 + U32) % U32);
    o = putVarint(out, o, Math.abs(dt));
    o = putVarint(out, o, newSymbol ? price : zigzag(price - prevPrice));
    o = putVarint(out, o, size);
    if (packed) out[o++] = zb | (za << 4);
    else {
      o = putVarint(out, o, zb);
      o = putVarint(out, o, za);
    }
    prevSymbol = symbolId;
    prevSeq = seq;
    prevPrice = price;
    prevUs = us;
  }
  return o;
}

/** Bounds-checked varint reader over untrusted bytes: an error is remembered, never thrown. */
class VarReader {
  error: string | null = null;
  constructor(
    readonly bytes: Uint8Array,
    public offset: number,
  ) {}
  byte(what: string): number {
    if (this.error !== null) return 0;
    if (this.offset >= this.bytes.length) {
      this.error = `truncated frame: ${what} at offset ${this.offset}, frame has ${this.bytes.length}`;
      return 0;
    }
    return this.bytes[this.offset++]!;
  }
  /** An unsigned varint of at most 8 bytes (56 bits, checked below 2^53) and at most `max`. */
  varint(what: string, max: number): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.byte(what);
      if (this.error !== null) return 0;
      value += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (value > max) {
          this.error = `${what} ${value} out of range (at most ${max})`;
          return 0;
        }
        return value;
      }
      scale *= 0x80;
    }
    this.error = `${what}: varint longer than 8 bytes`;
    return 0;
  }
}

export type CompactResult = { ok: true; value: number } | { ok: false; error: string };

/**
 * Reads a compact body that must end exactly at `bytes.length`, calling `visit` with `scratch` refilled
 * per record (copy what you keep) only once the whole body proved well-formed, so a bad frame applies
 * nothing. Returns the record count or an error; never throws on wire input.
 */
export function readCompactRecords(bytes: Uint8Array, offset: number, sendTimeMs: number, visit: (tick: Tick) => void, scratch: Tick): CompactResult {
  const checked = walk(bytes, offset, sendTimeMs, null, scratch);
  return checked.ok ? walk(bytes, offset, sendTimeMs, visit, scratch) : checked;
}

function walk(bytes: Uint8Array, offset: number, sendTimeMs: number, visit: ((tick: Tick) => void) | null, scratch: Tick): CompactResult {
  const r = new VarReader(bytes, offset);
  const count = r.varint('tick count', 0xffff_ffff);
  if (r.error !== null) return { ok: false, error: r.error };
  if (count * MIN_COMPACT_RECORD_BYTES > bytes.length - r.offset) {
    return {
      ok: false,
      error: `truncated frame: ${count} compact records need at least ${count * MIN_COMPACT_RECORD_BYTES} bytes, ${bytes.length - r.offset} left`,
    };
  }
  let symbolId = -1;
  let seq = 0;
  let price = 0;
  let us = 0;
  for (let i = 0; i < count; i++) {
    const head = r.byte('record head');
    if (r.error !== null) break;
    if (head & HEAD_RESERVED) return { ok: false, error: `compact record ${i}: reserved head bits set (0x${head.toString(16)})` };
    if (i === 0 && !(head & CompactHead.Symbol)) return { ok: false, error: 'compact record 0 must name its symbol (head bit 2)' };
    if (head & CompactHead.Symbol && head & CompactHead.SeqJump) return { ok: false, error: `compact record ${i}: head bits 2 and 3 both set` };
    let flags = head & CompactHead.Conflated;
    if (head & CompactHead.Flags) {
      const more = r.varint('tick flags', 0x7fff);
      if (more === 0 && r.error === null) return { ok: false, error: `compact record ${i}: flags present but zero` };
      flags |= more * 2;
    }
    if (head & CompactHead.Symbol) {
      symbolId = r.varint('symbolId', 0xffff);
      seq = r.varint('seq', 0xffff_ffff);
    } else if (head & CompactHead.SeqJump) seq = (seq + 1 + r.varint('seq jump', 0xffff_ffff)) % U32;
    else seq = (seq + 1) % U32;
    const magnitude = r.varint('time', MAX_TIME_US);
    if (magnitude === 0 && head & CompactHead.TimeNegative) return { ok: false, error: `compact record ${i}: negative zero time` };
    const dt = head & CompactHead.TimeNegative ? -magnitude : magnitude;
    us = i === 0 ? dt : us - dt;
    if (head & CompactHead.Symbol) price = r.varint('price', 0xffff_ffff);
    else price += unzigzag(r.varint('price delta', 2 * U32));
    const size = r.varint('size', 0xffff_ffff);
    let zb: number;
    let za: number;
    if (head & CompactHead.QuotePacked) {
      const q = r.byte('packed quote');
      zb = q & 0x0f;
      za = q >> 4;
    } else {
      zb = r.varint('bid delta', 2 * U32);
      za = r.varint('ask delta', 2 * U32);
    }
    if (r.error !== null) break;
    const bid = price + unzigzag(zb);
    const ask = price + unzigzag(za);
    if (price < 0 || price >= U32 || bid < 0 || bid >= U32 || ask < 0 || ask >= U32 || Math.abs(us) >= MAX_TIME_US) {
      return { ok: false, error: `compact record ${i}: a price, quote or time outside its range` };
    }
    scratch.symbolId = symbolId;
    scratch.flags = flags;
    scratch.seq = seq;
    scratch.eventTimeMs = (sendTimeMs - us / 1000) as EpochMs;
    scratch.price = price as PriceTicks;
    scratch.size = size as SizeLots;
    scratch.bid = bid as PriceTicks;
    scratch.ask = ask as PriceTicks;
    visit?.(scratch);
  }
  if (r.error !== null) return { ok: false, error: r.error };
  if (r.offset !== bytes.length) return { ok: false, error: `${bytes.length - r.offset} trailing bytes after frame body` };
  return { ok: true, value: count };
}
