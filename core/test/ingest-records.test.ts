// The ingest core's binary form (32-byte records, the WebSocket and NATS doors' fast path): applied with the
// same seqs as JSON lines, each bad record rejected with the JSON reason it would get, ids shared with
// integer JSON ids, and the same all-or-nothing queue check.
import { describe, expect, it } from 'vitest';
import { decodeFrame } from '@tickwire/protocol/codec';
import { tradeRecords } from '@tickwire/protocol/ingest-wire';
import type { Tick } from '@tickwire/protocol/messages';
import { Fanout } from '../src/fanout.js';
import { IngestCore, type IngestInstrument } from '../src/ingest.js';

const NOW = Date.UTC(2026, 0, 5, 12, 0, 0);
const instruments: IngestInstrument[] = [
  { id: 0, ticker: 'ACME', name: 'Acme', assetClass: 'equity', priceScale: 2, sizeScale: 0, tickSize: 1, source: 'ingest' },
  { id: 1, ticker: 'SIM', name: 'Simulated', assetClass: 'equity', priceScale: 2, sizeScale: 0, tickSize: 1, source: 'sim' },
  { id: 2, ticker: 'NICKEL', name: 'Five-cent grid', assetClass: 'equity', priceScale: 2, sizeScale: 0, tickSize: 5, source: 'ingest' },
];

function setup(queueLength = 1000) {
  const fanout = new Fanout(instruments, 7, 100, 100);
  const ticks: Tick[] = [];
  fanout.addSink({
    publish: (_id, frame) => {
      const f = decodeFrame(frame);
      if (f.ok && f.value.type === 3) ticks.push(...f.value.ticks);
    },
    endOfBatch: () => {},
  });
  const core = new IngestCore(instruments, { maxFutureMs: 10_000, dedupWindow: 1000, queueLength });
  core.start(fanout);
  const flush = () => {
    fanout.flush(NOW);
    core.windowClosed();
  };
  return { core, ticks, flush, fanout };
}

describe('IngestCore.submitRecords', () => {
  it('applies records as ticks: units as sent, ts 0 = now, no quote = at the price', () => {
    const { core, ticks, flush } = setup();
    const r = core.submitRecords(
      tradeRecords([
        { symbolId: 0, price: 12345, size: 10, ts: NOW - 1000, id: 1 },
        { symbolId: 0, price: 12346, size: 3, bid: 12340, ask: 12350 },
        { symbolId: 2, price: 105, size: 1, ts: NOW },
      ]),
      NOW,
    );
    flush();
    expect(r).toEqual({ ok: true, result: { accepted: 3, rejected: 0, reasons: {}, errors: [] } });
    expect(ticks.map((t) => [t.symbolId, t.seq, t.eventTimeMs, t.price, t.size, t.bid, t.ask])).toEqual([
      [0, 1, NOW - 1000, 12345, 10, 12345, 12345],
      [0, 2, NOW, 12346, 3, 12340, 12350],
      [2, 1, NOW, 105, 1, 105, 105],
    ]);
  });

  it('rejects each bad record with its reason, applies the good ones around it, and changes nothing for the bad ones', () => {
    const { core, ticks, flush } = setup();
    const bytes = tradeRecords([
      { symbolId: 0, price: 100, size: 1, ts: NOW - 5000, id: 7 },
      { symbolId: 9, price: 100, size: 1 },
      { symbolId: 1, price: 100, size: 1 },
      { symbolId: 0, price: 100, size: 1, id: 7 },
      { symbolId: 0, price: 0, size: 1 },
      { symbolId: 2, price: 101, size: 1 },
      { symbolId: 0, price: 100, size: 0 },
      { symbolId: 0, price: 100, size: 1, bid: 99 },
      { symbolId: 0, price: 100, size: 1, bid: 101, ask: 100 },
      { symbolId: 0, price: 100, size: 1, ts: 1_000_000 },
      { symbolId: 0, price: 100, size: 1, ts: NOW + 60_000 },
      { symbolId: 0, price: 100, size: 1, ts: NOW - 9000 },
      { symbolId: 0, price: 101, size: 2, ts: NOW - 4000, id: 8 },
    ]);
    // Reserved flags must be 0: a 14th record with flags 1.
    const flagged = tradeRecords([{ symbolId: 0, price: 100, size: 1 }]);
    flagged[2] = 1;
    const all = Buffer.concat([bytes, flagged]);
    const r = core.submitRecords(all, NOW);
    flush();
    expect(r.ok && r.result.errors.map((e) => [e.line, e.reason])).toEqual([
      [2, 'unknown_ticker'],
      [3, 'not_ingest'],
      [4, 'duplicate_id'],
      [5, 'bad_price'],
      [6, 'price_precision'],
      [7, 'bad_size'],
      [8, 'bad_quote'],
      [9, 'crossed_quote'],
      [10, 'bad_time'],
      [11, 'future_time'],
      [12, 'out_of_order'],
      [14, 'bad_shape'],
    ]);
    expect(r.ok && [r.result.accepted, r.result.rejected]).toEqual([2, 12]);
    expect(ticks.map((t) => [t.seq, t.price])).toEqual([
      [1, 100],
      [2, 101],
    ]);
  });

  it('shares the duplicate window with integer JSON ids, and refuses a batch that does not fit the queue whole', () => {
    const { core, ticks, flush } = setup(3);
    expect(core.submit(Buffer.from(JSON.stringify({ ticker: 'ACME', price: 1, size: 1, id: 42, ts: NOW - 10 })), NOW).ok).toBe(true);
    const dup = core.submitRecords(tradeRecords([{ symbolId: 0, price: 100, size: 1, id: 42 }]), NOW);
    expect(dup.ok && dup.result.reasons).toEqual({ duplicate_id: 1 });
    const full = core.submitRecords(tradeRecords(Array.from({ length: 3 }, () => ({ symbolId: 0, price: 100, size: 1 }))), NOW);
    expect(full).toEqual({ ok: false, full: true, lines: 3, room: 2 });
    flush();
    expect(ticks.length).toBe(1);
  });
});
