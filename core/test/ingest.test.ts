// The ingest core without HTTP: every rejection reason on its own line with the other lines applied,
// seq continuity through a real Fanout, duplicates dropped exactly once, the whole-body queue refusal,
// and that a rejected line changes nothing (seq, times, duplicate memory).
import { describe, expect, it } from 'vitest';
import { TICK_RECORD_SIZE, decodeFrame, emptyTick, writeTickRecord } from '@tickwire/protocol/codec';
import type { PriceTicks, SizeLots } from '@tickwire/protocol/units';
import type { Tick } from '@tickwire/protocol/messages';
import { Fanout } from '../src/fanout.js';
import { INGEST_REJECTIONS, IngestCore, countLines, type IngestInstrument } from '../src/ingest.js';

const NOW = Date.UTC(2026, 0, 5, 12, 0, 0);
const instruments: IngestInstrument[] = [
  { id: 0, ticker: 'ACME', name: 'Acme', assetClass: 'equity', priceScale: 2, sizeScale: 0, tickSize: 1, source: 'ingest' },
  { id: 1, ticker: 'BTC-USD', name: 'Bitcoin', assetClass: 'crypto', priceScale: 2, sizeScale: 8, tickSize: 1, source: 'ingest' },
  { id: 2, ticker: 'SIM', name: 'Simulated', assetClass: 'equity', priceScale: 2, sizeScale: 0, tickSize: 1, source: 'sim' },
  { id: 3, ticker: 'NICKEL', name: 'Five-cent grid', assetClass: 'equity', priceScale: 2, sizeScale: 0, tickSize: 5, source: 'ingest' },
];

function setup(limits = {}) {
  const fanout = new Fanout(instruments, 7, 100, 100);
  const ticks: Tick[] = [];
  fanout.addSink({
    publish: (_id, frame) => {
      const f = decodeFrame(frame);
      if (f.ok && f.value.type === 3) ticks.push(...f.value.ticks);
    },
    endOfBatch: () => {},
  });
  const core = new IngestCore(instruments, { maxFutureMs: 10_000, dedupWindow: 1000, queueLength: 1000, ...limits });
  core.start(fanout);
  const submit = (...lines: unknown[]) => {
    const body = lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n');
    const r = core.submit(Buffer.from(body), NOW);
    fanout.flush(NOW);
    core.windowClosed();
    return r;
  };
  return { fanout, core, ticks, submit };
}

const trade = (over: Record<string, unknown> = {}) => ({ ticker: 'ACME', price: '123.45', size: '10', ts: NOW - 1000, ...over });

describe('IngestCore', () => {
  it('applies trades as ticks with consecutive seqs and exact units', () => {
    const { submit, ticks, fanout } = setup();
    const r = submit(
      trade({ id: 't-1' }),
      trade({ id: 't-2', price: 123.46, ts: NOW }),
      trade({ ticker: 'btc-usd', price: '65012.5', size: '0.00000001', ts: undefined }),
    );
    expect(r).toEqual({ ok: true, result: { accepted: 3, rejected: 0, reasons: {}, errors: [] } });
    expect(ticks.map((t) => [t.symbolId, t.seq, t.price, t.size, t.bid, t.ask])).toEqual([
      [0, 1, 12345, 10, 12345, 12345],
      [0, 2, 12346, 10, 12346, 12346],
      [1, 1, 6501250, 1, 6501250, 6501250],
    ]);
    expect(ticks[2]!.eventTimeMs).toBe(NOW); // no ts: the server's receive time
    expect(fanout.states[0]!.seq).toBe(2);
    expect(fanout.states[0]!.candles[0]!.length).toBe(2);
  });

  it('gives every bad line its reason and applies the good lines around it', () => {
    const { submit, ticks } = setup();
    const bad: Array<[string, unknown]> = [
      ['bad_json', '{"ticker":'],
      ['bad_json', '[1,2]'],
      ['bad_shape', { price: '1', size: '1' }],
      ['bad_shape', { ticker: 'ACME', size: '1' }],
      ['bad_shape', trade({ id: { nested: true } })],
      ['unknown_ticker', trade({ ticker: 'NOPE' })],
      ['not_ingest', trade({ ticker: 'SIM' })],
      ['bad_price', trade({ price: '-1' })],
      ['bad_price', trade({ price: '0' })],
      ['bad_price', trade({ price: 'NaN' })],
      ['bad_price', trade({ price: null })],
      ['price_precision', trade({ price: '1.234' })],
      ['price_precision', trade({ ticker: 'NICKEL', price: '1.02' })],
      ['price_overflow', trade({ price: '42949672.96' })],
      ['bad_size', trade({ size: 0 })],
      ['size_precision', trade({ size: '0.5' })],
      ['size_overflow', trade({ size: '4294967296' })],
      ['bad_quote', trade({ bid: '1.00' })],
      ['bad_quote', trade({ bid: '-1', ask: '2' })],
      ['crossed_quote', trade({ bid: '2.00', ask: '1.99' })],
      ['bad_time', trade({ ts: '2026-01-01' })],
      ['bad_time', trade({ ts: 1_767_225_600 })],
      ['future_time', trade({ ts: NOW + 60_000 })],
    ];
    const lines = [trade({ id: 'first' }), ...bad.map(([, l]) => l), trade({ id: 'last', ts: NOW - 900 })];
    const r = submit(...lines);
    if (!r.ok) throw new Error('refused');
    expect(r.result.accepted).toBe(2);
    expect(r.result.rejected).toBe(bad.length);
    expect(r.result.errors.map((e) => [e.line, e.reason])).toEqual(bad.slice(0, 20).map(([reason], i) => [i + 2, reason]));
    const counts: Record<string, number> = {};
    for (const [reason] of bad) counts[reason] = (counts[reason] ?? 0) + 1;
    expect(r.result.reasons).toEqual(counts);
    expect(ticks.map((t) => t.seq)).toEqual([1, 2]);
    // Every reason the core can give appears in this matrix or the next tests.
    expect(INGEST_REJECTIONS.filter((x) => !(x in counts))).toEqual(['duplicate_id', 'out_of_order']);
  });

  it('drops a duplicate trade id exactly once, within a body and across bodies', () => {
    const { submit, ticks } = setup();
    const first = submit(trade({ id: 'a' }), trade({ id: 'a' }), trade({ id: 7 }));
    expect(first.ok && first.result).toMatchObject({ accepted: 2, reasons: { duplicate_id: 1 } });
    const retry = submit(trade({ id: 'a' }), trade({ id: 7 }), trade({ id: 'b' }));
    expect(retry.ok && retry.result).toMatchObject({ accepted: 1, reasons: { duplicate_id: 2 } });
    // Ids are per instrument: the same id on another ticker is another trade.
    const other = submit(trade({ ticker: 'BTC-USD', id: 'a' }));
    expect(other.ok && other.result.accepted).toBe(1);
    expect(ticks.filter((t) => t.symbolId === 0).map((t) => t.seq)).toEqual([1, 2, 3]);
  });

  it('forgets nothing of a rejected line: a corrected retry with the same id is applied', () => {
    const { submit } = setup();
    const bad = submit(trade({ id: 'x', price: '-5' }));
    expect(bad.ok && bad.result.reasons).toEqual({ bad_price: 1 });
    const fixed = submit(trade({ id: 'x' }));
    expect(fixed.ok && fixed.result.accepted).toBe(1);
  });

  it("refuses trades older than the symbol's latest, per symbol", () => {
    const { submit } = setup();
    const r = submit(trade({ ts: NOW - 100 }), trade({ ts: NOW - 200 }), trade({ ticker: 'BTC-USD', ts: NOW - 200 }), trade({ ts: NOW - 100 }));
    expect(r.ok && r.result).toMatchObject({ accepted: 3, reasons: { out_of_order: 1 } });
    expect(r.ok && r.result.errors[0]).toMatchObject({ line: 2, reason: 'out_of_order' });
  });

  it('remembers at most dedupWindow ids, oldest forgotten first', () => {
    const { submit } = setup({ dedupWindow: 2 });
    submit(trade({ id: 1 }), trade({ id: 2 }), trade({ id: 3 }));
    const r = submit(trade({ id: 1 }), trade({ id: 3 }));
    expect(r.ok && r.result).toMatchObject({ accepted: 1, reasons: { duplicate_id: 1 } });
  });

  it('refuses a whole body that might not fit the queue, and makes room when the window closes', () => {
    const { core, fanout } = setup({ queueLength: 3 });
    const body = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => JSON.stringify(trade({ ts: NOW - 1000 + i }))).join('\n'));
    expect(core.submit(body(2), NOW)).toMatchObject({ ok: true });
    expect(core.submit(body(2), NOW)).toEqual({ ok: false, full: true, lines: 2, room: 1 });
    expect(fanout.stats.ticksIn).toBe(2);
    core.windowClosed();
    expect(core.room).toBe(3);
  });

  it('skips blank lines and accepts CRLF', () => {
    const { submit } = setup();
    const r = submit('', JSON.stringify(trade()) + '\r', '   ', JSON.stringify(trade()));
    expect(r.ok && r.result).toEqual({ accepted: 2, rejected: 0, reasons: {}, errors: [] });
  });

  it('counts non-blank lines', () => {
    expect(countLines(Buffer.from(''))).toBe(0);
    expect(countLines(Buffer.from('a'))).toBe(1);
    expect(countLines(Buffer.from('a\n'))).toBe(1);
    expect(countLines(Buffer.from('a\n \r\n\nb\nc'))).toBe(3);
  });

  it('rejects a line that is not UTF-8 as bad_json', () => {
    const { core } = setup();
    const r = core.submit(Buffer.concat([Buffer.from([0xff, 0xfe, 0x0a]), Buffer.from(JSON.stringify(trade()))]), NOW);
    expect(r.ok && r.result).toMatchObject({ accepted: 1, reasons: { bad_json: 1 } });
  });
});

describe('instruments added at run time', () => {
  it('grow the core and the fan-out by one id each, starting at seq 0, leaving the others untouched', () => {
    const { submit, ticks, fanout, core } = setup();
    submit(trade({ id: 'a-1' }));
    const acme = fanout.states[0]!.seq;
    // Past the initial capacity of the core's per-symbol arrays (16), so they have to grow.
    for (let id = instruments.length; id < 40; id++) {
      const inst: IngestInstrument = {
        id,
        ticker: `NEW${id}`,
        name: `New ${id}`,
        assetClass: 'equity',
        priceScale: 2,
        sizeScale: 0,
        tickSize: 1,
        source: 'ingest',
      };
      fanout.addInstrument(inst);
      core.addInstrument(inst);
    }
    expect(fanout.idOf('NEW39')).toBe(39);
    expect(fanout.states[39]!.seq).toBe(0);
    const r = submit(trade({ ticker: 'NEW39', id: 'n-1' }), trade({ ticker: 'NEW39', id: 'n-2' }), trade({ id: 'a-2' }));
    expect(r.ok && r.result.accepted).toBe(3);
    expect(ticks.filter((t) => t.symbolId === 39).map((t) => t.seq)).toEqual([1, 2]);
    expect(fanout.states[0]!.seq).toBe(acme + 1);
    // The binary door names the new instrument by its id.
    const rec = new Uint8Array(TICK_RECORD_SIZE);
    writeTickRecord(new DataView(rec.buffer), 0, { ...emptyTick(), symbolId: 20, price: 12345 as PriceTicks, size: 1 as SizeLots });
    expect(core.submitRecords(rec, NOW)).toMatchObject({ ok: true, result: { accepted: 1 } });
  });

  it('refuse an id that is not the next one', () => {
    const { fanout, core } = setup();
    const skip = { ...instruments[0]!, id: instruments.length + 1, ticker: 'SKIP' };
    expect(() => fanout.addInstrument(skip)).toThrow(/the next id is 4/);
    expect(() => core.addInstrument(skip)).toThrow(/the next id is 4/);
  });
});
