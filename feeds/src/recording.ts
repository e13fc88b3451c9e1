// Recordings of what a feed published: a compact binary file of tick records (the wire's 32-byte
// layout) grouped in the batches the feed published, each with its publish time, so a replay emits the
// identical tick stream in the identical batches, at 1×, N× or as fast as possible. Knows nothing of
// sockets or the bus; the feed process wires it in.
//
// File header (little-endian)                       Block (repeated until end of file)
// | off | type | field                          |   | off | type | field                                 |
// |-----|------|--------------------------------|   |-----|------|---------------------------------------|
// | 0   | 4 B  | magic "TWRC"                   |   | 0   | u8   | kind: 1 warm-up (absorbed), 2 batch   |
// | 4   | u16  | format version (= 1)           |   | 1   | u8   | reserved, 0                           |
// | 6   | u16  | flags, 0                       |   | 2   | u16  | reserved, 0                           |
// | 8   | u32  | epoch of the recorded feed     |   | 4   | u32  | tick count                            |
// | 12  | f64  | recording start, epoch ms      |   | 8   | f64  | publish time, epoch ms                |
// | 20  | u32  | meta length                    |   | 16  | n×32 | tick records (protocol/src/codec.ts)  |
// | 24  | …    | meta: UTF-8 JSON (instruments) |
//
// A file cut short by a crash ends at its last complete block; the reader reports `truncated`.
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { TICK_RECORD_SIZE, writeTickRecord } from '@tickwire/protocol/codec';
import type { InstrumentInfo } from '@tickwire/protocol/instruments';
import type { DecodeResult, Tick } from '@tickwire/protocol/messages';
import type { Clock } from './clock.js';

export const RECORDING_MAGIC = 'TWRC';
export const RECORDING_VERSION = 1;
export const FILE_HEADER_SIZE = 24;
export const BLOCK_HEADER_SIZE = 16;
/** Defensive caps for the reader: a corrupt length must not allocate gigabytes. */
export const MAX_META_BYTES = 16 * 1024 * 1024;
export const MAX_BLOCK_TICKS = 4 * 1024 * 1024;

export const BlockKind = {
  /** Ticks folded into state before the feed published anything (charts are not empty at start). */
  Warmup: 1,
  /** One published batch window. */
  Batch: 2,
} as const;
export type BlockKind = (typeof BlockKind)[keyof typeof BlockKind];

export interface RecordingMeta {
  instruments: InstrumentInfo[];
  /** How the recorded feed was configured (informational). */
  source?: Record<string, unknown>;
}

export interface RecordingHeader {
  version: number;
  epoch: number;
  startedAtMs: number;
  meta: RecordingMeta;
}

export interface RecordedBlock {
  kind: BlockKind;
  timeMs: number;
  count: number;
  /** count × 32-byte tick records. */
  records: Uint8Array;
}

export function encodeRecordingHeader(header: Omit<RecordingHeader, 'version'>): Uint8Array {
  const meta = new TextEncoder().encode(JSON.stringify(header.meta));
  const bytes = new Uint8Array(FILE_HEADER_SIZE + meta.length);
  const view = new DataView(bytes.buffer);
  bytes.set(new TextEncoder().encode(RECORDING_MAGIC), 0);
  view.setUint16(4, RECORDING_VERSION, true);
  view.setUint16(6, 0, true);
  view.setUint32(8, header.epoch >>> 0, true);
  view.setFloat64(12, header.startedAtMs, true);
  view.setUint32(20, meta.length, true);
  bytes.set(meta, FILE_HEADER_SIZE);
  return bytes;
}

/** Reads the fixed part of the header: the meta length, or an error for a file that is not a recording. */
function decodeFixedHeader(bytes: Uint8Array): DecodeResult<{ epoch: number; startedAtMs: number; metaLength: number; version: number }> {
  if (bytes.length < FILE_HEADER_SIZE) return { ok: false, error: `not a Tickwire recording: ${bytes.length} bytes, the header needs ${FILE_HEADER_SIZE}` };
  if (new TextDecoder().decode(bytes.subarray(0, 4)) !== RECORDING_MAGIC) return { ok: false, error: 'not a Tickwire recording (bad magic)' };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(4, true);
  if (version !== RECORDING_VERSION)
    return { ok: false, error: `recording format version ${version} is not supported (this build reads ${RECORDING_VERSION})` };
  const metaLength = view.getUint32(20, true);
  if (metaLength > MAX_META_BYTES) return { ok: false, error: `recording meta of ${metaLength} bytes exceeds ${MAX_META_BYTES}` };
  return { ok: true, value: { version, epoch: view.getUint32(8, true), startedAtMs: view.getFloat64(12, true), metaLength } };
}

function parseMeta(bytes: Uint8Array): DecodeResult<RecordingMeta> {
  let meta: RecordingMeta;
  try {
    meta = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as RecordingMeta;
  } catch (error) {
    return { ok: false, error: `recording meta is not JSON: ${(error as Error).message}` };
  }
  if (!meta || !Array.isArray(meta.instruments) || meta.instruments.length === 0) return { ok: false, error: 'recording meta lists no instruments' };
  for (const [i, inst] of meta.instruments.entries()) {
    if (inst?.id !== i || typeof inst.ticker !== 'string') return { ok: false, error: `recording instrument ${i} is malformed` };
  }
  return { ok: true, value: meta };
}

/**
 * Appends published batches to a recording file. Ticks are copied as wire records the moment they are
 * added (the simulator reuses its tick object); a block is written when the feed closes its batch.
 * Writes are synchronous and small (one per batch window), so a crash loses at most the open batch.
 */
export class RecordingWriter {
  private fd: number | null;
  private block = new Uint8Array(BLOCK_HEADER_SIZE + TICK_RECORD_SIZE * 256);
  private view = new DataView(this.block.buffer);
  private count = 0;
  ticks = 0;
  blocks = 0;

  constructor(path: string, header: Omit<RecordingHeader, 'version'>) {
    this.fd = openSync(path, 'w');
    const bytes = encodeRecordingHeader(header);
    writeSync(this.fd, bytes, 0, bytes.length);
  }

  add(tick: Tick): void {
    const offset = BLOCK_HEADER_SIZE + this.count * TICK_RECORD_SIZE;
    if (offset + TICK_RECORD_SIZE > this.block.length) {
      const grown = new Uint8Array(this.block.length * 2);
      grown.set(this.block);
      this.block = grown;
      this.view = new DataView(grown.buffer);
    }
    writeTickRecord(this.view, offset, tick);
    this.count++;
  }

  /** Closes the current block (nothing is written for an empty one). */
  endBlock(kind: BlockKind, timeMs: number): void {
    if (this.count === 0 || this.fd === null) return;
    this.view.setUint8(0, kind);
    this.view.setUint8(1, 0);
    this.view.setUint16(2, 0, true);
    this.view.setUint32(4, this.count, true);
    this.view.setFloat64(8, timeMs, true);
    writeSync(this.fd, this.block, 0, BLOCK_HEADER_SIZE + this.count * TICK_RECORD_SIZE);
    this.ticks += this.count;
    this.blocks++;
    this.count = 0;
  }

  close(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
  }
}

/** Reads a recording block by block (files can be far larger than memory wants to hold). */
export class RecordingReader {
  /** True when the file ended inside a block (the recorder was killed mid-write). */
  truncated = false;
  /** Set when a block header is corrupt (reading stops there). */
  error: string | null = null;
  private offset: number;
  private readonly size: number;
  private readonly head = new Uint8Array(BLOCK_HEADER_SIZE);

  private constructor(
    private fd: number | null,
    readonly header: RecordingHeader,
    start: number,
  ) {
    this.offset = start;
    this.size = fstatSync(fd!).size;
  }

  static open(path: string): DecodeResult<RecordingReader> {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (error) {
      return { ok: false, error: `cannot open recording ${path}: ${(error as Error).message}` };
    }
    const fixed = new Uint8Array(FILE_HEADER_SIZE);
    const got = readSync(fd, fixed, 0, FILE_HEADER_SIZE, 0);
    const head = decodeFixedHeader(fixed.subarray(0, got));
    if (!head.ok) {
      closeSync(fd);
      return head;
    }
    const metaBytes = new Uint8Array(head.value.metaLength);
    if (readSync(fd, metaBytes, 0, metaBytes.length, FILE_HEADER_SIZE) !== metaBytes.length) {
      closeSync(fd);
      return { ok: false, error: 'recording ends inside its header' };
    }
    const meta = parseMeta(metaBytes);
    if (!meta.ok) {
      closeSync(fd);
      return meta;
    }
    const { version, epoch, startedAtMs } = head.value;
    return { ok: true, value: new RecordingReader(fd, { version, epoch, startedAtMs, meta: meta.value }, FILE_HEADER_SIZE + metaBytes.length) };
  }

  /** The next block, or null at the end (check `truncated`) or on a corrupt block (`error`). */
  next(): RecordedBlock | null {
    if (this.fd === null || this.offset >= this.size) return null;
    if (this.offset + BLOCK_HEADER_SIZE > this.size) {
      this.truncated = true;
      return null;
    }
    readSync(this.fd, this.head, 0, BLOCK_HEADER_SIZE, this.offset);
    const view = new DataView(this.head.buffer);
    const kind = view.getUint8(0);
    const count = view.getUint32(4, true);
    if ((kind !== BlockKind.Warmup && kind !== BlockKind.Batch) || count > MAX_BLOCK_TICKS) {
      this.error = `corrupt block at byte ${this.offset} (kind ${kind}, ${count} ticks)`;
      return null;
    }
    const length = count * TICK_RECORD_SIZE;
    if (this.offset + BLOCK_HEADER_SIZE + length > this.size) {
      this.truncated = true;
      return null;
    }
    const records = new Uint8Array(length);
    readSync(this.fd, records, 0, length, this.offset + BLOCK_HEADER_SIZE);
    this.offset += BLOCK_HEADER_SIZE + length;
    return { kind: kind as BlockKind, timeMs: view.getFloat64(8, true), count, records };
  }

  close(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
  }
}

/** Replay speed: a factor of recorded time, or as fast as the consumer takes it. */
export type ReplaySpeed = number | 'max';

export function parseReplaySpeed(text: string): ReplaySpeed | null {
  if (text === 'max') return 'max';
  const n = Number(text);
  return Number.isFinite(n) && n > 0 && n <= 10_000 ? n : null;
}

export interface ReplayOptions {
  speed: ReplaySpeed;
  clock: Clock;
  /** Waits `ms` (a timer in production; tests may advance a manual clock). */
  sleep: (ms: number) => Promise<void>;
  /** Called per block, in file order; warm-up blocks come at once, batches at their replayed time. */
  onBlock: (block: RecordedBlock, replayTimeMs: number) => void;
  /** With speed 'max': yield to the event loop after this many batches so the consumer can drain. */
  yieldEvery?: number;
  /** Awaited at every yield with speed 'max' (e.g. a bus flush, for backpressure). */
  onYield?: () => Promise<void>;
  signal?: AbortSignal;
}

/**
 * Replays every block of `reader`. Batch k is due at start + (t_k − t_0) / speed, computed from the
 * start rather than from the previous batch, so timer lateness never accumulates into drift. The tick
 * stream and its batching are the file's, whatever the speed: only the pacing changes.
 */
export async function replayRecording(reader: RecordingReader, options: ReplayOptions): Promise<{ blocks: number; ticks: number }> {
  const { speed, clock } = options;
  const yieldEvery = options.yieldEvery ?? 64;
  let firstBatchMs: number | null = null;
  let startMs = 0;
  let blocks = 0;
  let ticks = 0;
  let sinceYield = 0;
  for (let block = reader.next(); block !== null; block = reader.next()) {
    if (options.signal?.aborted) break;
    if (block.kind === BlockKind.Batch) {
      if (firstBatchMs === null) {
        firstBatchMs = block.timeMs;
        startMs = clock.now();
      }
      if (speed === 'max') {
        if (++sinceYield >= yieldEvery) {
          sinceYield = 0;
          await (options.onYield?.() ?? options.sleep(0));
        }
      } else {
        const due = startMs + (block.timeMs - firstBatchMs) / speed;
        const wait = due - clock.now();
        if (wait > 0) await options.sleep(wait);
      }
    }
    options.onBlock(block, clock.now());
    blocks++;
    ticks += block.count;
  }
  return { blocks, ticks };
}
