// The market core's snapshot replies to gateways come from the shared snapshot cache: gateways asking
// between two batches get the same bytes (one encoding), and a reply never carries a stale seq — after
// every published batch the next reply's Snapshot holds the new seq, and its trailing Updates end there.
import { describe, expect, it } from 'vitest';
import { decodeFrame } from '@tickwire/protocol/codec';
import { splitFrames } from '@tickwire/protocol/framing';
import { FrameType, type Tick } from '@tickwire/protocol/messages';
import type { EpochMs, PriceTicks, SizeLots } from '@tickwire/protocol/units';
import type { InstrumentInfo } from '@tickwire/protocol/instruments';
import type { Bus } from '../src/nats/bus.js';
import { MarketCore } from '../src/nats/feed-publisher.js';
import { snapshotSubject } from '../src/nats/subjects.js';

const instruments = [{ id: 0, ticker: 'ACME', name: 'Acme', assetClass: 'equity', priceScale: 2, sizeScale: 0 }] as unknown as InstrumentInfo[];

/** A bus that only remembers what the core serves, so a test can ask it directly. */
function fakeBus(): { bus: Bus; ask(subject: string, data?: Uint8Array): Uint8Array } {
  const handlers: Array<{ subject: string; handler: (data: Uint8Array, subject: string) => Uint8Array }> = [];
  const bus: Bus = {
    name: 'fake',
    connected: true,
    maxPayload: 1024 * 1024,
    publish: () => {},
    subscribe: () => ({ unsubscribe: () => {} }),
    serve: (subject, handler) => {
      handlers.push({ subject, handler });
      return { unsubscribe: () => {} };
    },
    request: () => Promise.reject(new Error('not in this test')),
    onStatus: () => {},
    flush: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
  const ask = (subject: string, data = new Uint8Array()): Uint8Array => {
    const h = handlers.find((x) => (x.subject.endsWith('.*') ? subject.startsWith(x.subject.slice(0, -1)) : x.subject === subject));
    if (h === undefined) throw new Error(`nothing serves ${subject}`);
    return h.handler(data, subject);
  };
  return { bus, ask };
}

function tick(seq: number): Tick {
  return {
    symbolId: 0,
    flags: 0,
    seq,
    eventTimeMs: (1_000_000 + seq * 10) as EpochMs,
    price: (1000 + seq) as PriceTicks,
    size: 1 as SizeLots,
    bid: (999 + seq) as PriceTicks,
    ask: (1001 + seq) as PriceTicks,
  };
}

describe('MarketCore snapshot replies', () => {
  it('share one encoding between batches and never serve a stale seq', () => {
    const { bus, ask } = fakeBus();
    const log = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} } as never;
    const core = new MarketCore({
      bus,
      instruments,
      epoch: 5,
      candleCapacity: 50,
      resumeTicks: 100,
      batchMs: 20,
      heartbeatMs: 60_000,
      feedId: 'test',
      log,
      now: () => 2_000_000,
    });
    core.start();
    try {
      const reply = (): { snapshot: Uint8Array; seq: number; lastReplayed: number | null } => {
        const frames = splitFrames(ask(snapshotSubject(0)));
        if (!frames.ok) throw new Error(frames.error);
        const snap = decodeFrame(frames.value[0]!);
        if (!snap.ok || snap.value.type !== FrameType.Snapshot) throw new Error('no snapshot first');
        const updates = frames.value[1] === undefined ? null : decodeFrame(frames.value[1]);
        const ticks = updates?.ok && updates.value.type === FrameType.Updates ? updates.value.ticks : [];
        return { snapshot: frames.value[0]!, seq: snap.value.seq, lastReplayed: ticks.at(-1)?.seq ?? null };
      };
      let seq = 0;
      for (let batch = 1; batch <= 20; batch++) {
        for (let i = 0; i < batch % 4; i++) core.fanout.ingest(tick(++seq));
        core.publishBatch(2_000_000 + batch * 20);
        const a = reply();
        const b = reply();
        expect(a.seq).toBe(core.fanout.states[0]!.seq);
        if (seq > 0) expect(a.lastReplayed).toBe(a.seq);
        // Same state: the same bytes (from the cache, encoded once).
        expect(Buffer.from(b.snapshot).equals(Buffer.from(a.snapshot))).toBe(true);
      }
      // The state moved on many times while replies were served from the cache.
      expect(core.fanout.states[0]!.seq).toBeGreaterThanOrEqual(25);
      expect(core.stats.snapshotsServed).toBe(40);
    } finally {
      core.close();
    }
  });
});
