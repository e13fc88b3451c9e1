// Recordings: the file round-trips every block (kind, publish time, tick records) exactly; a replay emits
// the identical tick stream in the identical batches at any speed, paced from the start (no drift);
// files cut short or not recordings at all are reported, never misread.
import { mkdtempSync, readFileSync, truncateSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TICK_RECORD_SIZE, emptyTick, readTickRecord } from '@tickwire/protocol/codec';
import type { Tick } from '@tickwire/protocol/messages';
import { ManualClock } from '../src/clock.js';
import { BLOCK_HEADER_SIZE, BlockKind, RecordingReader, RecordingWriter, parseReplaySpeed, replayRecording, type RecordedBlock } from '../src/recording.js';
import { MarketSimulator } from '../src/simulator.js';
import { defaultUniverse } from '../src/universe.js';
import { START_MS } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'tickwire-recording-'));
const instruments = defaultUniverse(8).map(({ id, ticker, name, assetClass, priceScale, sizeScale }) => ({
  id,
  ticker,
  name,
  assetClass,
  priceScale,
  sizeScale,
}));

/** Records `batches` windows of `windowMs` of a seeded simulator (plus a warm-up block), as a feed would. */
function record(path: string, batches: number, windowMs = 20): Tick[] {
  const sim = new MarketSimulator({ seed: 11, instruments: defaultUniverse(8), ticksPerSecond: 5000, startTimeMs: START_MS });
  const writer = new RecordingWriter(path, { epoch: 1234, startedAtMs: START_MS, meta: { instruments, source: { seed: 11 } } });
  const all: Tick[] = [];
  const take = (t: Tick) => {
    writer.add(t);
    all.push({ ...t });
  };
  sim.advanceTo(START_MS + 500, take);
  writer.endBlock(BlockKind.Warmup, START_MS + 500);
  for (let i = 1; i <= batches; i++) {
    const t = START_MS + 500 + i * windowMs;
    sim.advanceTo(t, take);
    writer.endBlock(BlockKind.Batch, t);
  }
  writer.close();
  return all;
}

function ticksOf(blocks: RecordedBlock[]): Tick[] {
  return blocks.flatMap((b) => {
    const view = new DataView(b.records.buffer, b.records.byteOffset, b.records.byteLength);
    return Array.from({ length: b.count }, (_, i) => readTickRecord(view, i * TICK_RECORD_SIZE, emptyTick()));
  });
}

function readAll(path: string): { reader: RecordingReader; blocks: RecordedBlock[] } {
  const opened = RecordingReader.open(path);
  if (!opened.ok) throw new Error(opened.error);
  const blocks: RecordedBlock[] = [];
  for (let b = opened.value.next(); b !== null; b = opened.value.next()) blocks.push(b);
  return { reader: opened.value, blocks };
}

describe('recording file', () => {
  it('round-trips header, blocks and every tick record exactly', () => {
    const path = join(dir, 'round-trip.twrec');
    const ticks = record(path, 50);
    const { reader, blocks } = readAll(path);
    expect(reader.header).toMatchObject({ version: 1, epoch: 1234, startedAtMs: START_MS, meta: { instruments, source: { seed: 11 } } });
    expect(blocks[0]!.kind).toBe(BlockKind.Warmup);
    expect(blocks.slice(1).every((b) => b.kind === BlockKind.Batch)).toBe(true);
    expect(blocks.at(-1)!.timeMs).toBe(START_MS + 500 + 50 * 20);
    expect(ticksOf(blocks)).toEqual(ticks);
    expect(reader.truncated).toBe(false);
    // Compact: 32 bytes a tick plus 16 a block.
    const size = statSync(path).size;
    expect(size).toBeLessThan(ticks.length * TICK_RECORD_SIZE + blocks.length * BLOCK_HEADER_SIZE + 4096);
    reader.close();
  });

  it('a file cut inside a block yields the complete blocks and says it was truncated', () => {
    const path = join(dir, 'cut.twrec');
    record(path, 20);
    const full = readAll(path).blocks;
    truncateSync(path, statSync(path).size - 40);
    const { reader, blocks } = readAll(path);
    expect(blocks).toHaveLength(full.length - 1);
    expect(reader.truncated).toBe(true);
  });

  it('refuses files that are not recordings, other versions, and corrupt blocks', () => {
    const notOne = join(dir, 'not.twrec');
    writeFileSync(notOne, 'hello, this is not a recording at all');
    expect(RecordingReader.open(notOne)).toMatchObject({ ok: false, error: expect.stringMatching(/bad magic/) });
    const path = join(dir, 'v2.twrec');
    record(path, 2);
    const bytes = readFileSync(path);
    bytes.writeUInt16LE(2, 4);
    writeFileSync(path, bytes);
    expect(RecordingReader.open(path)).toMatchObject({ ok: false, error: expect.stringMatching(/version 2/) });
    bytes.writeUInt16LE(1, 4);
    const metaLength = bytes.readUInt32LE(20);
    bytes.writeUInt8(9, 24 + metaLength); // first block's kind
    writeFileSync(path, bytes);
    const { reader, blocks } = readAll(path);
    expect(blocks).toHaveLength(0);
    expect(reader.error).toMatch(/corrupt block/);
    expect(RecordingReader.open(join(dir, 'missing.twrec'))).toMatchObject({ ok: false });
  });

  it('parses replay speeds', () => {
    expect(parseReplaySpeed('1')).toBe(1);
    expect(parseReplaySpeed('10')).toBe(10);
    expect(parseReplaySpeed('0.5')).toBe(0.5);
    expect(parseReplaySpeed('max')).toBe('max');
    for (const bad of ['0', '-1', 'fast', '', '1e9']) expect(parseReplaySpeed(bad)).toBeNull();
  });
});

describe('replay', () => {
  it('emits the identical tick stream in the identical batches, at any speed', async () => {
    const path = join(dir, 'replay.twrec');
    const ticks = record(path, 40);
    const recorded = readAll(path).blocks;
    for (const speed of ['max', 1, 10] as const) {
      const opened = RecordingReader.open(path);
      if (!opened.ok) throw new Error(opened.error);
      const clock = new ManualClock(1_000_000);
      const got: RecordedBlock[] = [];
      await replayRecording(opened.value, {
        speed,
        clock,
        sleep: async (ms) => clock.advance(ms),
        onBlock: (b) => got.push(b),
      });
      expect(got.map((b) => [b.kind, b.count, b.timeMs])).toEqual(recorded.map((b) => [b.kind, b.count, b.timeMs]));
      expect(ticksOf(got)).toEqual(ticks);
      opened.value.close();
    }
  });

  it('paces batches from the start: at 10× a 20 ms window is 2 ms, and lateness does not accumulate', async () => {
    const path = join(dir, 'pace.twrec');
    record(path, 10);
    const opened = RecordingReader.open(path);
    if (!opened.ok) throw new Error(opened.error);
    const clock = new ManualClock(0);
    const at: number[] = [];
    await replayRecording(opened.value, {
      speed: 10,
      clock,
      // Every sleep oversleeps by 1 ms, like a busy timer.
      sleep: async (ms) => clock.advance(ms + 1),
      onBlock: (b, t) => {
        if (b.kind === BlockKind.Batch) at.push(t);
      },
    });
    // Batch k is due at 2k ms: oversleeping delays each by 1 ms, but never more.
    expect(at).toEqual([0, 3, 5, 7, 9, 11, 13, 15, 17, 19]);
  });

  it('stops when aborted', async () => {
    const path = join(dir, 'abort.twrec');
    record(path, 30);
    const opened = RecordingReader.open(path);
    if (!opened.ok) throw new Error(opened.error);
    const abort = new AbortController();
    let n = 0;
    const done = await replayRecording(opened.value, {
      speed: 'max',
      clock: new ManualClock(0),
      sleep: async () => {},
      onBlock: () => {
        if (++n === 5) abort.abort();
      },
      signal: abort.signal,
    });
    expect(done.blocks).toBe(5);
  });
});
