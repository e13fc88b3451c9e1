// Property-based tests (fast-check) of everything that parses untrusted input: the frame decoder, the
// control-message parser, the resume-cursor parser and the length-prefixed stream parser. They must
// answer every input without throwing, and round-trip every valid value.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeHeartbeat, encodeUpdates, visitTicks } from '../src/codec.js';
import { parseControl } from '../src/control.js';
import { formatCursor, parseCursor } from '../src/cursor.js';
import { FrameStreamParser, joinFrames } from '../src/framing.js';
import { FrameType, type Tick } from '../src/messages.js';

const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const tickArb: fc.Arbitrary<Tick> = fc.record({
  symbolId: u16,
  flags: u16,
  seq: u32,
  eventTimeMs: fc.double({ noNaN: true, noDefaultInfinity: true }) as fc.Arbitrary<never>,
  price: u32 as fc.Arbitrary<never>,
  size: u32 as fc.Arbitrary<never>,
  bid: u32 as fc.Arbitrary<never>,
  ask: u32 as fc.Arbitrary<never>,
});

describe('frame decoder', () => {
  it('never throws on arbitrary bytes, with or without a valid header', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, header) => {
        if (header && bytes.length >= 2) {
          bytes[0] = 1;
          bytes[1] = 1 + (bytes[1]! % 7);
        }
        const r = decodeFrame(bytes);
        expect(typeof r.ok).toBe('boolean');
        expect(() => visitTicks(bytes, () => {})).not.toThrow();
      }),
      { numRuns: 3000 },
    );
  });

  it('round-trips Updates of any ticks, and rejects every strict prefix', () => {
    fc.assert(
      fc.property(u32, fc.array(tickArb, { maxLength: 20 }), (epoch, ticks) => {
        const bytes = encodeUpdates(epoch, 1, ticks);
        const r = decodeFrame(bytes);
        expect(r.ok && r.value.type === FrameType.Updates && r.value.ticks).toEqual(
          ticks.map((t) => ({ ...t, eventTimeMs: Object.is(t.eventTimeMs, -0) ? -0 : t.eventTimeMs })),
        );
        const cut = Math.floor(bytes.length / 2);
        expect(decodeFrame(bytes.subarray(0, cut)).ok).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips heartbeats', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ symbolId: u16, seq: u32 }), { maxLength: 50 }), (symbols) => {
        const r = decodeFrame(encodeHeartbeat(7, 2, symbols));
        expect(r.ok && r.value.type === FrameType.Heartbeat && r.value.symbols).toEqual(symbols);
      }),
    );
  });
});

describe('control parser', () => {
  it('answers any string without throwing, with an error code when it refuses', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.json({ maxDepth: 3 }),
          fc.jsonValue().map((v) => JSON.stringify({ op: 'subscribe', symbols: v })),
        ),
        (text) => {
          const r = parseControl(text, 10);
          if (!r.ok) expect(r.code).toBeGreaterThan(0);
          else expect(r.message.symbols.length).toBeLessThanOrEqual(10);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('accepts every well-formed subscribe', () => {
    const ticker = fc.stringMatching(/^[A-Z0-9][A-Z0-9./_-]{0,15}$/);
    fc.assert(
      fc.property(fc.uniqueArray(ticker, { maxLength: 10 }), u32, (symbols, id) => {
        expect(parseControl(JSON.stringify({ op: 'subscribe', symbols, id }), 10)).toEqual({ ok: true, message: { op: 'subscribe', symbols, requestId: id } });
      }),
    );
  });
});

describe('cursor parser', () => {
  it('round-trips every cursor', () => {
    fc.assert(
      fc.property(u32, fc.uniqueArray(fc.tuple(u16, u32), { selector: ([id]) => id, maxLength: 30 }), (epoch, entries) => {
        const r = parseCursor(formatCursor(epoch, entries), 30);
        expect(r).toEqual({ ok: true, value: { epoch, seqs: new Map(entries) } });
      }),
    );
  });
  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 100 }),
          fc.string({ maxLength: 100 }).map((s) => `e1-${s}`),
        ),
        (text) => {
          expect(typeof parseCursor(text, 10).ok).toBe('boolean');
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('length-prefixed stream parser', () => {
  it('yields the same frames however the stream is chunked', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 10 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }),
        (frames, cuts) => {
          const bytes = joinFrames(frames);
          const out: Uint8Array[] = [];
          const parser = new FrameStreamParser((f) => out.push(f));
          let offset = 0;
          let i = 0;
          while (offset < bytes.length) {
            const n = cuts[i++ % cuts.length]!;
            expect(parser.feed(bytes.subarray(offset, offset + n))).toBe(true);
            offset += n;
          }
          expect(out).toEqual(frames);
          expect(parser.pendingBytes).toBe(0);
        },
      ),
    );
  });
  it('stops at a hostile length', () => {
    const parser = new FrameStreamParser(() => {}, 1024);
    expect(parser.feed(new Uint8Array([0xff, 0xff, 0xff, 0x7f, 1, 2]))).toBe(false);
    expect(parser.error).toMatch(/exceeds/);
  });
});
