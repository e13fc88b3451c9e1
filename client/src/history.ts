// Candle history over HTTP: one page of GET /api/candles (docs/protocol.md, "Candle history") as bars in
// wire ticks (exact; what a chart built on the integer codec wants) and in the instrument's units, and
// `olderCandles` to walk back page by page. Independent of connect(): it needs only the server's origin.
import { Route, routeUrl } from '@tickwire/protocol/routes';
import type { CandlesPage } from '@tickwire/protocol/candles';
import type { Candle } from '@tickwire/protocol/messages';
import type { PriceTicks, UtcSeconds } from '@tickwire/protocol/units';
import { ticksToNumber } from '@tickwire/protocol/units';
import type { PriceBar } from './decoded.js';
import { browserFetch, type FetchLike } from './transport/types.js';

export { HISTORY_INTERVALS, HISTORY_INTERVAL_LABELS, MAX_CANDLES_PER_PAGE, type HistoryInterval } from '@tickwire/protocol/candles';

export interface FetchCandlesOptions {
  symbol: string;
  /** Seconds (60) or a label ('1m'): 1s 5s 1m 5m 15m 1h 4h 1D. */
  interval: number | string;
  /** Only bars starting before this UTC second (a previous page's `next`); omitted: up to the forming bar. */
  before?: number;
  /** Bars per page, 1…1000 (server default 500). */
  limit?: number;
  signal?: AbortSignal;
  fetch?: FetchLike;
}

export interface CandleHistory {
  symbol: string;
  interval: number;
  priceScale: number;
  sizeScale: number;
  /** Oldest first, prices in integer ticks and volume in lots, exactly as the server keeps them. */
  candles: Candle[];
  /** The same bars in the instrument's units (price = ticks / 10^priceScale). */
  bars: PriceBar[];
  /** `before` of the next older page; null when nothing older is kept. */
  next: number | null;
  /** The last bar is still forming: live ticks keep changing it. */
  openBar: boolean;
}

/** The server refused the request (`status` 4xx/5xx, `code` its error name such as 'UnknownSymbol'). */
export class CandlesRequestError extends Error {
  override readonly name = 'CandlesRequestError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** One page of a symbol's bars, newest page unless `before` is given. Rejects with CandlesRequestError on a 4xx/5xx. */
export async function fetchCandles(server: string | URL, options: FetchCandlesOptions): Promise<CandleHistory> {
  const url = routeUrl(server, Route.candles);
  url.searchParams.set('symbol', options.symbol);
  url.searchParams.set('interval', String(options.interval));
  if (options.before !== undefined) url.searchParams.set('before', String(options.before));
  if (options.limit !== undefined) url.searchParams.set('limit', String(options.limit));
  const res = await (options.fetch ?? browserFetch)(url.toString(), options.signal ? { signal: options.signal } : {});
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) {
    const error = (body as { error?: { name?: string; message?: string } } | null)?.error;
    throw new CandlesRequestError(res.status, error?.name ?? 'HttpError', error?.message ?? `GET ${Route.candles} answered ${res.status}`);
  }
  const page = body as CandlesPage;
  const candles: Candle[] = page.time.map((time, i) => ({
    time: time as UtcSeconds,
    open: page.open[i]! as PriceTicks,
    high: page.high[i]! as PriceTicks,
    low: page.low[i]! as PriceTicks,
    close: page.close[i]! as PriceTicks,
    volume: page.volume[i]!,
  }));
  const p = (v: number) => ticksToNumber(v, page.priceScale);
  const bars = candles.map((c) => ({
    time: c.time,
    open: p(c.open),
    high: p(c.high),
    low: p(c.low),
    close: p(c.close),
    volume: ticksToNumber(c.volume, page.sizeScale),
  }));
  return {
    symbol: page.symbol,
    interval: page.interval,
    priceScale: page.priceScale,
    sizeScale: page.sizeScale,
    candles,
    bars,
    next: page.next,
    openBar: page.openBar,
  };
}

/** Pages from the newest backwards until `pages` were read or nothing older is kept. */
export async function* olderCandles(server: string | URL, options: FetchCandlesOptions & { pages?: number }): AsyncGenerator<CandleHistory> {
  let before = options.before;
  for (let n = 0; n < (options.pages ?? Infinity); n++) {
    const page = await fetchCandles(server, before === undefined ? { ...options } : { ...options, before });
    yield page;
    if (page.next === null) return;
    before = page.next;
  }
}
