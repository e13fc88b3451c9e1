// Coinbase Exchange WebSocket feed (the public market-data socket, wss://ws-feed.exchange.coinbase.com):
// `matches` (one message per trade, and a `last_match` on subscribe) and `ticker` (per trade, with the best
// bid and ask). Product ids are the instrument file's tickers as they are (BTC-USD). Fields used, from the
// venue's documentation: type, product_id, trade_id, price, size (matches) / last_size (ticker), time,
// best_bid, best_ask.
import { decimalField, type Parsed, type Venue, type VenueTrade } from './exchange-stream.js';

export const COINBASE_URL = 'wss://ws-feed.exchange.coinbase.com';
export type CoinbaseChannel = 'matches' | 'ticker';

export function coinbaseVenue(products: readonly string[], url = COINBASE_URL, channels: readonly CoinbaseChannel[] = ['matches']): Venue {
  return {
    name: 'coinbase',
    url,
    subscribe: () => [JSON.stringify({ type: 'subscribe', product_ids: products, channels })],
    parse(text): Parsed {
      let m: Record<string, unknown>;
      try {
        m = JSON.parse(text) as Record<string, unknown>;
      } catch {
        return { kind: 'malformed', why: 'not JSON' };
      }
      if (m === null || typeof m !== 'object') return { kind: 'malformed', why: 'not an object' };
      switch (m.type) {
        case 'match':
        case 'last_match':
        case 'ticker': {
          const isTicker = m.type === 'ticker';
          const price = decimalField(m.price);
          const size = decimalField(isTicker ? m.last_size : m.size);
          const ts = typeof m.time === 'string' ? Date.parse(m.time) : NaN;
          if (typeof m.product_id !== 'string' || !Number.isSafeInteger(m.trade_id) || price === null || size === null || !Number.isFinite(ts)) {
            return { kind: 'malformed', why: `${String(m.type)} without product_id, trade_id, price, size or time` };
          }
          const trade: VenueTrade = { ticker: m.product_id, price, size, ts, id: m.trade_id as number };
          const bid = decimalField(m.best_bid);
          const ask = decimalField(m.best_ask);
          if (isTicker && bid !== null && ask !== null) Object.assign(trade, { bid, ask });
          return { kind: 'trades', trades: [trade] };
        }
        case 'subscriptions':
        case 'heartbeat':
          return { kind: 'ignored' };
        default:
          return { kind: 'malformed', why: `unexpected message type ${JSON.stringify(m.type)}` };
      }
    },
  };
}
