// Trade files for --source: CSV (header in any order, quoting, ISO or epoch-ms times, empty optional cells)
// and NDJSON read into core lines; the replay's pacing on the file's clock at speed 1 and 10, everything at
// once at max but never more per window than the queue's room; file line numbers in rejections.
import { describe, expect, it } from 'vitest';
import { Fanout } from '../src/fanout.js';
import { IngestCore, type IngestInstrument } from '../src/ingest.js';
import { TradeFileError, TradeReplay, readTradeFile } from '../src/replay.js';

const T0 = Date.UTC(2026, 10, 20, 14, 30, 0);
const instruments: IngestInstrument[] = [
  { id: 0, ticker: 'ACME', name: 'Acme', assetClass: 'equity', priceScale: 2, sizeScale: 0, tickSize: 1, source: 'ingest' },
];

function core(queueLength = 1000) {
  const fanout = new Fanout(instruments, 7, 100, 100);
  const c = new IngestCore(instruments, { maxFutureMs: 10_000, dedupWindow: 1000, queueLength });
  c.start(fanout);
  return { c, fanout };
}

describe('readTradeFile', () => {
  it('reads CSV rows into the JSON lines a producer would send', () => {
    const rows = readTradeFile(
      `# yesterday's prints\nts,ticker,price,size,bid,ask,id\n${T0},ACME,123.45,10,,,"a,1"\n2026-11-20T14:30:01.500Z,acme,123.50,5,123.45,123.55,\n\n`,
      'csv',
    );
    expect(rows.map((r) => [r.fileLine, JSON.parse(r.json), r.ts])).toEqual([
      [3, { ts: T0, ticker: 'ACME', price: '123.45', size: '10', id: 'a,1' }, T0],
      [4, { ts: T0 + 1500, ticker: 'acme', price: '123.50', size: '5', bid: '123.45', ask: '123.55' }, T0 + 1500],
    ]);
  });

  it('refuses a CSV header without the required columns or with unknown ones', () => {
    expect(() => readTradeFile('ticker,price,qty\n', 'csv')).toThrow(TradeFileError);
    expect(() => readTradeFile('ticker,price,qty\n', 'csv')).toThrow(/missing size; unknown qty/);
    expect(() => readTradeFile('\n', 'csv')).toThrow(/empty/);
  });

  it('keeps NDJSON lines as they are, bad ones included (the core rejects them)', () => {
    const rows = readTradeFile(`{"ticker":"ACME","price":"1","size":"1","ts":${T0}}\nnot json\n`, 'ndjson');
    expect(rows.map((r) => [r.fileLine, r.ts])).toEqual([
      [1, T0],
      [2, null],
    ]);
  });
});

describe('TradeReplay', () => {
  const rows = readTradeFile(['ticker,price,size,ts', ...[0, 1000, 2000, 2000, 5000].map((dt, i) => `ACME,1.0${i},1,${T0 + dt}`)].join('\n'), 'csv');

  it('releases rows on the file clock divided by the speed', () => {
    const { c } = core();
    const replay = new TradeReplay(rows, 10);
    const start = T0 + 600_000; // the server clock runs after the file's times (else future_time)
    expect(replay.pump(c, start)?.accepted).toBe(1);
    expect(replay.pump(c, start + 99)).toBeNull();
    expect(replay.pump(c, start + 100)?.accepted).toBe(1);
    expect(replay.pump(c, start + 200)?.accepted).toBe(2);
    expect(replay.pump(c, start + 499)).toBeNull();
    expect(replay.pump(c, start + 500)?.accepted).toBe(1);
    expect(replay.done).toBe(true);
  });

  it('at max releases everything at once, cut to the room of each window', () => {
    const { c } = core(2);
    const replay = new TradeReplay(rows, Infinity);
    expect(replay.pump(c, T0 + 600_000)?.accepted).toBe(2);
    expect(replay.pump(c, T0 + 600_000)).toBeNull();
    c.windowClosed();
    expect(replay.pump(c, T0 + 600_000)?.accepted).toBe(2);
    c.windowClosed();
    expect(replay.pump(c, T0 + 600_000)?.accepted).toBe(1);
    expect(replay.done).toBe(true);
  });

  it('names rejected rows by their line in the file', () => {
    const { c } = core();
    const bad = readTradeFile('ticker,price,size\nACME,1.00,1\nNOPE,1.00,1\nACME,-1,1\n', 'csv');
    const r = new TradeReplay(bad, Infinity).pump(c, T0);
    expect(r?.errors.map((e) => [e.line, e.reason])).toEqual([
      [3, 'unknown_ticker'],
      [4, 'bad_price'],
    ]);
  });
});
