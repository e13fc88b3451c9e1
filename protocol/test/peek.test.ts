// The relay's frame peeks: header facts read without decoding must agree with the codec, and anything
// not well-formed (every truncation, wrong type, non-contiguous seqs) must read as null, never throw.
import { describe, expect, it } from 'vitest';
import { encodeHeartbeat, encodeUpdates } from '../src/codec.js';
import { heartbeatEpoch, peekUpdates, recordsAfter, recordsEndingAt, visitHeartbeat } from '../src/peek.js';
import type { Tick } from '../src/messages.js';
import type { EpochMs, PriceTicks, SizeLots } from '../src/units.js';

const tick = (seq: number): Tick => ({
  symbolId: 3,
  seq,
  flags: 0,
  eventTimeMs: 1 as EpochMs,
  price: 100 as PriceTicks,
  size: 1 as SizeLots,
  bid: 99 as PriceTicks,
  ask: 101 as PriceTicks,
});
const updates = (...seqs: number[]) => encodeUpdates(9, 0, seqs.map(tick));

describe('frame peeks', () => {
  it('reads an Updates frame’s epoch, count and seq range', () => {
    expect(peekUpdates(updates(5, 6, 7))).toEqual({ epoch: 9, count: 3, firstSeq: 5, lastSeq: 7 });
  });

  it('reads anything else as null', () => {
    const frame = updates(5, 6);
    for (let n = 0; n < frame.length; n++) expect(peekUpdates(frame.subarray(0, n))).toBeNull();
    expect(peekUpdates(updates(5, 7))).toBeNull(); // not contiguous
    expect(peekUpdates(updates())).toBeNull();
    expect(peekUpdates(encodeHeartbeat(9, 0, []))).toBeNull();
  });

  it('cuts records after a seq, or says they do not reach back', () => {
    const records = recordsEndingAt(updates(5, 6, 7), 7);
    expect(records.length).toBe(96);
    expect(recordsEndingAt(updates(5, 6, 7), 8).length).toBe(0);
    expect(recordsEndingAt(undefined, 7).length).toBe(0);
    expect(recordsAfter(records, 7, 5)?.count).toBe(2);
    expect(recordsAfter(records, 7, 4)?.count).toBe(3);
    expect(recordsAfter(records, 7, 7)?.count).toBe(0);
    expect(recordsAfter(records, 7, 3)).toBeNull();
    expect(recordsAfter(records, 7, 8)).toBeNull();
  });

  it('visits heartbeat entries of a well-formed heartbeat only', () => {
    const frame = encodeHeartbeat(4, 0, [
      { symbolId: 1, seq: 10 },
      { symbolId: 2, seq: 20 },
    ]);
    const seen: Array<[number, number]> = [];
    expect(heartbeatEpoch(frame)).toBe(4);
    expect(visitHeartbeat(frame, (id, seq) => seen.push([id, seq]))).toBe(true);
    expect(seen).toEqual([
      [1, 10],
      [2, 20],
    ]);
    for (let n = 0; n < frame.length; n++) expect(visitHeartbeat(frame.subarray(0, n), () => expect.fail('visited a truncated frame'))).toBe(false);
    expect(heartbeatEpoch(updates(1))).toBeNull();
  });
});
