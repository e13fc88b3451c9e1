// The ingest model every door shares (HTTP, WebSocket, NATS): producer trades as NDJSON lines or 32-byte records → validated → ticks
// with the symbol's next seq, written into the same Fanout the simulator feeds, so batching, candles,
// snapshots, heartbeats and resume treat ingested symbols exactly like simulated ones. Every bad line
// has one named reason and changes nothing; a body is checked against the queue room before any line
// is applied, and applied in one synchronous pass, so no body is ever half-applied.
import { readTickRecord, TICK_RECORD_SIZE } from '@tickwire/protocol/codec';
import type { Tick } from '@tickwire/protocol/messages';
import { decimalToUnits, type DecimalError, type EpochMs, type PriceTicks, type SizeLots } from '@tickwire/protocol/units';
import type { InstrumentInfo } from '@tickwire/protocol/instruments';
import type { Fanout } from './fanout.js';

/** Why a line was not applied; the HTTP answer and tickwire_ingest_rejected_total{reason} use these names. */
export const INGEST_REJECTIONS = [
  'bad_json',
  'bad_shape',
  'unknown_ticker',
  'not_ingest',
  'duplicate_id',
  'bad_price',
  'price_precision',
  'price_overflow',
  'bad_size',
  'size_precision',
  'size_overflow',
  'bad_quote',
  'crossed_quote',
  'bad_time',
  'future_time',
  'out_of_order',
] as const;
export type IngestRejection = (typeof INGEST_REJECTIONS)[number];

/** What the core needs of an instrument (feeds' RegisteredInstrument has it all). */
export interface IngestInstrument extends InstrumentInfo {
  /** Minimum price increment in ticks: an ingested price must be a multiple. */
  tickSize: number;
  /** Only 'ingest' instruments take producer trades; the simulator is the one writer of the others. */
  source: 'sim' | 'ingest';
}

export interface IngestLimits {
  /** A trade whose ts is further ahead of the server's clock than this is refused (future_time). */
  maxFutureMs: number;
  /** Trade ids remembered for duplicate detection (oldest forgotten first). */
  dedupWindow: number;
  /** Trades accepted per batch window at most; a body that might not fit is refused whole. */
  queueLength: number;
}

export const DEFAULT_INGEST_LIMITS: IngestLimits = { maxFutureMs: 10_000, dedupWindow: 100_000, queueLength: 50_000 };

/** Event times before this (2000-01-01) are refused as bad_time: a unit mistake (seconds for ms), not a trade. */
export const MIN_EVENT_TIME_MS = 946_684_800_000;
/** Longest trade id kept for duplicate detection. */
export const MAX_TRADE_ID_LENGTH = 128;
/** Rejected lines described one by one in an answer (the rest are only counted). */
export const MAX_LINE_ERRORS = 20;

export interface LineError {
  /** 1-based line number in the body. */
  line: number;
  reason: IngestRejection;
  message: string;
}

export interface IngestResult {
  accepted: number;
  rejected: number;
  /** Rejected lines per reason (only reasons that occurred). */
  reasons: Partial<Record<IngestRejection, number>>;
  /** The first MAX_LINE_ERRORS rejected lines with a message each. */
  errors: LineError[];
}

export type Submitted = { ok: true; result: IngestResult } | { ok: false; full: true; lines: number; room: number };

/** Non-empty lines of an NDJSON body: what a body may at most add to the queue. */
export function countLines(body: Uint8Array): number {
  let lines = 0;
  let blank = true;
  for (let i = 0; i < body.length; i++) {
    const b = body[i]!;
    if (b === 0x0a) {
      if (!blank) lines++;
      blank = true;
    } else if (b !== 0x20 && b !== 0x09 && b !== 0x0d) blank = false;
  }
  return blank ? lines : lines + 1;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The bytes as text, or null when they are not valid UTF-8. */
function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

type Check<T> = { ok: true; value: T } | { ok: false; reason: IngestRejection; message: string };
/** A checked trade: the instrument id, its dedup key (null: no id) and the tick fields the core does not assign. */
type Trade = { id: number; key: string | null; tick: Omit<Tick, 'symbolId' | 'flags' | 'seq'> };
const refuse = (reason: IngestRejection, message: string): { ok: false; reason: IngestRejection; message: string } => ({ ok: false, reason, message });

function describe(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/** A price or size field → integer units, with the reason names of that field. */
function units(field: 'price' | 'size', v: unknown, scale: number): Check<number> {
  const bad = field === 'price' ? 'bad_price' : 'bad_size';
  if (typeof v !== 'string' && typeof v !== 'number') return refuse(bad, `${field} ${describe(v)} must be a decimal string or number`);
  const r = decimalToUnits(v, scale);
  if (r.ok) return r.units > 0 ? { ok: true, value: r.units } : refuse(bad, `${field} ${describe(v)} must be above zero`);
  const why: Record<DecimalError, [IngestRejection, string]> = {
    syntax: [bad, 'is not a plain decimal'],
    negative: [bad, 'is negative'],
    precision: [
      field === 'price' ? 'price_precision' : 'size_precision',
      `has more decimals than the instrument's ${field === 'price' ? 'priceScale' : 'sizeScale'} ${scale}`,
    ],
    overflow: [
      field === 'price' ? 'price_overflow' : 'size_overflow',
      `does not fit the wire's u32 at ${field === 'price' ? 'priceScale' : 'sizeScale'} ${scale}`,
    ],
  };
  const [reason, text] = why[r.error];
  return refuse(reason, `${field} ${describe(v)} ${text}`);
}

/**
 * One writer per ingest instrument: holds each symbol's next seq and newest event time, the duplicate
 * window, and the room left in this batch window. Seqs continue from the fan-out's state at start(), so
 * a restored or warmed-up symbol goes on where it was.
 */
export class IngestCore {
  private readonly byTicker = new Map<string, IngestInstrument>();
  private seq: Float64Array;
  private lastTimeMs: Float64Array;
  private fanout: Fanout | null = null;
  private readonly seenIds = new Set<string>();
  private readonly idRing: (string | undefined)[];
  private idHead = 0;
  private queued = 0;
  private readonly tick: Tick = {
    symbolId: 0,
    flags: 0,
    seq: 0,
    eventTimeMs: 0 as EpochMs,
    price: 0 as PriceTicks,
    size: 0 as SizeLots,
    bid: 0 as PriceTicks,
    ask: 0 as PriceTicks,
  };
  /** Decode target of submitRecords (reused: no allocation per record). */
  private readonly scratch: Tick = { ...this.tick };
  /** What timed() hands to run(), reused: run() applies it before the next trade is checked (no allocation per trade). */
  private readonly ready: { ok: true; value: Trade } = {
    ok: true,
    value: { id: 0, key: null, tick: { eventTimeMs: 0 as EpochMs, price: 0 as PriceTicks, size: 0 as SizeLots, bid: 0 as PriceTicks, ask: 0 as PriceTicks } },
  };
  /** Newest accepted trade's server time (0: none yet), for health. */
  lastAcceptedAtMs = 0;
  acceptedTotal = 0;

  private readonly list: IngestInstrument[] = [];

  constructor(
    instruments: readonly IngestInstrument[],
    readonly limits: IngestLimits = DEFAULT_INGEST_LIMITS,
  ) {
    this.seq = new Float64Array(Math.max(16, instruments.length));
    this.lastTimeMs = new Float64Array(this.seq.length);
    for (const inst of instruments) this.addInstrument(inst);
    this.idRing = new Array<string | undefined>(limits.dedupWindow);
  }

  /** Every instrument of the server, ids = indices (ingested or not: a trade for a simulated one is not_ingest). */
  get instruments(): readonly IngestInstrument[] {
    return this.list;
  }

  /** Appends an instrument registered at run time (the next id): it starts at seq 0 and takes trades at once. */
  addInstrument(inst: IngestInstrument): void {
    if (inst.id !== this.list.length) throw new RangeError(`instrument ${inst.ticker} has id ${inst.id}; the next id is ${this.list.length}`);
    if (inst.id >= this.seq.length) {
      // Doubling: registering n instruments one by one copies O(n) numbers in all.
      const seq = new Float64Array(this.seq.length * 2);
      const last = new Float64Array(seq.length);
      seq.set(this.seq);
      last.set(this.lastTimeMs);
      this.seq = seq;
      this.lastTimeMs = last;
    }
    this.list.push(inst);
    this.byTicker.set(inst.ticker.toUpperCase(), inst);
  }

  /** Instruments producers may write. */
  get ingestible(): number {
    return this.list.filter((i) => i.source === 'ingest').length;
  }

  /** Binds the fan-out (after restore and warm-up): seqs and times continue from its published state. */
  start(fanout: Fanout): void {
    this.fanout = fanout;
    fanout.states.forEach((state, id) => {
      this.seq[id] = state.seq;
      this.lastTimeMs[id] = state.lastTimeMs;
    });
  }

  /** Room left in this batch window's queue. */
  get room(): number {
    return Math.max(0, this.limits.queueLength - this.queued);
  }

  /** The batch window closed (the fan-out published what was queued): the queue is empty again. */
  windowClosed(): void {
    this.queued = 0;
  }

  /**
   * Validates and applies an NDJSON body. Refused whole (nothing applied) when its lines might not fit
   * the room left in this window; otherwise each line is applied or rejected on its own, in order.
   */
  submit(body: Uint8Array, nowMs: number): Submitted {
    // Usually the whole body is UTF-8: one decode instead of one per line. '\n' never occurs inside a
    // multi-byte character, so its lines are exactly the byte loop's, decoded.
    const whole = decodeUtf8(body);
    if (whole !== null) {
      return this.run(countLines(body), nowMs, (each) => {
        let start = 0;
        let lineNo = 0;
        while (start <= whole.length) {
          let end = whole.indexOf('\n', start);
          if (end === -1) end = whole.length;
          lineNo++;
          each(lineNo, this.lineText(whole.slice(start, end).trim(), nowMs));
          start = end + 1;
        }
      });
    }
    return this.run(countLines(body), nowMs, (each) => {
      let start = 0;
      let lineNo = 0;
      while (start <= body.length) {
        let end = body.indexOf(0x0a, start);
        if (end === -1) end = body.length;
        lineNo++;
        each(lineNo, this.line(body.subarray(start, end), nowMs));
        start = end + 1;
      }
    });
  }

  /**
   * Validates and applies a batch of 32-byte tick records (docs/ingest.md, binary records), the fast
   * form of the WebSocket and NATS doors. `bytes.length` must be a multiple of TICK_RECORD_SIZE (callers
   * refuse other lengths). Same all-or-nothing queue check and per-record reasons as submit().
   */
  submitRecords(bytes: Uint8Array, nowMs: number): Submitted {
    const count = Math.floor(bytes.length / TICK_RECORD_SIZE);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return this.run(count, nowMs, (each) => {
      for (let i = 0; i < count; i++) each(i + 1, this.record(view, i * TICK_RECORD_SIZE, nowMs));
    });
  }

  /** The shared batch pass: queue check for `items`, then each checked item applied or counted, in order. */
  private run(items: number, nowMs: number, walk: (each: (n: number, checked: Check<Trade> | null) => void) => void): Submitted {
    if (this.fanout === null) throw new Error('IngestCore.submit called before start(fanout)');
    if (items > this.room) return { ok: false, full: true, lines: items, room: this.room };
    const result: IngestResult = { accepted: 0, rejected: 0, reasons: {}, errors: [] };
    walk((n, checked) => {
      if (checked === null) return;
      if (checked.ok) {
        this.apply(checked.value, nowMs);
        result.accepted++;
        return;
      }
      result.rejected++;
      result.reasons[checked.reason] = (result.reasons[checked.reason] ?? 0) + 1;
      if (result.errors.length < MAX_LINE_ERRORS) result.errors.push({ line: n, reason: checked.reason, message: checked.message });
    });
    return { ok: true, result };
  }

  /**
   * One 32-byte record → a trade or a rejection, in the reason order of the JSON lines. The record's
   * symbolId names the instrument, seq carries the trade id (0: none; same id space as integer JSON ids),
   * price/size/bid/ask are already units, eventTimeMs 0 means "now", bid = ask = 0 means "at the price".
   */
  private record(view: DataView, o: number, nowMs: number): Check<Trade> {
    const r = readTickRecord(view, o, this.scratch);
    const inst = this.list[r.symbolId];
    if (r.flags !== 0) return refuse('bad_shape', `record flags must be 0, got ${r.flags}`);
    if (inst === undefined) return refuse('unknown_ticker', `unknown symbolId ${r.symbolId}`);
    if (inst.source !== 'ingest')
      return refuse('not_ingest', `${inst.ticker} is simulated here (source "sim"): only instruments with source "ingest" take trades`);
    const key = r.seq === 0 ? null : `${inst.id}\u0000${r.seq}`;
    if (key !== null && this.seenIds.has(key)) return refuse('duplicate_id', `trade id ${r.seq} of ${inst.ticker} was already applied`);
    if (r.price === 0) return refuse('bad_price', 'price 0 must be above zero');
    if (r.price % inst.tickSize !== 0) return refuse('price_precision', `price ${r.price} ticks is off ${inst.ticker}'s tick grid (${inst.tickSize} ticks)`);
    if (r.size === 0) return refuse('bad_size', 'size 0 must be above zero');
    let bid: number = r.price;
    let ask: number = r.price;
    if (r.bid !== 0 || r.ask !== 0) {
      if (r.bid === 0 || r.ask === 0) return refuse('bad_quote', 'give both bid and ask, or neither (both 0)');
      if (r.bid > r.ask) return refuse('crossed_quote', `bid ${r.bid} is above ask ${r.ask} (ticks)`);
      bid = r.bid;
      ask = r.ask;
    }
    const ts = r.eventTimeMs === 0 ? nowMs : r.eventTimeMs;
    return this.timed(inst, key, ts, nowMs, { price: r.price, size: r.size, bid, ask });
  }

  /** One line's bytes (of a body that is not UTF-8 as a whole) → lineText, or bad_json for this line. */
  private line(bytes: Uint8Array, nowMs: number): Check<Trade> | null {
    const text = decodeUtf8(bytes);
    return text === null ? refuse('bad_json', 'line is not UTF-8') : this.lineText(text.trim(), nowMs);
  }

  /** One decoded, trimmed line → a trade ready to apply, a rejection, or null for a blank line. Changes nothing. */
  private lineText(text: string, nowMs: number): Check<Trade> | null {
    if (text === '') return null;
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      return refuse('bad_json', `line is not JSON: ${describe(text)}`);
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return refuse('bad_json', 'line is not a JSON object');
    const o = v as Record<string, unknown>;
    if (typeof o.ticker !== 'string') return refuse('bad_shape', `"ticker" must be a string, got ${describe(o.ticker)}`);
    if (o.price === undefined || o.size === undefined) return refuse('bad_shape', 'a trade needs "price" and "size"');
    if (o.id !== undefined && !(typeof o.id === 'string' && o.id.length >= 1 && o.id.length <= MAX_TRADE_ID_LENGTH) && !Number.isSafeInteger(o.id)) {
      return refuse('bad_shape', `"id" must be a string of 1–${MAX_TRADE_ID_LENGTH} characters or an integer, got ${describe(o.id)}`);
    }
    const inst = this.byTicker.get(o.ticker.toUpperCase());
    if (inst === undefined) return refuse('unknown_ticker', `unknown ticker ${describe(o.ticker)}`);
    if (inst.source !== 'ingest')
      return refuse('not_ingest', `${inst.ticker} is simulated here (source "sim"): only instruments with source "ingest" take trades`);
    const key = o.id === undefined ? null : `${inst.id}\u0000${String(o.id)}`;
    if (key !== null && this.seenIds.has(key)) return refuse('duplicate_id', `trade id ${describe(o.id)} of ${inst.ticker} was already applied`);

    const price = units('price', o.price, inst.priceScale);
    if (!price.ok) return price;
    if (price.value % inst.tickSize !== 0)
      return refuse('price_precision', `price ${describe(o.price)} is off ${inst.ticker}'s tick grid (${inst.tickSize} ticks)`);
    const size = units('size', o.size, inst.sizeScale);
    if (!size.ok) return size;
    let bid = price.value;
    let ask = price.value;
    if (o.bid !== undefined || o.ask !== undefined) {
      if (o.bid === undefined || o.ask === undefined) return refuse('bad_quote', 'give both "bid" and "ask", or neither');
      const b = units('price', o.bid, inst.priceScale);
      const a = units('price', o.ask, inst.priceScale);
      if (!b.ok || !a.ok)
        return refuse(
          'bad_quote',
          `quote: ${!b.ok ? b.message.replace(/^price/, 'bid') : ''}${!b.ok && !a.ok ? '; ' : ''}${!a.ok ? a.message.replace(/^price/, 'ask') : ''}`,
        );
      if (b.value > a.value) return refuse('crossed_quote', `bid ${describe(o.bid)} is above ask ${describe(o.ask)}`);
      bid = b.value;
      ask = a.value;
    }
    let ts = nowMs;
    if (o.ts !== undefined) {
      if (typeof o.ts !== 'number') return refuse('bad_time', `ts ${describe(o.ts)} must be epoch milliseconds (a number after 2000-01-01)`);
      ts = o.ts;
    }
    return this.timed(inst, key, ts, nowMs, { price: price.value, size: size.value, bid, ask });
  }

  /** The time checks every form shares, then the trade ready to apply. */
  private timed(
    inst: IngestInstrument,
    key: string | null,
    ts: number,
    nowMs: number,
    units: { price: number; size: number; bid: number; ask: number },
  ): Check<Trade> {
    if (!Number.isFinite(ts) || ts < MIN_EVENT_TIME_MS) return refuse('bad_time', `ts ${describe(ts)} must be epoch milliseconds (a number after 2000-01-01)`);
    if (ts > nowMs + this.limits.maxFutureMs)
      return refuse('future_time', `ts ${ts} is ${Math.round(ts - nowMs)} ms ahead of the server's clock (limit ${this.limits.maxFutureMs})`);
    if (ts < this.lastTimeMs[inst.id]!) return refuse('out_of_order', `ts ${ts} is before ${inst.ticker}'s latest trade (${this.lastTimeMs[inst.id]})`);
    const { value } = this.ready;
    value.id = inst.id;
    value.key = key;
    value.tick.eventTimeMs = ts as EpochMs;
    value.tick.price = units.price as PriceTicks;
    value.tick.size = units.size as SizeLots;
    value.tick.bid = units.bid as PriceTicks;
    value.tick.ask = units.ask as PriceTicks;
    return this.ready;
  }

  private apply(trade: Trade, nowMs: number): void {
    const { id, key } = trade;
    const seq = this.seq[id]! + 1;
    this.seq[id] = seq;
    this.lastTimeMs[id] = trade.tick.eventTimeMs;
    if (key !== null) this.remember(key);
    const tick = this.tick;
    tick.symbolId = id;
    tick.seq = seq;
    tick.eventTimeMs = trade.tick.eventTimeMs;
    tick.price = trade.tick.price;
    tick.size = trade.tick.size;
    tick.bid = trade.tick.bid;
    tick.ask = trade.tick.ask;
    this.fanout!.ingest(this.tick);
    this.queued++;
    this.acceptedTotal++;
    this.lastAcceptedAtMs = nowMs;
  }

  private remember(key: string): void {
    if (this.idRing.length === 0) return;
    const old = this.idRing[this.idHead];
    if (old !== undefined) this.seenIds.delete(old);
    this.idRing[this.idHead] = key;
    this.seenIds.add(key);
    this.idHead = (this.idHead + 1) % this.idRing.length;
  }
}
