// Codec unit tests: golden bytes for every frame type, round trips, every truncation length, trailing
// bytes, unknown version/type, and hostile length fields — the decoder must answer, never throw.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  HEADER_SIZE,
  TICK_RECORD_SIZE,
  decodeFrame,
  decodeHeader,
  emptyTick,
  encodeUpdatesFromRecords,
  readTickRecord,
  stampSendTime,
  visitTicks,
  writeTickRecord,
  encodeError,
  encodeSnapshot,
} from '../src/codec.js';
import { FrameType, type Tick } from '../src/messages.js';
import { GOLDEN } from './golden.js';
import { encodeFrame } from './encode-any.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));

describe('golden vectors', () => {
  it('cover every frame type', () => {
    expect(new Set(GOLDEN.map((g) => g.frame.type))).toEqual(new Set(Object.values(FrameType)));
  });
  for (const g of GOLDEN) {
    it(`${g.name}: encoder produces exactly the golden bytes`, () => {
      expect(hex(encodeFrame(g.frame))).toBe(g.hex);
    });
    it(`${g.name}: decoder reads the golden bytes back`, () => {
      expect(decodeFrame(bytes(g.hex))).toEqual({ ok: true, value: g.frame });
    });
    it(`${g.name}: decodes from an unaligned view inside a larger buffer`, () => {
      const raw = bytes(g.hex);
      const big = new Uint8Array(raw.length + 7);
      big.set(raw, 3);
      expect(decodeFrame(big.subarray(3, 3 + raw.length))).toEqual({ ok: true, value: g.frame });
    });
    it(`${g.name}: every truncation is rejected without throwing`, () => {
      const raw = bytes(g.hex);
      for (let n = 0; n < raw.length; n++) {
        const r = decodeFrame(raw.subarray(0, n));
        expect(r.ok, `length ${n}`).toBe(false);
        if (!r.ok) expect(r.error).toMatch(/truncated|trailing|length|UTF-8|outside/);
      }
    });
    it(`${g.name}: trailing bytes are rejected`, () => {
      const raw = bytes(g.hex + '00');
      expect(decodeFrame(raw)).toMatchObject({ ok: false, error: expect.stringMatching(/trailing/) });
    });
    it(`${g.name}: is documented in docs/protocol.md`, () => {
      const doc = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8').replace(/\s+/g, '');
      expect(doc).toContain(g.hex);
    });
  }
});

describe('header validation', () => {
  it('rejects an unknown version', () => {
    const raw = bytes(GOLDEN[0]!.hex);
    raw[0] = 2;
    expect(decodeFrame(raw)).toEqual({ ok: false, error: 'unsupported protocol version 2 (this decoder speaks 1)' });
  });
  it.each([0, 8, 255])('rejects unknown frame type %i', (type) => {
    const raw = bytes(GOLDEN[0]!.hex);
    raw[1] = type;
    expect(decodeFrame(raw)).toEqual({ ok: false, error: `unknown frame type ${type}` });
  });
  it('reads the header alone', () => {
    expect(decodeHeader(bytes(GOLDEN[2]!.hex))).toMatchObject({ ok: true, value: { type: FrameType.Updates, epoch: 0x01020304 } });
  });
});

describe('hostile lengths', () => {
  it('does not allocate for a count the frame cannot hold', () => {
    const raw = bytes(GOLDEN[2]!.hex);
    new DataView(raw.buffer).setUint32(HEADER_SIZE, 0xffff_ffff, true);
    expect(decodeFrame(raw)).toMatchObject({ ok: false, error: expect.stringMatching(/truncated/) });
    expect(visitTicks(raw, () => {})).toMatchObject({ ok: false });
  });
  it('rejects invalid UTF-8 in an error message', () => {
    const raw = encodeError(1, 0, 4, 0, 'ab');
    raw[raw.length - 1] = 0xff;
    expect(decodeFrame(raw)).toEqual({ ok: false, error: 'message is not valid UTF-8' });
  });
  it('rejects an empty ticker', () => {
    const g = GOLDEN.find((v) => v.name === 'snapshot')!;
    const raw = bytes(g.hex);
    raw[HEADER_SIZE + 62] = 0;
    expect(decodeFrame(raw)).toMatchObject({ ok: false, error: expect.stringMatching(/ticker length 0/) });
  });
  it('survives random bytes', () => {
    let seed = 1;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let i = 0; i < 2000; i++) {
      const raw = new Uint8Array(rnd() % 200);
      for (let j = 0; j < raw.length; j++) raw[j] = rnd();
      if (raw.length > 1) {
        raw[0] = 1;
        raw[1] = 1 + (rnd() % 7);
      }
      expect(() => decodeFrame(raw)).not.toThrow();
    }
  });
});

describe('tick records and batches', () => {
  const tick: Tick = {
    ...emptyTick(),
    symbolId: 65535,
    flags: 1,
    seq: 0xffff_ffff,
    eventTimeMs: 1.5 as never,
    price: 0xffff_ffff as never,
    size: 1 as never,
    bid: 2 as never,
    ask: 3 as never,
  };

  it('round-trips the extremes of every field', () => {
    const view = new DataView(new ArrayBuffer(TICK_RECORD_SIZE + 3));
    writeTickRecord(view, 3, tick);
    expect(readTickRecord(view, 3, emptyTick())).toEqual(tick);
  });

  it('builds an Updates frame from pre-encoded records, identical to encoding the ticks', () => {
    const g = GOLDEN.find((v) => v.name === 'updates')!;
    if (g.frame.type !== FrameType.Updates) throw new Error('unreachable');
    const records = new Uint8Array(64 * TICK_RECORD_SIZE);
    const view = new DataView(records.buffer);
    g.frame.ticks.forEach((t, i) => writeTickRecord(view, i * TICK_RECORD_SIZE, t));
    expect(hex(encodeUpdatesFromRecords(g.frame.epoch, g.frame.sendTimeMs, records, 2))).toBe(g.hex);
  });

  it('visits ticks without allocating a tick per record', () => {
    const g = GOLDEN.find((v) => v.name === 'updates')!;
    const seen: number[] = [];
    const objects = new Set<Tick>();
    const r = visitTicks(bytes(g.hex), (t) => {
      seen.push(t.seq);
      objects.add(t);
    });
    expect(r).toEqual({ ok: true, value: 2 });
    expect(seen).toEqual([43, 45]);
    expect(objects.size).toBe(1);
    expect(visitTicks(bytes(GOLDEN[0]!.hex), () => {})).toMatchObject({ ok: false, error: 'frame type 1 is not Updates' });
  });

  it('restamps the send time in place', () => {
    const raw = bytes(GOLDEN[2]!.hex);
    stampSendTime(raw, 42);
    expect(decodeHeader(raw)).toMatchObject({ ok: true, value: { sendTimeMs: 42 } });
  });
});

describe('encoder guards', () => {
  it('refuses values the layout cannot hold', () => {
    const frame = GOLDEN.find((v) => v.name === 'snapshot')!.frame;
    if (frame.type !== FrameType.Snapshot) throw new Error('unreachable');
    expect(() => encodeSnapshot(1, 0, { ...frame, ticker: 'X'.repeat(17) })).toThrow(RangeError);
    expect(() => encodeSnapshot(1, 0, { ...frame, symbolId: 70_000 })).toThrow(RangeError);
  });
  it('truncates long error messages on a character boundary', () => {
    const raw = encodeError(1, 0, 8, 0, 'é'.repeat(5000));
    const r = decodeFrame(raw);
    expect(r.ok).toBe(true);
    if (r.ok && r.value.type === FrameType.Error) expect(r.value.message.length).toBeLessThanOrEqual(1024);
  });
});
