// The watchlist's columns, once: which exist, which the user may hide (the columns menu), how wide each
// may get (one CSS grid template shared by the header and every row), and the sort (column, direction)
// with the number each column sorts by. Saved choices are validated here, like the rest of settings.ts.
import { scaleFactor } from '@tickwire/protocol/units';
import type { SymbolState } from './symbol.js';

export const COLUMN_KEYS = ['symbol', 'spark', 'last', 'change', 'changePct', 'bid', 'ask', 'spread', 'high', 'low', 'volume'] as const;
export type ColumnKey = (typeof COLUMN_KEYS)[number];

export interface ColumnDef {
  key: ColumnKey;
  /** Header text. */
  label: string;
  /** Spoken and menu name when the header is abbreviated. */
  name: string;
  /** CSS grid track. */
  track: string;
  /** Hidden in the columns menu's choice (false: always shown). */
  optional: boolean;
  /** Sortable by clicking its header. */
  sortable: boolean;
}

export const COLUMNS: readonly ColumnDef[] = [
  { key: 'symbol', label: 'Symbol', name: 'Symbol', track: 'minmax(58px, 1fr)', optional: false, sortable: true },
  { key: 'spark', label: 'Trend', name: 'Sparkline (1 min closes)', track: '46px', optional: true, sortable: false },
  { key: 'last', label: 'Last', name: 'Last price', track: 'minmax(66px, 1.1fr)', optional: false, sortable: true },
  { key: 'change', label: 'Chg', name: 'Change', track: 'minmax(56px, 0.95fr)', optional: false, sortable: true },
  { key: 'changePct', label: 'Chg %', name: 'Change %', track: 'minmax(54px, 0.9fr)', optional: false, sortable: true },
  { key: 'bid', label: 'Bid', name: 'Bid', track: 'minmax(60px, 1.05fr)', optional: true, sortable: true },
  { key: 'ask', label: 'Ask', name: 'Ask', track: 'minmax(60px, 1.05fr)', optional: true, sortable: true },
  { key: 'spread', label: 'Sprd', name: 'Spread', track: 'minmax(44px, 0.8fr)', optional: true, sortable: true },
  { key: 'high', label: 'High', name: 'Day high', track: 'minmax(60px, 1.05fr)', optional: true, sortable: true },
  { key: 'low', label: 'Low', name: 'Day low', track: 'minmax(60px, 1.05fr)', optional: true, sortable: true },
  { key: 'volume', label: 'Volume', name: 'Volume', track: 'minmax(46px, 0.8fr)', optional: true, sortable: true },
];

export type OptionalColumn = 'spark' | 'bid' | 'ask' | 'spread' | 'high' | 'low' | 'volume';
export const OPTIONAL_COLUMNS: readonly OptionalColumn[] = COLUMNS.filter((c) => c.optional).map((c) => c.key as OptionalColumn);
/** Shown on a first visit: the sparkline and the quote, which fit the desktop panel (476 px) without scrolling. */
export const DEFAULT_COLUMNS: readonly OptionalColumn[] = ['spark', 'bid', 'ask'];

export type SortDir = 'asc' | 'desc';
export interface WatchSort {
  key: Exclude<ColumnKey, 'spark'>;
  dir: SortDir;
}

/** The columns on screen, in the fixed order of COLUMNS; `narrow` (phones) keeps only the required ones. */
export function visibleColumns(shown: readonly OptionalColumn[], narrow = false): ColumnDef[] {
  return COLUMNS.filter((c) => !c.optional || (!narrow && (shown as readonly string[]).includes(c.key)));
}

export function gridTemplate(columns: readonly ColumnDef[]): string {
  return columns.map((c) => c.track).join(' ');
}

/** Column gap and the row's horizontal padding (Watchlist.svelte, WatchRow.svelte), in px. */
const GAP_PX = 6;
const PADDING_PX = 40;

/**
 * Narrowest the rows may get with these columns (each track's minimum, gaps, padding): below it the list
 * scrolls sideways inside its panel rather than cutting numbers off.
 */
export function minRowWidth(columns: readonly ColumnDef[]): number {
  const tracks = columns.reduce((sum, c) => sum + Number(/(\d+)px/.exec(c.track)?.[1] ?? 0), 0);
  return tracks + GAP_PX * Math.max(0, columns.length - 1) + PADDING_PX;
}

/** A header click: off → ascending → descending → off (the manual order), or ascending on another column. */
export function nextSort(current: WatchSort | null, key: WatchSort['key']): WatchSort | null {
  if (current === null || current.key !== key) return { key, dir: key === 'symbol' ? 'asc' : 'desc' };
  if ((current.dir === 'desc') === (key !== 'symbol')) return { key, dir: current.dir === 'asc' ? 'desc' : 'asc' };
  return null;
}

/**
 * What `s` sorts by under `key` (in price units, so symbols of different scales compare); NaN for a symbol
 * with nothing to show yet, which sorts last in both directions.
 */
export function sortValue(s: SymbolState, key: Exclude<WatchSort['key'], 'symbol'>): number {
  if (!s.seeded) return NaN;
  const f = scaleFactor(s.priceScale);
  switch (key) {
    case 'last':
      return s.last / f;
    case 'change':
      return (s.last - s.open) / f;
    case 'changePct':
      return s.open > 0 ? (s.last - s.open) / s.open : NaN;
    case 'bid':
      return s.bid > 0 ? s.bid / f : NaN;
    case 'ask':
      return s.ask > 0 ? s.ask / f : NaN;
    case 'spread':
      return s.bid > 0 && s.ask > 0 ? (s.ask - s.bid) / f : NaN;
    case 'high':
      return s.high > 0 ? s.high / f : NaN;
    case 'low':
      return s.low > 0 ? s.low / f : NaN;
    case 'volume':
      return s.volume / scaleFactor(s.sizeScale);
  }
}

/** Sorts symbols in place by `sort`; ties and unknown values keep the manual order (`rank`). */
export function sortSymbols(list: SymbolState[], sort: WatchSort, rank: ReadonlyMap<string, number>): void {
  const sign = sort.dir === 'asc' ? 1 : -1;
  const byRank = (a: SymbolState, b: SymbolState) => (rank.get(a.ticker) ?? 0) - (rank.get(b.ticker) ?? 0);
  if (sort.key === 'symbol') {
    list.sort((a, b) => sign * (a.ticker < b.ticker ? -1 : a.ticker > b.ticker ? 1 : 0) || byRank(a, b));
    return;
  }
  const key = sort.key;
  const values = new Map(list.map((s) => [s, sortValue(s, key)]));
  list.sort((a, b) => {
    const va = values.get(a) ?? NaN;
    const vb = values.get(b) ?? NaN;
    if (Number.isNaN(va) || Number.isNaN(vb)) return Number.isNaN(va) === Number.isNaN(vb) ? byRank(a, b) : Number.isNaN(va) ? 1 : -1;
    return sign * (va - vb) || byRank(a, b);
  });
}

export function parseSort(raw: unknown): WatchSort | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const o = raw as Record<string, unknown>;
  const column = COLUMNS.find((c) => c.sortable && c.key === o.key);
  if (column === undefined || (o.dir !== 'asc' && o.dir !== 'desc')) return null;
  return { key: column.key as WatchSort['key'], dir: o.dir };
}

export function parseColumns(raw: unknown): OptionalColumn[] {
  if (!Array.isArray(raw)) return [...DEFAULT_COLUMNS];
  return OPTIONAL_COLUMNS.filter((c) => raw.includes(c));
}
