// NDJSON bodies are decoded whole when they are UTF-8 and line by line when they are not (core/src/ingest.ts
// submit): the same lines must get the same outcome either way — multi-byte text, a byte-order mark opening
// a later line, CRLF endings, blank lines — and a binary batch's accepted trades are copied out of the core's
// reused objects, so every tick keeps its own fields.
import { describe, expect, it } from 'vitest';
import { decodeFrame } from '@tickwire/protocol/codec';
import type { Tick } from '@tickwire/protocol/messages';
import { tradeRecords } from '@tickwire/protocol/ingest-wire';
import { Fanout } from '../src/fanout.js';
import { IngestCore, type IngestResult, type IngestInstrument } from '../src/ingest.js';

const NOW = Date.UTC(2026, 0, 5, 12, 0, 0);
const instruments: IngestInstrument[] = [
  { id: 0, ticker: 'ACME', name: 'Acme', assetClass: 'equity', priceScale: 2, sizeScale: 0, tickSize: 1, source: 'ingest' },
  { id: 1, ticker: 'ÉCU', name: 'Écu', assetClass: 'equity', priceScale: 2, sizeScale: 0, tickSize: 1, source: 'ingest' },
];

function run(body: Uint8Array | ((core: IngestCore) => ReturnType<IngestCore['submit']>)): { result: IngestResult; ticks: Tick[] } {
  const fanout = new Fanout(instruments, 7, 100, 100);
  const ticks: Tick[] = [];
  fanout.addSink({
    publish: (_id, frame) => {
      const f = decodeFrame(frame);
      if (f.ok && f.value.type === 3) ticks.push(...f.value.ticks);
    },
    endOfBatch: () => {},
  });
  const core = new IngestCore(instruments, { maxFutureMs: 10_000, dedupWindow: 1000, queueLength: 1000 });
  core.start(fanout);
  const r = typeof body === 'function' ? body(core) : core.submit(body, NOW);
  fanout.flush(NOW);
  if (!r.ok) throw new Error('refused');
  return { result: r.result, ticks };
}

const lines = [
  '{"ticker":"ACME","price":"1.01","size":"1","ts":1767614399000}',
  '\uFEFF{"ticker":"écu","price":"2.02","size":"2","ts":1767614399001}\r',
  '',
  '{"ticker":"ÉCU","price":"2.03","size":"3","ts":1767614399002,"id":"€-1"}',
  '{"ticker":"NOPE€","price":"1","size":"1"}',
  '{"ticker":"ACME","price":"-1","size":"1"}',
];

describe('IngestCore NDJSON decoding', () => {
  it('gives each line the same outcome whether the body is decoded whole or line by line', () => {
    const whole = run(Buffer.from(lines.join('\n')));
    // One line that is not UTF-8 sends the whole body down the line-by-line path.
    const byLine = run(Buffer.concat([Buffer.from(`${lines.join('\n')}\n`), Buffer.from([0xff, 0xfe])]));
    expect(whole.result).toMatchObject({ accepted: 3, rejected: 2, reasons: { unknown_ticker: 1, bad_price: 1 } });
    expect(whole.result.errors.map((e) => e.line)).toEqual([5, 6]);
    expect(byLine.result).toMatchObject({ accepted: 3, rejected: 3, reasons: { unknown_ticker: 1, bad_price: 1, bad_json: 1 } });
    expect(byLine.result.errors.slice(0, 2)).toEqual(whole.result.errors);
    expect(byLine.result.errors[2]).toMatchObject({ line: 7, reason: 'bad_json' });
    expect(byLine.ticks).toEqual(whole.ticks);
    expect(whole.ticks.map((t) => [t.symbolId, t.seq, t.price, t.size, t.eventTimeMs])).toEqual([
      [0, 1, 101, 1, 1767614399000],
      [1, 1, 202, 2, 1767614399001],
      [1, 2, 203, 3, 1767614399002],
    ]);
  });

  it('keeps every accepted record its own fields through the reused decode and apply objects', () => {
    const trades = Array.from({ length: 50 }, (_, i) => ({
      symbolId: i % 2,
      price: 1000 + i,
      size: 1 + i,
      ts: NOW - 50 + i,
      id: i + 1,
      bid: 999 + i,
      ask: 1001 + i,
    }));
    // A rejected record in the middle (crossed quote) must not leak into its neighbours.
    trades[25] = { ...trades[25]!, bid: 2000, ask: 1000 };
    const { result, ticks } = run((core) => core.submitRecords(tradeRecords(trades), NOW));
    expect(result).toMatchObject({ accepted: 49, rejected: 1, reasons: { crossed_quote: 1 } });
    const expected = trades.filter((_, i) => i !== 25);
    const bySymbol = (s: number) => ticks.filter((t) => t.symbolId === s).map((t) => [t.price, t.size, t.eventTimeMs, t.bid, t.ask]);
    for (const s of [0, 1]) {
      expect(bySymbol(s)).toEqual(expected.filter((t) => t.symbolId === s).map((t) => [t.price, t.size, t.ts, t.bid, t.ask]));
      expect(ticks.filter((t) => t.symbolId === s).map((t) => t.seq)).toEqual(expected.filter((t) => t.symbolId === s).map((_, i) => i + 1));
    }
  });
});
