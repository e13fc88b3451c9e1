// Binance spot trade streams (wss://stream.binance.com:9443): `<symbol>@trade`, subscribed with the live
// SUBSCRIBE method on /ws after every open, events plain or wrapped as combined-stream {stream, data}.
// A Binance symbol is the instrument's ticker without separators (BTC-USDT → BTCUSDT, btcusdt@trade).
// Fields used, from the venue's documentation: e ("trade"), s, t (trade id), p, q, T (trade time).
import { decimalField, type Parsed, type Venue } from './exchange-stream.js';

export const BINANCE_URL = 'wss://stream.binance.com:9443/ws';

/** The Binance symbol of an instrument ticker. */
export function binanceSymbol(ticker: string): string {
  return ticker.replace(/[^A-Za-z0-9]/g, '').toUpperCase();
}

export function binanceVenue(tickers: readonly string[], url = BINANCE_URL): Venue {
  const bySymbol = new Map(tickers.map((t) => [binanceSymbol(t), t]));
  let requestId = 0;
  return {
    name: 'binance',
    url,
    subscribe: () => [JSON.stringify({ method: 'SUBSCRIBE', params: [...bySymbol.keys()].map((s) => `${s.toLowerCase()}@trade`), id: ++requestId })],
    parse(text): Parsed {
      let m: Record<string, unknown>;
      try {
        m = JSON.parse(text) as Record<string, unknown>;
      } catch {
        return { kind: 'malformed', why: 'not JSON' };
      }
      if (m === null || typeof m !== 'object') return { kind: 'malformed', why: 'not an object' };
      // The answer to SUBSCRIBE: {"result":null,"id":n}.
      if ('result' in m && 'id' in m) return m.result === null ? { kind: 'ignored' } : { kind: 'malformed', why: 'SUBSCRIBE refused' };
      const e = (typeof m.stream === 'string' && typeof m.data === 'object' && m.data !== null ? m.data : m) as Record<string, unknown>;
      if (e.e !== 'trade') return { kind: 'ignored' };
      const ticker = typeof e.s === 'string' ? bySymbol.get(e.s.toUpperCase()) : undefined;
      const price = decimalField(e.p);
      const size = decimalField(e.q);
      if (ticker === undefined || !Number.isSafeInteger(e.t) || price === null || size === null || typeof e.T !== 'number') {
        return { kind: 'malformed', why: 'trade without a subscribed s, t, p, q or T' };
      }
      return { kind: 'trades', trades: [{ ticker, price, size, ts: e.T, id: e.t as number }] };
    },
  };
}
