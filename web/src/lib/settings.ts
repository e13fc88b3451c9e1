// The user's saved choices (watchlist, chart layout, theme, transport, time zone) and their validation. Whatever
// is in localStorage is untrusted: parseSettings keeps what is valid and falls back to defaults for the
// rest, so a stale or hand-edited entry can never break the page.
import { isTicker } from '@tickwire/protocol/control';
import { isPreference, type TransportPreference } from '@tickwire/client/transport/policy';
import { HISTORY_INTERVALS, HISTORY_INTERVAL_LABELS } from '@tickwire/protocol/candles';
import type { ChartInterval } from './market/symbol.js';
import { DEFAULT_COLUMNS, parseColumns, parseSort, type OptionalColumn, type WatchSort } from './market/columns.js';
import { parseAlerts, type PriceAlert } from './market/alerts.js';
import { parseSpec, specToken, type IndicatorSpec } from './chart/indicators.js';

export const STORAGE_KEY = 'tickwire.settings.v1';
/** Every interval the server keeps history for (protocol/src/candles.ts), in the selector's order. */
export const INTERVALS: readonly ChartInterval[] = HISTORY_INTERVALS;
export const INTERVAL_LABELS: Readonly<Record<ChartInterval, string>> = HISTORY_INTERVAL_LABELS;
export const LAYOUTS = [1, 2, 4] as const;
export type Layout = (typeof LAYOUTS)[number];
export type Theme = 'dark' | 'light';
export const MAX_WATCHLIST = 100;

/** Zones offered in the time-zone menu besides the browser's own ('local'): the main trading centres. */
export const TIME_ZONES: readonly string[] = [
  'local',
  'UTC',
  'America/New_York',
  'America/Chicago',
  'Europe/London',
  'Europe/Berlin',
  'Asia/Hong_Kong',
  'Asia/Tokyo',
  'Australia/Sydney',
];

export const DEFAULT_WATCHLIST: readonly string[] = ['AAPL', 'MSFT', 'NVDA', 'TSLA', 'AMZN', 'GOOGL', 'META', 'EURUSD', 'GBPUSD', 'USDJPY', 'BTCUSD', 'ETHUSD'];

/** Indicators one panel may show at once. */
export const MAX_INDICATORS = 8;

export interface PanelSettings {
  symbol: string;
  interval: ChartInterval;
  /** Follows the watchlist selection (else stays on its own symbol). */
  linked: boolean;
  indicators: IndicatorSpec[];
}

export interface Settings {
  watchlist: string[];
  layout: Layout;
  /** Always four panels; the layout shows the first 1, 2 or 4. */
  panels: PanelSettings[];
  activePanel: number;
  /** The watchlist's selected ticker: linked panels show it. */
  selected: string;
  theme: Theme;
  transport: TransportPreference;
  /** Zone of every time shown (tape, chart axis, legend): 'local' or an IANA name. */
  timeZone: string;
  /** Optional watchlist columns shown (market/columns.ts). */
  columns: OptionalColumn[];
  /** Watchlist sorted by a column; null: the watchlist's own (manual, drag-to-reorder) order. */
  sort: WatchSort | null;
  /** Price alerts (market/alerts.ts), with their armed state. */
  alerts: PriceAlert[];
}

export function defaultPanels(watchlist: readonly string[]): PanelSettings[] {
  const pick = (i: number) => watchlist[i] ?? watchlist[0] ?? '';
  // The first panel follows the selection; the others keep the symbols they were given.
  return [
    { symbol: pick(0), interval: 5, linked: true, indicators: [] },
    { symbol: pick(1), interval: 5, linked: false, indicators: [] },
    { symbol: pick(watchlist.length > 10 ? 10 : 2), interval: 60, linked: false, indicators: [] },
    { symbol: pick(watchlist.length > 7 ? 7 : 3), interval: 60, linked: false, indicators: [] },
  ];
}

export function defaultSettings(): Settings {
  const watchlist = [...DEFAULT_WATCHLIST];
  return {
    watchlist,
    layout: 1,
    panels: defaultPanels(watchlist),
    activePanel: 0,
    selected: watchlist[0] ?? '',
    theme: 'dark',
    transport: 'auto',
    timeZone: 'local',
    columns: [...DEFAULT_COLUMNS],
    sort: null,
    alerts: [],
  };
}

/** 'local' or a zone name this browser knows (a saved name may come from another browser). */
export function isTimeZone(v: unknown): v is string {
  if (v === 'local') return true;
  if (typeof v !== 'string' || v.length === 0 || v.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: v });
    return true;
  } catch {
    return false;
  }
}

/** The settings with another display time zone; an unknown name leaves them unchanged. */
export function withTimeZone(s: Settings, timeZone: string): Settings {
  return isTimeZone(timeZone) && timeZone !== s.timeZone ? { ...s, timeZone } : s;
}

function isInterval(v: unknown): v is ChartInterval {
  return (INTERVALS as readonly unknown[]).includes(v);
}

/** Validates a parsed localStorage value; anything invalid is replaced by its default. */
export function parseSettings(raw: unknown): Settings {
  const d = defaultSettings();
  if (typeof raw !== 'object' || raw === null) return d;
  const o = raw as Record<string, unknown>;
  const watchlist = Array.isArray(o.watchlist) ? [...new Set(o.watchlist.filter(isTicker))].slice(0, MAX_WATCHLIST) : d.watchlist;
  const layout = LAYOUTS.find((l) => l === o.layout) ?? d.layout;
  const fallbackPanels = defaultPanels(watchlist);
  const panels = fallbackPanels.map((fallback, i) => {
    const p = Array.isArray(o.panels) ? (o.panels[i] as Record<string, unknown> | undefined) : undefined;
    const symbol = p !== undefined && isTicker(p.symbol) && watchlist.includes(p.symbol) ? p.symbol : fallback.symbol;
    const interval = p !== undefined && isInterval(p.interval) ? p.interval : fallback.interval;
    const linked = typeof p?.linked === 'boolean' ? p.linked : fallback.linked;
    const indicators = parseIndicators(p?.indicators);
    return { symbol, interval, linked, indicators };
  });
  const activePanel = typeof o.activePanel === 'number' && Number.isInteger(o.activePanel) && o.activePanel >= 0 && o.activePanel < layout ? o.activePanel : 0;
  const theme: Theme = o.theme === 'light' ? 'light' : 'dark';
  const transport: TransportPreference = isPreference(o.transport) ? o.transport : 'auto';
  const timeZone = isTimeZone(o.timeZone) ? o.timeZone : d.timeZone;
  return withSelection({ watchlist, layout, panels, activePanel, selected: '', theme, transport, timeZone, ...watchPrefs(o) }, o.selected);
}

/** The watchlist's columns, sort and price alerts from untrusted input. */
function watchPrefs(o: Record<string, unknown>): Pick<Settings, 'columns' | 'sort' | 'alerts'> {
  return { columns: parseColumns(o.columns), sort: parseSort(o.sort), alerts: parseAlerts(o.alerts) };
}

/** Valid indicator specs from untrusted input, each once, at most MAX_INDICATORS; anything else is dropped. */
export function parseIndicators(raw: unknown): IndicatorSpec[] {
  if (!Array.isArray(raw)) return [];
  const specs = new Map<string, IndicatorSpec>();
  for (const spec of raw.map(parseSpec)) if (spec !== null && specs.size < MAX_INDICATORS) specs.set(specToken(spec), spec);
  return [...specs.values()];
}

/**
 * The settings with `wanted` selected when it is watched (else the first linked panel's symbol, else
 * the first row) and every linked panel on it: the one place that keeps linked panels and selection equal.
 */
export function withSelection(s: Settings, wanted: unknown): Settings {
  const watched = (t: unknown): t is string => typeof t === 'string' && s.watchlist.includes(t);
  const linked = s.panels.find((p) => p.linked)?.symbol;
  const selected = watched(wanted) ? wanted : watched(linked) ? linked : (s.watchlist[0] ?? '');
  const panels = s.panels.map((p) => (p.linked && p.symbol !== selected ? { ...p, symbol: selected } : p));
  return { ...s, selected, panels };
}

export function loadSettings(storage: Pick<Storage, 'getItem'> | null): Settings {
  if (storage === null) return defaultSettings();
  try {
    const text = storage.getItem(STORAGE_KEY);
    return text === null ? defaultSettings() : parseSettings(JSON.parse(text));
  } catch {
    return defaultSettings();
  }
}

export function saveSettings(storage: Pick<Storage, 'setItem'> | null, settings: Settings): void {
  try {
    storage?.setItem(STORAGE_KEY, JSON.stringify(settings));
  } catch {
    // Private mode or quota: the session still works, it just will not be remembered.
  }
}

/**
 * Removes a ticker from the watchlist and repoints every panel that showed it (to the row that took its
 * place), so panels only ever show watched symbols.
 */
export function removeTicker(s: Settings, ticker: string): Settings {
  const index = s.watchlist.indexOf(ticker);
  if (index === -1) return s;
  const watchlist = s.watchlist.filter((t) => t !== ticker);
  const replacement = watchlist[Math.min(index, watchlist.length - 1)] ?? '';
  const panels = s.panels.map((p) => (p.symbol === ticker ? { ...p, symbol: replacement } : p));
  return { ...s, watchlist, panels, selected: s.selected === ticker ? replacement : s.selected };
}

export function addTicker(s: Settings, ticker: string): Settings {
  if (!isTicker(ticker) || s.watchlist.includes(ticker) || s.watchlist.length >= MAX_WATCHLIST) return s;
  const watchlist = [...s.watchlist, ticker];
  const panels = s.panels.map((p) => (p.symbol === '' ? { ...p, symbol: ticker } : p));
  return { ...s, watchlist, panels, selected: s.selected === '' ? ticker : s.selected };
}

/** Moves `ticker` to position `to` of the watchlist (clamped): the manual order, by drag or Alt+↑/↓. */
export function moveTicker(s: Settings, ticker: string, to: number): Settings {
  const from = s.watchlist.indexOf(ticker);
  const index = Math.max(0, Math.min(s.watchlist.length - 1, to));
  if (from === -1 || from === index) return s;
  const watchlist = s.watchlist.filter((t) => t !== ticker);
  watchlist.splice(index, 0, ticker);
  return { ...s, watchlist };
}

/** The ticker `delta` rows away from `current` (clamped), for keyboard navigation. */
export function neighbour(watchlist: readonly string[], current: string, delta: number): string | null {
  if (watchlist.length === 0) return null;
  const i = watchlist.indexOf(current);
  if (i === -1) return watchlist[0] ?? null;
  return watchlist[Math.max(0, Math.min(watchlist.length - 1, i + delta))] ?? null;
}
