// Watchlist columns, sort and sparkline helpers (market/columns.ts, market/spark.ts): header click cycle,
// sorting by live values with unseeded rows last and ties in manual order, validation of saved choices,
// the one-minute close series and its SVG points, and moving a row in the manual order.
import { describe, expect, it } from 'vitest';
import { DEFAULT_COLUMNS, minRowWidth, nextSort, parseColumns, parseSort, sortSymbols, visibleColumns } from '../src/lib/market/columns.js';
import { SPARK_HEIGHT, SPARK_POINTS, SPARK_WIDTH, SparkSeries, sparkPath } from '../src/lib/market/spark.js';
import { SymbolState } from '../src/lib/market/symbol.js';
import { defaultSettings, moveTicker } from '../src/lib/settings.js';

function sym(ticker: string, last: number, open: number, seeded = true): SymbolState {
  const s = new SymbolState(ticker);
  Object.assign(s, { seeded, last, open, priceScale: 2, bid: last - 1, ask: last + 1, high: last, low: last });
  return s;
}

describe('sorting', () => {
  it('cycles a header: first direction, the other, off; another header starts over', () => {
    expect(nextSort(null, 'last')).toEqual({ key: 'last', dir: 'desc' });
    expect(nextSort({ key: 'last', dir: 'desc' }, 'last')).toEqual({ key: 'last', dir: 'asc' });
    expect(nextSort({ key: 'last', dir: 'asc' }, 'last')).toBeNull();
    expect(nextSort(null, 'symbol')).toEqual({ key: 'symbol', dir: 'asc' });
    expect(nextSort({ key: 'symbol', dir: 'asc' }, 'symbol')).toEqual({ key: 'symbol', dir: 'desc' });
    expect(nextSort({ key: 'symbol', dir: 'desc' }, 'symbol')).toBeNull();
    expect(nextSort({ key: 'last', dir: 'asc' }, 'volume')).toEqual({ key: 'volume', dir: 'desc' });
  });

  it('sorts by change % with unseeded symbols last and ties in manual order', () => {
    const list = [sym('A', 100, 100), sym('B', 110, 100), sym('C', 0, 0, false), sym('D', 90, 100), sym('E', 100, 100)];
    const rank = new Map(list.map((s, i) => [s.ticker, i]));
    sortSymbols(list, { key: 'changePct', dir: 'desc' }, rank);
    expect(list.map((s) => s.ticker)).toEqual(['B', 'A', 'E', 'D', 'C']);
    sortSymbols(list, { key: 'changePct', dir: 'asc' }, rank);
    expect(list.map((s) => s.ticker)).toEqual(['D', 'A', 'E', 'B', 'C']);
    sortSymbols(list, { key: 'symbol', dir: 'desc' }, rank);
    expect(list.map((s) => s.ticker)).toEqual(['E', 'D', 'C', 'B', 'A']);
  });

  it('validates saved sort and columns', () => {
    expect(parseSort({ key: 'last', dir: 'asc' })).toEqual({ key: 'last', dir: 'asc' });
    expect(parseSort({ key: 'spark', dir: 'asc' })).toBeNull();
    expect(parseSort({ key: 'last', dir: 'up' })).toBeNull();
    expect(parseSort('last')).toBeNull();
    expect(parseColumns(undefined)).toEqual([...DEFAULT_COLUMNS]);
    expect(parseColumns(['low', 'nonsense', 'high'])).toEqual(['high', 'low']);
  });

  it('fits the default columns in the desktop panel (476 px) and hides every optional one on phones', () => {
    expect(minRowWidth(visibleColumns(DEFAULT_COLUMNS))).toBeLessThanOrEqual(476);
    expect(visibleColumns(['spark', 'bid', 'high'], true).map((c) => c.key)).toEqual(['symbol', 'last', 'change', 'changePct']);
  });
});

describe('sparkline', () => {
  it('keeps one close per minute, bounded, ignoring older minutes', () => {
    const s = new SparkSeries();
    s.add(60_000, 10);
    s.add(61_000, 11);
    s.add(120_000, 12);
    s.add(30_000, 99); // an older minute
    expect(s.values()).toEqual([11, 12]);
    for (let m = 3; m < SPARK_POINTS + 10; m++) s.add(m * 60_000, m);
    expect(s.values()).toHaveLength(SPARK_POINTS);
    expect(s.values().at(-1)).toBe(SPARK_POINTS + 9);
    s.seed([
      { time: 60, close: 5 },
      { time: 120, close: 6 },
    ]);
    expect(s.values()).toEqual([5, 6]);
  });

  it('draws points inside its box spanning the width, with the session open as baseline', () => {
    expect(sparkPath([1], 1).points).toBe('');
    const { points, baseY } = sparkPath([10, 12, 11], 9);
    const xy = points.split(' ').map((p) => p.split(',').map(Number) as [number, number]);
    expect(xy.map(([x]) => x)).toEqual([0, SPARK_WIDTH / 2, SPARK_WIDTH]);
    for (const [, y] of xy) expect(y).toBeGreaterThanOrEqual(0);
    expect(Math.min(...xy.map(([, y]) => y))).toBe(1); // the high at the top (1 px pad)
    expect(baseY).toBe(SPARK_HEIGHT - 1); // the open is the low
  });
});

describe('moveTicker', () => {
  it('moves a row to a clamped position and returns the same settings when nothing moves', () => {
    const s = defaultSettings();
    const [a, b, c] = s.watchlist as [string, string, string];
    expect(moveTicker(s, a, 2).watchlist.slice(0, 3)).toEqual([b, c, a]);
    expect(moveTicker(s, c, -5).watchlist.slice(0, 3)).toEqual([c, a, b]);
    expect(moveTicker(s, a, 0)).toBe(s);
    expect(moveTicker(s, 'NOPE', 1)).toBe(s);
  });
});
