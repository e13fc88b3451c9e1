// The gateway's stitching rules without a bus: scripted Updates frames, heartbeats and snapshot replies
// (gaps, duplicates, out-of-order arrival, epoch changes, superseded replies) go into a Stitcher over a
// real Fanout, and what the fan-out publishes to clients must be one unbroken seq per symbol, broken
// only where clients are told to take a fresh snapshot.
import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeHeartbeat, encodeSnapshot, encodeUpdates, type SnapshotBody } from '@tickwire/protocol/codec';
import { joinFrames, splitFrames } from '@tickwire/protocol/framing';
import { FrameType, type Tick } from '@tickwire/protocol/messages';
import type { InstrumentInfo } from '@tickwire/protocol/instruments';
import type { EpochMs, PriceTicks, SizeLots } from '@tickwire/protocol/units';
import { Fanout } from '@tickwire/core/fanout';
import { MAX_SYNC_BUFFER_FRAMES, Stitcher, type FrameOutcome, type SyncReason } from '../../src/nats/stitcher.js';

const T0 = 1_700_000_000_000;
const E1 = 11;
const E2 = 22;
const A = 0;
const B = 1;
const INSTRUMENTS: InstrumentInfo[] = [
  { id: A, ticker: 'AAA', name: 'A Corp', assetClass: 'equity', priceScale: 2, sizeScale: 0 },
  { id: B, ticker: 'BBB', name: 'B Corp', assetClass: 'equity', priceScale: 2, sizeScale: 0 },
];

function tick(symbolId: number, seq: number): Tick {
  return {
    symbolId,
    seq,
    flags: 0,
    eventTimeMs: (T0 + seq) as EpochMs,
    price: (10_000 + seq) as PriceTicks,
    size: 1 as SizeLots,
    bid: 9_999 as PriceTicks,
    ask: 10_001 as PriceTicks,
  };
}

/** Updates frame of seqs from..to (inclusive) of one symbol. */
function upd(epoch: number, symbolId: number, from: number, to: number): Uint8Array {
  const ticks: Tick[] = [];
  for (let s = from; s <= to; s++) ticks.push(tick(symbolId, s));
  return encodeUpdates(epoch, T0, ticks);
}

/** A feed's snapshot reply at `seq`, with its recent ticks from `historyFrom` (none when null). */
function snap(epoch: number, symbolId: number, seq: number, historyFrom: number | null = null): Uint8Array {
  const body: SnapshotBody = {
    symbolId,
    ticker: INSTRUMENTS[symbolId]!.ticker,
    priceScale: 2,
    sizeScale: 0,
    seq,
    lastTimeMs: (T0 + seq) as EpochMs,
    last: (10_000 + seq) as PriceTicks,
    lastSize: 1 as SizeLots,
    bid: 9_999 as PriceTicks,
    ask: 10_001 as PriceTicks,
    open: 10_000 as PriceTicks,
    high: 10_000 as PriceTicks,
    low: 10_000 as PriceTicks,
    volume: seq,
    sessionStartMs: T0 as EpochMs,
    candles: [],
  };
  const frames = [encodeSnapshot(epoch, T0, body)];
  if (historyFrom !== null && seq >= historyFrom) frames.push(upd(epoch, symbolId, historyFrom, seq));
  return joinFrames(frames);
}

function hb(epoch: number, entries: Array<[number, number]>): Uint8Array {
  return encodeHeartbeat(
    epoch,
    T0,
    entries.map(([symbolId, seq]) => ({ symbolId, seq })),
  );
}

function seqsOf(frame: Uint8Array): number[] {
  const decoded = decodeFrame(frame);
  if (!decoded.ok || decoded.value.type !== FrameType.Updates) throw new Error('published something other than Updates');
  return decoded.value.ticks.map((t) => t.seq);
}

/**
 * A stitcher over a real fan-out, recording what clients would see: every published frame's seqs, every
 * fresh-snapshot notice (refreshed) and every restore of state from a snapshot. The client-side rule is
 * checked on every publish: a frame continues the last one, unless state was restored since.
 */
function setup() {
  const fanout = new Fanout(INSTRUMENTS, E1, 10, 64);
  const published: Array<[number, number[]]> = [];
  const requests: Array<{ id: number; generation: number; reason: SyncReason }> = [];
  const outcomes: FrameOutcome[] = [];
  const refreshed: number[] = [];
  const epochs: Array<[number, number]> = [];
  const restores: Array<[number, number]> = [];
  const lastSeen = new Map<number, number>();
  const restore = fanout.restore.bind(fanout);
  fanout.restore = (body, records, count) => {
    restores.push([body.symbolId, body.seq]);
    lastSeen.set(body.symbolId, body.seq);
    restore(body, records, count);
  };
  fanout.addSink({
    publish(id, frame) {
      const seqs = seqsOf(frame);
      expect(seqs[0], `symbol ${id} continues its stream`).toBe((lastSeen.get(id) ?? Number.NaN) + 1);
      lastSeen.set(id, seqs[seqs.length - 1]!);
      published.push([id, seqs]);
    },
    endOfBatch() {},
  });
  const stitcher = new Stitcher(
    fanout,
    {
      requestSnapshot: (id, generation, reason) => requests.push({ id, generation, reason }),
      frame: (outcome) => outcomes.push(outcome),
      epochChanged: (from, to) => epochs.push([from, to]),
      refreshed: (id) => refreshed.push(id),
    },
    () => T0,
  );
  const lastRequest = (id: number) => {
    const r = requests.filter((q) => q.id === id).at(-1);
    if (r === undefined) throw new Error(`no snapshot request for ${id}`);
    return r;
  };
  const seqs = (id: number) => published.filter(([i]) => i === id).flatMap(([, s]) => s);
  return { fanout, stitcher, published, requests, outcomes, refreshed, epochs, restores, lastRequest, seqs };
}

describe('Stitcher', () => {
  it('buffers while the first snapshot is awaited, then applies only what follows it', () => {
    const t = setup();
    let readyCalls = 0;
    t.stitcher.hold(A);
    expect(t.requests).toEqual([{ id: A, generation: 1, reason: 'interest' }]);
    t.stitcher.whenReady([A], () => readyCalls++);
    expect(t.stitcher.ready(A)).toBe(false);
    // Frames published while the request travels: 11-12 end up inside the snapshot, 13-14 after it.
    expect(t.stitcher.frame(A, upd(E1, A, 11, 12))).toBe(true);
    expect(t.stitcher.frame(A, upd(E1, A, 13, 14))).toBe(true);
    expect(t.published).toEqual([]);
    expect(t.stitcher.snapshot(A, 1, snap(E1, A, 12, 5))).toBe('applied');
    expect(t.restores).toEqual([[A, 12]]);
    expect(t.seqs(A)).toEqual([13, 14]);
    expect(t.stitcher.ready(A)).toBe(true);
    expect(readyCalls).toBe(1);
    expect(t.refreshed).toEqual([]); // nobody held the symbol before its first snapshot
    expect(t.outcomes).toEqual(['buffered', 'buffered', 'stale', 'relayed']);
    expect(t.fanout.states[A]!.seq).toBe(14);
  });

  it('drops duplicates and late old frames without resyncing', () => {
    const t = setup();
    t.stitcher.hold(A);
    t.stitcher.snapshot(A, 1, snap(E1, A, 10));
    t.stitcher.frame(A, upd(E1, A, 11, 12));
    t.stitcher.frame(A, upd(E1, A, 11, 12)); // duplicate
    t.stitcher.frame(A, upd(E1, A, 13, 13));
    t.stitcher.frame(A, upd(E1, A, 12, 12)); // an old frame arriving late: already held
    expect(t.seqs(A)).toEqual([11, 12, 13]);
    expect(t.outcomes).toEqual(['relayed', 'stale', 'relayed', 'stale']);
    expect(t.requests).toHaveLength(1);
  });

  it('bridges a gap with the snapshot’s recent ticks, so clients keep their continuity', () => {
    const t = setup();
    t.stitcher.hold(A);
    t.stitcher.snapshot(A, 1, snap(E1, A, 10));
    t.stitcher.frame(A, upd(E1, A, 11, 12));
    // 13-14 lost on the bus.
    t.stitcher.frame(A, upd(E1, A, 15, 16));
    expect(t.lastRequest(A)).toEqual({ id: A, generation: 2, reason: 'gap' });
    t.stitcher.frame(A, upd(E1, A, 17, 18));
    expect(t.stitcher.ready(A)).toBe(true); // still serving the state it holds while it repairs
    expect(t.stitcher.snapshot(A, 2, snap(E1, A, 16, 3))).toBe('applied');
    // 13-16 relayed as one bridging frame, then the buffered 17-18 (15-16 is inside the snapshot).
    expect(t.published.filter(([id]) => id === A).map(([, s]) => s)).toEqual([
      [11, 12],
      [13, 14, 15, 16],
      [17, 18],
    ]);
    expect(t.restores).toEqual([[A, 10]]);
    expect(t.refreshed).toEqual([]);
  });

  it('sends holders a fresh snapshot when the recent ticks do not reach back to the hole', () => {
    const t = setup();
    t.stitcher.hold(A);
    t.stitcher.snapshot(A, 1, snap(E1, A, 10));
    t.stitcher.frame(A, upd(E1, A, 11, 11));
    t.stitcher.frame(A, upd(E1, A, 40, 41));
    expect(t.stitcher.snapshot(A, 2, snap(E1, A, 41, 30))).toBe('applied');
    expect(t.restores).toEqual([
      [A, 10],
      [A, 41],
    ]);
    expect(t.refreshed).toEqual([A]);
    t.stitcher.frame(A, upd(E1, A, 42, 42));
    expect(t.seqs(A)).toEqual([11, 42]);
  });

  it('handles out-of-order arrival: a later frame first opens a sync, the earlier one is buffered and folded in', () => {
    const t = setup();
    t.stitcher.hold(A);
    t.stitcher.snapshot(A, 1, snap(E1, A, 10));
    t.stitcher.frame(A, upd(E1, A, 13, 14)); // overtook 11-12
    t.stitcher.frame(A, upd(E1, A, 11, 12));
    t.stitcher.frame(A, upd(E1, A, 15, 15));
    expect(t.published).toEqual([]);
    t.stitcher.snapshot(A, 2, snap(E1, A, 14, 1));
    expect(t.seqs(A)).toEqual([11, 12, 13, 14, 15]);
    expect(t.refreshed).toEqual([]);
  });

  it('resyncs when a heartbeat shows a lost last frame, and only then', () => {
    const t = setup();
    t.stitcher.hold(A);
    t.stitcher.hold(B);
    t.stitcher.snapshot(A, 1, snap(E1, A, 10));
    t.stitcher.snapshot(B, 1, snap(E1, B, 5));
    expect(
      t.stitcher.heartbeat(
        hb(E1, [
          [A, 10],
          [B, 5],
        ]),
      ),
    ).toBe(true);
    expect(t.requests).toHaveLength(2);
    // B's frame 6 was lost and nothing followed it: only the heartbeat reveals it.
    t.stitcher.heartbeat(
      hb(E1, [
        [A, 10],
        [B, 6],
      ]),
    );
    expect(t.lastRequest(B)).toEqual({ id: B, generation: 2, reason: 'heartbeat' });
    expect(t.requests).toHaveLength(3);
    t.stitcher.snapshot(B, 2, snap(E1, B, 6, 1));
    expect(t.seqs(B)).toEqual([6]);
    expect(t.stitcher.heartbeat(new Uint8Array([1, 4, 0]))).toBe(false);
  });

  it('moves to a new epoch seen in a frame, resyncs every held symbol and never switches back', () => {
    const t = setup();
    t.stitcher.hold(A);
    t.stitcher.hold(B);
    t.stitcher.snapshot(A, 1, snap(E1, A, 10));
    t.stitcher.snapshot(B, 1, snap(E1, B, 20));
    t.stitcher.frame(A, upd(E1, A, 11, 11));
    // The feed restarted: its seqs start over.
    expect(t.stitcher.frame(A, upd(E2, A, 1, 2))).toBe(true);
    expect(t.epochs).toEqual([[E1, E2]]);
    expect(t.fanout.epoch).toBe(E2);
    expect(t.stitcher.ready(A)).toBe(false);
    expect(t.stitcher.ready(B)).toBe(false);
    expect(t.requests.slice(-2).map((r) => [r.id, r.reason])).toEqual([
      [A, 'epoch'],
      [B, 'epoch'],
    ]);
    // A straggler of the old feed is dropped, and so is a heartbeat from it.
    expect(t.stitcher.frame(B, upd(E1, B, 21, 21))).toBe(false);
    expect(t.stitcher.heartbeat(hb(E1, [[B, 21]]))).toBe(false);
    expect(t.fanout.epoch).toBe(E2);
    expect(t.stitcher.snapshot(A, t.lastRequest(A).generation, snap(E2, A, 2))).toBe('applied');
    expect(t.stitcher.snapshot(B, t.lastRequest(B).generation, snap(E2, B, 0))).toBe('applied');
    expect(t.refreshed).toEqual([A, B]);
    t.stitcher.frame(A, upd(E2, A, 3, 3));
    expect(t.seqs(A)).toEqual([11, 3]);
  });

  it('moves to a new epoch seen in a snapshot reply; replies to superseded attempts are ignored', () => {
    const t = setup();
    t.stitcher.hold(A);
    t.stitcher.snapshot(A, 1, snap(E1, A, 10));
    t.stitcher.frame(A, upd(E1, A, 12, 12)); // gap → generation 2
    expect(t.stitcher.snapshot(A, 2, snap(E2, A, 4))).toBe('epoch');
    const current = t.lastRequest(A);
    expect(current).toEqual({ id: A, generation: 3, reason: 'epoch' });
    expect(t.stitcher.snapshot(A, 2, snap(E1, A, 12, 1))).toBe('ignored');
    expect(t.stitcher.current(A, 2)).toBe(false);
    expect(t.stitcher.current(A, 3)).toBe(true);
    // A reply of the replaced feed to the current attempt is unusable; the gateway asks again.
    expect(t.stitcher.snapshot(A, 3, snap(E1, A, 12))).toBe('retired');
    expect(t.stitcher.snapshot(A, 3, snap(E2, A, 4))).toBe('applied');
    expect(t.fanout.states[A]!.seq).toBe(4);
  });

  it('rejects replies that are not this symbol’s snapshot', () => {
    const t = setup();
    t.stitcher.hold(A);
    expect(t.stitcher.snapshot(A, 1, snap(E1, B, 10))).toBe('malformed');
    expect(t.stitcher.snapshot(A, 1, upd(E1, A, 1, 1))).toBe('malformed');
    expect(t.stitcher.snapshot(A, 1, joinFrames([upd(E1, A, 1, 1)]))).toBe('malformed');
    expect(t.stitcher.ready(A)).toBe(false);
    // A history frame that does not end at the snapshot's seq is ignored; the snapshot still counts.
    const reply = splitFrames(snap(E1, A, 10));
    if (!reply.ok) throw new Error(reply.error);
    expect(t.stitcher.snapshot(A, 1, joinFrames([...reply.value, upd(E1, A, 1, 9)]))).toBe('applied');
    expect(t.fanout.histories[A]!.oldestSeq).toBe(0);
  });

  it('counts a malformed frame and ignores frames of symbols it does not hold', () => {
    const t = setup();
    expect(t.stitcher.frame(A, upd(E1, A, 1, 1))).toBe(false);
    t.stitcher.hold(A);
    expect(t.stitcher.frame(A, new Uint8Array(10))).toBe(false);
    expect(t.outcomes).toEqual(['malformed']);
  });

  it('forgets a released symbol: state reset, late replies ignored, the next hold starts over', () => {
    const t = setup();
    t.stitcher.hold(A);
    t.stitcher.snapshot(A, 1, snap(E1, A, 10, 5));
    t.stitcher.frame(A, upd(E1, A, 12, 12)); // gap → generation 2
    t.stitcher.release(A);
    expect(t.stitcher.isHeld(A)).toBe(false);
    expect(t.fanout.states[A]!.seq).toBe(0);
    expect(t.stitcher.snapshot(A, 2, snap(E1, A, 12))).toBe('ignored');
    expect(t.stitcher.frame(A, upd(E1, A, 13, 13))).toBe(false);
    t.stitcher.hold(A);
    expect(t.lastRequest(A).reason).toBe('interest');
    t.stitcher.snapshot(A, t.lastRequest(A).generation, snap(E1, A, 13));
    expect(t.refreshed).toEqual([]); // released state was not anyone's any more
  });

  it('keeps at most MAX_SYNC_BUFFER_FRAMES while syncing; the hole left by the oldest resyncs again', () => {
    const t = setup();
    t.stitcher.hold(A);
    for (let s = 1; s <= MAX_SYNC_BUFFER_FRAMES + 2; s++) t.stitcher.frame(A, upd(E1, A, s, s));
    t.stitcher.snapshot(A, 1, snap(E1, A, 0));
    // Frames 1 and 2 were dropped from the buffer: frame 3 does not continue seq 0.
    expect(t.lastRequest(A)).toEqual({ id: A, generation: 2, reason: 'gap' });
    t.stitcher.snapshot(A, 2, snap(E1, A, MAX_SYNC_BUFFER_FRAMES + 2, 1));
    expect(t.fanout.states[A]!.seq).toBe(MAX_SYNC_BUFFER_FRAMES + 2);
  });

  it('keeps one unbroken stream through a scripted lossy, duplicating, reordering bus', () => {
    const t = setup();
    let rng = 12345;
    const random = () => (rng = (rng * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    t.stitcher.hold(A);
    let truth = 0;
    let held: Uint8Array | null = null;
    let answered = 0;
    for (let step = 0; step < 3000; step++) {
      const n = 1 + Math.floor(random() * 3);
      const frame = upd(E1, A, truth + 1, truth + n);
      truth += n;
      const r = random();
      if (r < 0.05) {
        // lost
      } else if (r < 0.1) {
        t.stitcher.frame(A, frame);
        t.stitcher.frame(A, frame);
      } else if (r < 0.15 && held === null) {
        held = frame; // delivered after the next one
        continue;
      } else {
        t.stitcher.frame(A, frame);
      }
      if (held !== null) {
        t.stitcher.frame(A, held);
        held = null;
      }
      if (step % 10 === 0) t.stitcher.heartbeat(hb(E1, [[A, truth]]));
      const request = t.lastRequest(A);
      if (t.stitcher.current(A, request.generation) && random() < 0.3) {
        // The feed answers with what it published so far and its last 20 ticks.
        t.stitcher.snapshot(A, request.generation, snap(E1, A, truth, Math.max(1, truth - 19)));
        answered++;
      }
    }
    t.stitcher.heartbeat(hb(E1, [[A, truth]]));
    const last = t.lastRequest(A);
    if (t.stitcher.current(A, last.generation)) t.stitcher.snapshot(A, last.generation, snap(E1, A, truth, truth - 19));
    expect(t.fanout.states[A]!.seq).toBe(truth);
    expect(answered).toBeGreaterThan(10);
    // Most holes were bridged from the recent ticks; the rest told clients to take a fresh snapshot.
    expect(t.restores.length - 1).toBe(t.refreshed.length);
    expect(t.seqs(A).length + (t.restores.length - 1) * 20).toBeGreaterThan(truth * 0.5);
  });
});
