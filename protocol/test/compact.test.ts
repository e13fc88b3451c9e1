// Compact Updates (type 7): the encoder against the golden bytes and against the standard encoding of
// the same ticks, hostile bodies (every head rule, varint and range check), and fast-check properties:
// any ticks round-trip (event times to the microsecond), every strict prefix is refused, no input throws.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  COMPACT_HEADER_SIZE,
  TICK_RECORD_SIZE,
  decodeFrame,
  encodeCompactUpdates,
  encodeCompactUpdatesFromRecords,
  encodeUpdates,
  visitTicks,
  writeTickRecord,
} from '../src/codec.js';
import { FrameType, HelloFlag, type Tick } from '../src/messages.js';
import { GOLDEN } from './golden.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
const golden = (name: string) => GOLDEN.find((g) => g.name === name)!;
const ticksOf = (name: string): Tick[] => {
  const f = golden(name).frame;
  if (f.type !== FrameType.Updates && f.type !== FrameType.UpdatesCompact) throw new Error(`${name} is not an Updates vector`);
  return f.ticks;
};
/** A compact frame with the golden header and `body` (hex) after it. */
const withBody = (body: string) => bytes(golden('updates-compact').hex.slice(0, COMPACT_HEADER_SIZE * 2) + body);

describe('compact Updates encoder', () => {
  for (const name of ['updates-compact', 'updates-compact-run']) {
    it(`${name}: built from 32-byte records, identical to encoding the ticks`, () => {
      const ticks = ticksOf(name);
      const records = new Uint8Array(ticks.length * TICK_RECORD_SIZE + 64);
      const view = new DataView(records.buffer);
      ticks.forEach((t, i) => writeTickRecord(view, i * TICK_RECORD_SIZE, t));
      expect(hex(encodeCompactUpdatesFromRecords(0x01020304, 1_767_225_600_123, records, ticks.length))).toBe(golden(name).hex);
    });
  }

  it('carries exactly the ticks of the standard Updates vector', () => {
    const standard = decodeFrame(bytes(golden('updates').hex));
    const compact = decodeFrame(bytes(golden('updates-compact').hex));
    expect(standard.ok && compact.ok).toBe(true);
    if (standard.ok && compact.ok && 'ticks' in standard.value && 'ticks' in compact.value) {
      expect(compact.value.ticks.slice(0, 2)).toEqual(standard.value.ticks);
    }
  });

  it('is under half the bytes of the standard frame for one tick', () => {
    const one = ticksOf('updates-compact-run').slice(0, 1);
    expect(encodeCompactUpdates(1, 1_767_225_600_123, one).length * 2).toBeLessThanOrEqual(encodeUpdates(1, 0, one).length);
  });

  it('announces itself in the Hello header flags', () => {
    const hello = decodeFrame(bytes(golden('hello-compact').hex));
    expect(hello.ok && hello.value.flags & HelloFlag.Compact).toBe(HelloFlag.Compact);
  });

  it('visits every tick with one scratch object, and a bad frame visits nothing', () => {
    const seen: number[] = [];
    const objects = new Set<Tick>();
    const r = visitTicks(bytes(golden('updates-compact').hex), (t, h) => {
      seen.push(t.seq);
      objects.add(t);
      expect(h.type).toBe(FrameType.UpdatesCompact);
    });
    expect(r).toEqual({ ok: true, value: 3 });
    expect(seen).toEqual([43, 45, 1]);
    expect(objects.size).toBe(1);
    const bad = bytes(golden('updates-compact').hex + '00');
    let visited = 0;
    expect(visitTicks(bad, () => visited++)).toMatchObject({ ok: false, error: expect.stringMatching(/trailing/) });
    expect(visited).toBe(0);
  });
});

describe('hostile compact bodies', () => {
  // A valid one-record body: count 1, head 0x14 (symbol, packed quote), symbol 7, seq 1, time 0, price 5, size 1, quote 0.
  const ok = '0114070100050100';
  it('accepts the reference body', () => {
    expect(decodeFrame(withBody(ok))).toMatchObject({ ok: true, value: { ticks: [{ symbolId: 7, seq: 1, price: 5, bid: 5, ask: 5 }] } });
  });
  it.each([
    ['a count the frame cannot hold', 'ffffffff0f14070100050100', /truncated/],
    ['reserved head bits', '0154070100050100', /reserved head bits/],
    ['a negative zero time', '0134070100050100', /negative zero/],
    ['a first record without its symbol', '0110010005010000', /must name its symbol/],
    ['symbol and seq jump together', '011c07010100050100', /both set/],
    ['flags present but zero', '01160007010005010000', /flags present but zero/],
    ['a symbol id above u16', '0114ffff0401000501' + '00', /symbolId .* out of range/],
    ['a varint longer than 8 bytes', '0114ffffffffffffffff01', /longer than 8 bytes|out of range/],
    ['a price delta below zero', '021407010005010010000b0100', /outside its range/],
    ['a bid below zero', '011407010005010b', /outside its range/],
  ])('refuses %s without throwing', (_name, body, error) => {
    const r = decodeFrame(withBody(body));
    expect(r).toMatchObject({ ok: false, error: expect.stringMatching(error) });
    expect(visitTicks(withBody(body), () => {})).toMatchObject({ ok: false });
  });
});

const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const SENT = 1_767_225_600_123;
/** Ticks whose event times are whole microseconds from the send time (what round-trips exactly). */
const exactTick: fc.Arbitrary<Tick> = fc.record({
  symbolId: fc.oneof(fc.constantFrom(1, 2), u16),
  flags: fc.oneof(fc.constantFrom(0, 1), u16),
  seq: u32,
  eventTimeMs: fc.integer({ min: -(2 ** 45), max: 2 ** 45 }).map((us) => SENT - us / 1000) as fc.Arbitrary<never>,
  price: u32 as fc.Arbitrary<never>,
  size: u32 as fc.Arbitrary<never>,
  bid: u32 as fc.Arbitrary<never>,
  ask: u32 as fc.Arbitrary<never>,
});
/** Runs of one symbol with consecutive seqs and nearby prices: the shape the server sends most. */
const runArb = fc
  .record({
    symbolId: u16,
    seq: fc.integer({ min: 0, max: 0xffff_fff0 }),
    price: fc.integer({ min: 100, max: 1e9 }),
    steps: fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 1, maxLength: 8 }),
  })
  .map(({ symbolId, seq, price, steps }) =>
    steps.map((d, i): Tick => ({
      symbolId,
      flags: 0,
      seq: seq + i,
      eventTimeMs: (SENT - (steps.length - i) * 1.5) as never,
      price: (price + d) as never,
      size: (i * 37) as never,
      bid: (price + d - 1) as never,
      ask: (price + d + 2) as never,
    })),
  );

describe('compact properties', () => {
  it('round-trips any ticks exactly when times are whole microseconds, and refuses every strict prefix', () => {
    fc.assert(
      fc.property(u32, fc.oneof(fc.array(exactTick, { maxLength: 12 }), runArb), (epoch, ticks) => {
        const raw = encodeCompactUpdates(epoch, SENT, ticks);
        const r = decodeFrame(raw);
        expect(r.ok && r.value.type === FrameType.UpdatesCompact && r.value.ticks).toEqual(ticks);
        for (let n = 0; n < raw.length; n++) expect(decodeFrame(raw.subarray(0, n)).ok).toBe(false);
      }),
      { numRuns: 400 },
    );
  });

  it('keeps any event time to the microsecond', () => {
    const near = fc.double({ min: -1e9, max: 1e9, noNaN: true }).map((d) => SENT + d);
    fc.assert(
      fc.property(fc.array(near, { minLength: 1, maxLength: 5 }), (times) => {
        const ticks = times.map((t, i): Tick => ({
          symbolId: 1,
          flags: 0,
          seq: i,
          eventTimeMs: t as never,
          price: 1 as never,
          size: 1 as never,
          bid: 1 as never,
          ask: 1 as never,
        }));
        const r = decodeFrame(encodeCompactUpdates(1, SENT, ticks));
        expect(r.ok).toBe(true);
        if (r.ok && r.value.type === FrameType.UpdatesCompact)
          r.value.ticks.forEach((t, i) => expect(Math.abs(t.eventTimeMs - times[i]!)).toBeLessThan(0.0006));
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on arbitrary bodies after a compact header', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (body) => {
        const raw = new Uint8Array(COMPACT_HEADER_SIZE + body.length);
        raw.set(bytes(golden('updates-compact').hex).subarray(0, COMPACT_HEADER_SIZE));
        raw.set(body, COMPACT_HEADER_SIZE);
        expect(typeof decodeFrame(raw).ok).toBe('boolean');
        expect(() => visitTicks(raw, () => {})).not.toThrow();
      }),
      { numRuns: 3000 },
    );
  });
});
