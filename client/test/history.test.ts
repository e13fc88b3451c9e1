// fetchCandles() and olderCandles() in Node against a real server: pages in ticks and in units agree,
// walking back is continuous, and a refusal is a CandlesRequestError carrying the server's error name.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '@tickwire/server/test/harness';
import type { TickwireServer } from '@tickwire/server/server';
import { CandlesRequestError, HISTORY_INTERVALS, fetchCandles, olderCandles } from '../src/index.js';

let server: TickwireServer;
let url: string;

beforeAll(async () => {
  server = await startServer({ symbols: 10 });
  url = `http://127.0.0.1:${server.port}`;
});
afterAll(async () => {
  await server.close();
});

describe('fetchCandles', () => {
  it('reads the newest page by label or seconds, in ticks and in units', async () => {
    const byLabel = await fetchCandles(url, { symbol: 'AAPL', interval: '1h', limit: 50 });
    const bySeconds = await fetchCandles(url, { symbol: 'AAPL', interval: 3600, limit: 50 });
    expect(byLabel.candles.map((c) => c.time)).toEqual(bySeconds.candles.map((c) => c.time));
    expect(byLabel.candles).toHaveLength(50);
    expect(byLabel.openBar).toBe(true);
    const f = 10 ** byLabel.priceScale;
    byLabel.bars.forEach((b, i) => expect(Math.round(b.close * f)).toBe(byLabel.candles[i]!.close));
    expect(HISTORY_INTERVALS).toContain(byLabel.interval);
  });

  it('walks back with olderCandles without gaps or overlap', async () => {
    const times: number[] = [];
    for await (const page of olderCandles(url, { symbol: 'EURUSD', interval: '4h', limit: 40, pages: 4 })) {
      if (times.length > 0) expect(page.candles[page.candles.length - 1]!.time).toBeLessThan(times[0]!);
      times.unshift(...page.candles.map((c) => c.time));
    }
    expect(times.length).toBeGreaterThan(100);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThan(0);
  });

  it('rejects a refusal with the server error name and status', async () => {
    const error = await fetchCandles(url, { symbol: 'NOPE', interval: '1m' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CandlesRequestError);
    expect((error as CandlesRequestError).status).toBe(404);
    expect((error as CandlesRequestError).code).toBe('UnknownSymbol');
    const bad = await fetchCandles(url, { symbol: 'AAPL', interval: '2m' }).catch((e: unknown) => e);
    expect((bad as CandlesRequestError).code).toBe('BadInterval');
  });
});
