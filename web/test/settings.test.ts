// Persisted settings validation and watchlist edits (web/src/lib/settings.ts), and the symbol
// type-ahead ranking (web/src/lib/search.ts).
import { describe, expect, it } from 'vitest';
import {
  addTicker,
  defaultSettings,
  loadSettings,
  neighbour,
  parseSettings,
  removeTicker,
  saveSettings,
  STORAGE_KEY,
  TIME_ZONES,
  withTimeZone,
} from '../src/lib/settings.js';
import { searchSymbols } from '../src/lib/search.js';

function memoryStorage() {
  const map = new Map<string, string>();
  return { getItem: (k: string) => map.get(k) ?? null, setItem: (k: string, v: string) => void map.set(k, v), map };
}

describe('settings', () => {
  it('has a sensible default watchlist and one chart', () => {
    const d = defaultSettings();
    expect(d.watchlist).toEqual(expect.arrayContaining(['AAPL', 'MSFT', 'NVDA', 'TSLA', 'AMZN', 'EURUSD', 'BTCUSD', 'ETHUSD']));
    expect(d.layout).toBe(1);
    expect(d.theme).toBe('dark');
    expect(d.panels).toHaveLength(4);
  });

  it('round-trips through storage', () => {
    const storage = memoryStorage();
    const s = { ...defaultSettings(), watchlist: ['AAPL', 'BRK.B'], layout: 4 as const, theme: 'light' as const };
    saveSettings(storage, s);
    expect(loadSettings(storage)).toMatchObject({ watchlist: ['AAPL', 'BRK.B'], layout: 4, theme: 'light' });
  });

  it('keeps the display time zone: local by default, any known IANA name, garbage falls back', () => {
    expect(defaultSettings().timeZone).toBe('local');
    const storage = memoryStorage();
    saveSettings(storage, withTimeZone(defaultSettings(), 'America/New_York'));
    expect(loadSettings(storage).timeZone).toBe('America/New_York');
    for (const timeZone of TIME_ZONES) expect(parseSettings({ timeZone }).timeZone).toBe(timeZone);
    for (const timeZone of ['Mars/Olympus_Mons', '', 42, null, 'x'.repeat(100)]) expect(parseSettings({ timeZone }).timeZone).toBe('local');
    const s = defaultSettings();
    expect(withTimeZone(s, 'Nowhere/Else')).toBe(s);
    expect(withTimeZone(s, 'local')).toBe(s);
  });

  it('survives garbage: invalid fields fall back to defaults', () => {
    const storage = memoryStorage();
    storage.map.set(STORAGE_KEY, '{not json');
    expect(loadSettings(storage)).toEqual(defaultSettings());
    const parsed = parseSettings({
      watchlist: ['AAPL', 'aapl', 42, 'AAPL', 'MSFT'],
      layout: 3,
      panels: [{ symbol: 'TSLA', interval: 7 }],
      theme: 'neon',
      transport: 'x',
      activePanel: 9,
    });
    expect(parsed.watchlist).toEqual(['AAPL', 'MSFT']);
    expect(parsed.layout).toBe(1);
    expect(parsed.panels[0]).toEqual({ symbol: 'AAPL', interval: 5, linked: true, indicators: [] }); // TSLA is not watched
    expect(parsed.theme).toBe('dark');
    expect(parsed.transport).toBe('auto');
    expect(parsed.activePanel).toBe(0);
    expect(parseSettings(null)).toEqual(defaultSettings());
    for (const transport of ['ws', 'sse', 'stream', 'longpoll', 'poll'] as const) expect(parseSettings({ transport }).transport).toBe(transport);
  });

  it('removing a charted symbol repoints its panels to the row that took its place', () => {
    const s = {
      ...defaultSettings(),
      watchlist: ['A', 'B', 'C'],
      selected: 'B',
      panels: [
        { symbol: 'B', interval: 5 as const, linked: true, indicators: [] },
        { symbol: 'C', interval: 60 as const, linked: false, indicators: [] },
      ],
    };
    const next = removeTicker(s, 'B');
    expect(next.watchlist).toEqual(['A', 'C']);
    expect(next.panels.map((p) => p.symbol)).toEqual(['C', 'C']);
    expect(next.selected).toBe('C'); // the linked panel and the selection stay together
    expect(removeTicker(next, 'ZZZ')).toBe(next);
  });

  it('adding ignores duplicates and invalid tickers', () => {
    const s = { ...defaultSettings(), watchlist: ['A'] };
    expect(addTicker(s, 'A')).toBe(s);
    expect(addTicker(s, 'not a ticker')).toBe(s);
    expect(addTicker(s, 'B').watchlist).toEqual(['A', 'B']);
  });

  it('moves the selection by rows, clamped', () => {
    expect(neighbour(['A', 'B', 'C'], 'B', 1)).toBe('C');
    expect(neighbour(['A', 'B', 'C'], 'C', 1)).toBe('C');
    expect(neighbour(['A', 'B', 'C'], 'A', -1)).toBe('A');
    expect(neighbour(['A', 'B', 'C'], 'Z', 1)).toBe('A');
    expect(neighbour([], 'A', 1)).toBeNull();
  });
});

describe('searchSymbols', () => {
  const cat = [
    { id: 0, ticker: 'AAPL', name: 'Apple Inc.', assetClass: 'equity', priceScale: 2, sizeScale: 0 },
    { id: 1, ticker: 'MA', name: 'Mastercard Incorporated', assetClass: 'equity', priceScale: 2, sizeScale: 0 },
    { id: 2, ticker: 'AMZN', name: 'Amazon.com, Inc.', assetClass: 'equity', priceScale: 2, sizeScale: 0 },
    { id: 3, ticker: 'META', name: 'Meta Platforms', assetClass: 'equity', priceScale: 2, sizeScale: 0 },
    { id: 4, ticker: 'ETHUSD', name: 'Ether / US Dollar', assetClass: 'crypto', priceScale: 2, sizeScale: 6 },
  ];
  it('ranks ticker prefix, then ticker substring, then name words', () => {
    expect(searchSymbols(cat, 'ma', 8).map((s) => s.ticker)).toEqual(['MA', 'AMZN']);
    expect(searchSymbols(cat, 'me', 8).map((s) => s.ticker)).toEqual(['META']);
    expect(searchSymbols(cat, 'ether', 8).map((s) => s.ticker)).toEqual(['ETHUSD']);
    expect(searchSymbols(cat, 'a', 2)).toHaveLength(2);
    expect(searchSymbols(cat, '  ', 8)).toEqual([]);
  });
});
