// Deep links (web/src/lib/deep-link.ts): a screen written to the URL and read back is the same screen,
// other query parameters survive, and bad parts of a hand-edited link are ignored with the rest applied.
import { describe, expect, it } from 'vitest';
import { applyLink, hasLink, linkQuery, searchWithScreen } from '../src/lib/deep-link.js';
import { defaultSettings, type Settings } from '../src/lib/settings.js';

function screen(): Settings {
  const d = defaultSettings();
  const watchlist = ['AAPL', 'MSFT', 'BTCUSD', 'EURUSD'];
  return {
    ...d,
    watchlist,
    layout: 4,
    selected: 'MSFT',
    panels: [
      { symbol: 'MSFT', interval: 60, linked: true, indicators: [{ kind: 'sma', period: 20 }, { kind: 'vwap' }] },
      { symbol: 'BTCUSD', interval: 300, linked: false, indicators: [{ kind: 'bb', period: 20, k: 2.5 }] },
      { symbol: 'EURUSD', interval: 86_400, linked: false, indicators: [] },
      { symbol: 'MSFT', interval: 1, linked: true, indicators: [{ kind: 'ema', period: 50 }] },
    ],
  };
}

describe('deep links', () => {
  it('round-trips a screen through the query string', () => {
    const s = screen();
    const query = linkQuery(s);
    expect(query).toBe('symbols=AAPL,MSFT,BTCUSD,EURUSD&layout=4&panels=MSFT:1m:link:sma20:vwap,BTCUSD:5m:bb20-2.5,EURUSD:1D,MSFT:1s:link:ema50');
    const back = applyLink(defaultSettings(), `?${query}`);
    expect(back.watchlist).toEqual(s.watchlist);
    expect(back.layout).toBe(4);
    expect(back.panels).toEqual(s.panels);
    expect(back.selected).toBe('MSFT');
  });

  it('keeps other parameters and replaces its own', () => {
    const search = searchWithScreen('?transport=sse&symbols=X&token=abc', screen());
    const params = new URLSearchParams(search);
    expect(params.get('transport')).toBe('sse');
    expect(params.get('token')).toBe('abc');
    expect(params.get('symbols')).toBe('AAPL,MSFT,BTCUSD,EURUSD');
    expect(params.getAll('symbols')).toHaveLength(1);
    expect(hasLink(search)).toBe(true);
    expect(hasLink('?transport=sse')).toBe(false);
  });

  it('ignores what does not parse and applies the rest', () => {
    const base = defaultSettings();
    const s = applyLink(base, '?symbols=AAPL,bad ticker,,MSFT,AAPL&layout=3&panels=AAPL:7m:link:rsi14:sma1:ema9,nope!:5m,MSFT:zz,:');
    expect(s.watchlist).toEqual(['AAPL', 'MSFT']);
    expect(s.layout).toBe(base.layout); // 3 is no layout
    expect(s.panels[0]).toEqual({ symbol: 'AAPL', interval: base.panels[0]!.interval, linked: true, indicators: [{ kind: 'ema', period: 9 }] });
    expect(s.panels[1]).toMatchObject({ interval: 300, linked: false }); // bad symbol ignored, interval applied
    expect(s.panels[2]).toMatchObject({ symbol: 'MSFT', interval: base.panels[2]!.interval });
    expect(s.panels.every((p) => s.watchlist.includes(p.symbol))).toBe(true);
    expect(s.selected).toBe('AAPL');
  });

  it('keeps each indicator once', () => {
    const s = applyLink(defaultSettings(), '?panels=AAPL:1m:sma20:sma20:vwap:sma20');
    expect(s.panels[0]!.indicators).toEqual([{ kind: 'sma', period: 20 }, { kind: 'vwap' }]);
  });

  it('adds a panel symbol missing from the listed watchlist; no valid symbol keeps the saved list', () => {
    const s = applyLink(defaultSettings(), '?symbols=AAPL&panels=TSLA:1h');
    expect(s.watchlist).toEqual(['AAPL', 'TSLA']);
    expect(s.panels[0]).toMatchObject({ symbol: 'TSLA', interval: 3600, linked: false });
    const kept = applyLink(defaultSettings(), '?symbols=%20,??&layout=2');
    expect(kept.watchlist).toEqual(defaultSettings().watchlist);
    expect(kept.layout).toBe(2);
  });
});
