// Deep links: the screen (watchlist, layout, each shown panel's symbol, interval, linking and indicators)
// as query parameters, so a URL reproduces it elsewhere, e.g.
//   ?symbols=AAPL,MSFT&layout=2&panels=AAPL:1m:link:sma20,MSFT:5m:bb20-2
// A link is untrusted input: every part that does not parse is ignored and the rest applied.
import { isTicker } from '@tickwire/protocol/control';
import { parseHistoryInterval } from '@tickwire/protocol/candles';
import { specFromToken, specToken } from './chart/indicators.js';
import { INTERVAL_LABELS, LAYOUTS, MAX_WATCHLIST, parseIndicators, withSelection, type Settings } from './settings.js';

/** The parameters this module owns; any other (transport, token, compact) is left as it was. */
export const LINK_PARAMS = ['symbols', 'layout', 'panels'] as const;
/** Marks a panel that follows the watchlist selection. */
const LINKED = 'link';

/** The screen as link parameters, in a readable order with `,` and `:` left unescaped. */
export function linkQuery(s: Settings): string {
  const panels = s.panels.slice(0, s.layout).map((p) => {
    const parts = [p.symbol, INTERVAL_LABELS[p.interval]];
    if (p.linked) parts.push(LINKED);
    for (const spec of p.indicators) parts.push(specToken(spec));
    return parts.map(encodeURIComponent).join(':');
  });
  return `symbols=${s.watchlist.map(encodeURIComponent).join(',')}&layout=${s.layout}&panels=${panels.join(',')}`;
}

/** `search` (location.search) with the link parameters replaced by the screen's, others kept. */
export function searchWithScreen(search: string, s: Settings): string {
  const params = new URLSearchParams(search);
  for (const name of LINK_PARAMS) params.delete(name);
  const rest = params.toString();
  return `?${linkQuery(s)}${rest === '' ? '' : `&${rest}`}`;
}

/** True when `search` carries any link parameter. */
export function hasLink(search: string): boolean {
  const params = new URLSearchParams(search);
  return LINK_PARAMS.some((name) => params.has(name));
}

/**
 * `base` with what `search` links to applied: the watchlist (valid tickers; none valid leaves it), the layout,
 * and per listed panel its symbol (added to the watchlist when missing), interval, linking and indicators.
 */
export function applyLink(base: Settings, search: string): Settings {
  const params = new URLSearchParams(search);
  let watchlist = base.watchlist;
  const listed = params.get('symbols');
  if (listed !== null) {
    const tickers = [...new Set(listed.split(',').filter(isTicker))].slice(0, MAX_WATCHLIST);
    if (tickers.length > 0) watchlist = tickers;
  }
  const layoutText = params.get('layout');
  const layout = LAYOUTS.find((l) => String(l) === layoutText) ?? base.layout;
  const panels = base.panels.map((p) => ({ ...p, symbol: watchlist.includes(p.symbol) ? p.symbol : (watchlist[0] ?? '') }));
  let selected: string | undefined;
  (params.get('panels') ?? '')
    .split(',')
    .slice(0, panels.length)
    .forEach((item, i) => {
      const [symbol = '', interval = '', ...tokens] = item.split(':');
      const panel = panels[i];
      if (panel === undefined || item === '') return;
      if (isTicker(symbol)) {
        if (!watchlist.includes(symbol) && watchlist.length < MAX_WATCHLIST) watchlist = [...watchlist, symbol];
        if (watchlist.includes(symbol)) panel.symbol = symbol;
      }
      panel.interval = parseHistoryInterval(interval) ?? panel.interval;
      panel.linked = tokens.includes(LINKED);
      if (panel.linked && selected === undefined) selected = panel.symbol;
      panel.indicators = parseIndicators(tokens.map(specFromToken));
    });
  const activePanel = base.activePanel < layout ? base.activePanel : 0;
  return withSelection({ ...base, watchlist, layout, panels, activePanel }, selected ?? base.selected);
}
