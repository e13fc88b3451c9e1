// Resilience accounting: a scripted stream with conflated records (legitimate jumps), a seq gap, a gap
// revealed only by a Heartbeat, and the fresh snapshot that repairs it. The accounting must report exactly
// those, ask for a repair once per loss (never for a conflated jump), and count nothing else.
import { describe, expect, it } from 'vitest';
import { RESYNC_AFTER_MS } from '@tickwire/client/continuity';
import type { Transport } from '@tickwire/client/transport/types';
import { encodeHeartbeat } from '@tickwire/protocol/codec';
import { TickFlag } from '@tickwire/protocol/messages';
import { StreamAccounting } from '../src/accounting.js';
import { installResync } from '../src/adapters/resync.js';
import type { ClientHooks } from '../src/adapters/types.js';
import { AccountingSink } from '../src/counters.js';
import { T, snapshotFrame, updatesFrame } from './scripted-frames.js';

const E = 7;
const updates = (symbolId: number, seqs: number[], flags = 0): Uint8Array => updatesFrame(E, symbolId, seqs, flags);
const snapshot = (symbolId: number, seq: number): Uint8Array => snapshotFrame(E, symbolId, seq);

describe('resilience accounting', () => {
  it('counts conflated jumps apart, reports heartbeat-revealed and seq gaps, and the resync that repairs them', () => {
    const sink = new AccountingSink();
    const s = new StreamAccounting(sink);
    const losses: number[] = [];
    s.onLoss = (id) => {
      losses.push(id);
      sink.counters.resyncs++;
    };
    const feed = (f: Uint8Array): void => void expect(s.tickwireFrame(f, T + 5)).toBe(true);

    feed(snapshot(1, 10));
    feed(snapshot(2, 50));
    feed(updates(1, [11, 12]));
    feed(updates(1, [20], TickFlag.Conflated)); // slow-consumer conflation: 13..19 skipped on purpose
    feed(updates(1, [21]));
    feed(
      encodeHeartbeat(E, T, [
        { symbolId: 1, seq: 21 },
        { symbolId: 2, seq: 50 },
      ]),
    ); // all caught up
    feed(updates(2, [51]));
    feed(encodeHeartbeat(E, T, [{ symbolId: 2, seq: 53 }])); // 52, 53 lost at the tail: only the heartbeat tells
    feed(snapshot(2, 53)); // the re-subscribe's fresh snapshot
    feed(updates(2, [54]));
    feed(updates(1, [22, 25])); // 23, 24 lost mid-stream
    feed(snapshot(1, 25));
    feed(updates(1, [26, 27], TickFlag.Conflated)); // a conflated record may also be the plain next seq
    feed(
      encodeHeartbeat(E, T, [
        { symbolId: 1, seq: 27 },
        { symbolId: 2, seq: 54 },
      ]),
    );

    const c = sink.counters;
    expect(losses).toEqual([2, 1]);
    expect(c.resyncs).toBe(2);
    expect(c.conflatedTicks).toBe(3);
    expect(c.conflatedSkipped).toBe(7);
    expect(c.heartbeatAhead).toBe(1);
    expect(c.gapEvents).toBe(1);
    expect(c.missing).toBe(2);
    expect(c.snapshots).toBe(4);
    expect(c.snapshotResets).toBe(2);
    expect(c.duplicates).toBe(0);
    expect(c.outOfOrder).toBe(0);
    expect(c.heartbeats).toBe(3);
    expect(c.ticks).toBe(10);
    expect(s.lastSeq(1)).toBe(27);
    expect(s.lastSeq(2)).toBe(54);
  });

  it("repairs by the dashboard's rule: one re-subscribe in flight per symbol, again after its snapshot or RESYNC_AFTER_MS", () => {
    const sink = new AccountingSink();
    const stream = new StreamAccounting(sink);
    const sent: unknown[] = [];
    const transport: Transport = { kind: 'sse', control: (text) => void sent.push(JSON.parse(text)), close: () => {} };
    const hooks: ClientHooks = { stream, opened: () => {}, received: () => {}, closed: () => {}, failed: () => {} };
    let now = 0;
    installResync(hooks, transport, [{ id: 1, ticker: 'S1' }], 0, () => now, true);
    const feed = (f: Uint8Array): void => void expect(stream.tickwireFrame(f, T)).toBe(true);

    feed(snapshot(1, 10));
    feed(updates(1, [13])); // 11, 12 lost: asks
    feed(encodeHeartbeat(E, T, [{ symbolId: 1, seq: 14 }])); // more of the same loss, before the snapshot: no second ask
    feed(updates(1, [16]));
    expect(sink.counters.resyncs).toBe(1);
    now += RESYNC_AFTER_MS; // unanswered that long: ask again
    feed(updates(1, [18]));
    expect(sink.counters.resyncs).toBe(2);
    feed(snapshot(1, 18)); // the answer
    now += 1;
    feed(updates(1, [20])); // a new loss right after it: asks at once
    const c = sink.counters;
    expect(c.resyncs).toBe(3);
    expect(c.requests).toBe(3); // each control of an SSE session is an HTTP request
    expect(sent).toEqual([1, 2, 3].map((n) => expect.objectContaining({ op: 'subscribe', symbols: ['S1'], id: n + 1 })));
  });
});
