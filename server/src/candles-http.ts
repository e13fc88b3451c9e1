// GET /api/candles: pages of a symbol's bars from its history rings (docs/protocol.md, "Candle history").
// Every bad input gets one 4xx JSON error naming it; nothing here can throw into uWS (the route guard
// answers 500 if it ever did). Pages that end before the forming bar never change, so they carry an
// ETag (epoch, symbol, interval, page bounds) and may be cached; the newest page is no-store.
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import {
  DEFAULT_CANDLES_PER_PAGE,
  HISTORY_INTERVAL_LABELS,
  HISTORY_INTERVALS,
  MAX_CANDLES_PER_PAGE,
  parseHistoryInterval,
  type CandlesPage,
} from '@tickwire/protocol/candles';
import type { Fanout } from '@tickwire/core/fanout';
import { sendJson, writeCommonHeaders } from './http-util.js';

/** How long a closed page may be reused without asking (a restart regenerates the past: keep it short). */
const CLOSED_PAGE_MAX_AGE_SEC = 300;
/** Slack for clocks: a `before` up to this far past the server's now is still "now". */
const FUTURE_SLACK_SEC = 5;
const INTEGER = /^\d{1,15}$/;

export interface CandlesDeps {
  fanout: Fanout;
  now: () => number;
  /** Seeds the symbol's generated past if the background seeding has not reached it yet. */
  ensurePast: (symbolId: number) => void;
}

function bad(res: HttpResponse, status: number, name: string, message: string): void {
  sendJson(res, status, { error: { name, message } });
}

export function candlesHandler(deps: CandlesDeps): (res: HttpResponse, req: HttpRequest) => void {
  const intervals = HISTORY_INTERVALS.map((i) => HISTORY_INTERVAL_LABELS[i]).join(', ');
  return (res, req) => {
    const symbol = req.getQuery('symbol') ?? '';
    const intervalText = req.getQuery('interval') ?? '';
    const beforeText = req.getQuery('before');
    const limitText = req.getQuery('limit');
    const ifNoneMatch = req.getHeader('if-none-match');

    if (symbol === '') return bad(res, 400, 'MissingSymbol', 'symbol is required, e.g. ?symbol=AAPL&interval=1m');
    const id = deps.fanout.idOf(symbol);
    const state = id === undefined ? undefined : deps.fanout.states[id];
    if (state === undefined) return bad(res, 404, 'UnknownSymbol', `unknown symbol ${JSON.stringify(symbol.slice(0, 32))} (see /api/symbols)`);
    const interval = parseHistoryInterval(intervalText);
    if (interval === null)
      return bad(res, 400, 'BadInterval', `interval must be one of ${intervals} (or its seconds), got ${JSON.stringify(intervalText.slice(0, 16))}`);
    let limit = DEFAULT_CANDLES_PER_PAGE;
    if (limitText !== undefined) {
      limit = INTEGER.test(limitText) ? Number(limitText) : NaN;
      if (!(limit >= 1 && limit <= MAX_CANDLES_PER_PAGE)) return bad(res, 400, 'BadLimit', `limit must be an integer from 1 to ${MAX_CANDLES_PER_PAGE}`);
    }
    const nowSec = Math.floor(deps.now() / 1000);
    let before = Infinity;
    if (beforeText !== undefined) {
      if (!INTEGER.test(beforeText)) return bad(res, 400, 'BadBefore', 'before must be a time in UTC seconds (a bar time from an earlier page)');
      before = Number(beforeText);
      if (before > nowSec + FUTURE_SLACK_SEC) return bad(res, 400, 'BeforeInFuture', `before ${before} is in the future (server time ${nowSec})`);
    }

    deps.ensurePast(state.instrument.id);
    const ring = state.historyRing(interval)!;
    const newest = ring.newestTime;
    const { bars, more } = ring.page(before, limit);
    const openBar = newest !== null && bars.length > 0 && bars[bars.length - 1]!.time === newest;
    const i = state.instrument;
    const body: CandlesPage = {
      symbol: i.ticker,
      interval,
      priceScale: i.priceScale,
      sizeScale: i.sizeScale,
      time: bars.map((b) => b.time),
      open: bars.map((b) => b.open),
      high: bars.map((b) => b.high),
      low: bars.map((b) => b.low),
      close: bars.map((b) => b.close),
      volume: bars.map((b) => b.volume),
      next: more && bars.length > 0 ? bars[0]!.time : null,
      openBar,
    };
    if (openBar || bars.length === 0) return sendJson(res, 200, body);
    // Closed bars never change within an epoch; the ring only forgets its oldest, which shortens old pages.
    const etag = `"${deps.fanout.epoch.toString(36)}-${interval}-${i.id}-${bars[0]!.time}-${bars.length}-${more ? 1 : 0}"`;
    if (ifNoneMatch === etag) {
      res.done = true;
      res.cork(() => {
        res.writeStatus('304 Not Modified');
        res.writeHeader('ETag', etag);
        res.writeHeader('Cache-Control', `public, max-age=${CLOSED_PAGE_MAX_AGE_SEC}`);
        writeCommonHeaders(res);
        res.end();
      });
      return;
    }
    sendJson(res, 200, body, { ETag: etag, 'Cache-Control': `public, max-age=${CLOSED_PAGE_MAX_AGE_SEC}` });
  };
}
