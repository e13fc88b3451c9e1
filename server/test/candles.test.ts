// GET /api/candles against a real server on an ephemeral port: the generated past reaches back weeks on
// every interval, pages walk back without gaps or overlap, bars are consistent and aligned, the newest
// bar keeps following live ticks, closed pages revalidate by ETag, and each bad input gets its own 4xx
// while the server goes on serving.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HISTORY_INTERVALS, HISTORY_INTERVAL_LABELS, MAX_CANDLES_PER_PAGE, type CandlesPage } from '@tickwire/protocol/candles';
import { startServer } from './harness.js';
import type { TickwireServer } from '../src/server.js';

let server: TickwireServer;
let base: string;
let startupMs: number;
/** When the live stream (the simulator) started: the seam between generated and live bars. */
let seamSec: number;

beforeAll(async () => {
  const t0 = performance.now();
  seamSec = Date.now() / 1000 - 60;
  server = await startServer({ symbols: 50, warmupSec: 60 });
  startupMs = performance.now() - t0;
  base = `http://127.0.0.1:${server.port}/api/candles`;
});
afterAll(async () => {
  await server.close();
});

async function page(query: string): Promise<{ status: number; body: CandlesPage; headers: Headers }> {
  const res = await fetch(`${base}?${query}`);
  return { status: res.status, body: (await res.json()) as CandlesPage, headers: res.headers };
}

function checkBars(p: CandlesPage): void {
  for (let i = 0; i < p.time.length; i++) {
    expect(p.time[i]! % p.interval).toBe(0);
    if (i > 0) expect(p.time[i]!).toBeGreaterThan(p.time[i - 1]!);
    expect(p.low[i]!).toBeLessThanOrEqual(Math.min(p.open[i]!, p.close[i]!));
    expect(p.high[i]!).toBeGreaterThanOrEqual(Math.max(p.open[i]!, p.close[i]!));
    expect(p.volume[i]!).toBeGreaterThanOrEqual(0);
  }
}

describe('GET /api/candles', () => {
  it('starts within 3 s with 50 symbols, their past generated', () => {
    console.log(`start-up with 50 symbols and their history: ${Math.round(startupMs)} ms`);
    expect(startupMs).toBeLessThan(3000);
  });

  it('joins the generated past to the live bars with no jump and no duplicate at the seam', async () => {
    for (const symbol of ['AAPL', 'EURUSD', 'BTCUSD', 'TSLA']) {
      const { body } = await page(`symbol=${symbol}&interval=1m&limit=30`);
      checkBars(body);
      const at = body.time.findIndex((t) => t + 60 > seamSec);
      expect(at).toBeGreaterThan(5);
      for (let i = at - 3; i < Math.min(body.time.length, at + 4); i++) {
        expect(Math.abs(body.open[i]! - body.close[i - 1]!) / body.close[i - 1]!, `${symbol} bar ${i}`).toBeLessThan(0.004);
      }
    }
  });

  it('serves every interval, daily bars reaching back more than 30 days', async () => {
    for (const interval of HISTORY_INTERVALS) {
      const { status, body } = await page(`symbol=AAPL&interval=${HISTORY_INTERVAL_LABELS[interval]}&limit=1000`);
      expect(status).toBe(200);
      expect(body.interval).toBe(interval);
      expect(body.time.length).toBeGreaterThan(interval === 86_400 ? 30 : 50);
      expect(body.openBar).toBe(true);
      checkBars(body);
    }
    const daily = await page('symbol=BTCUSD&interval=86400');
    expect(Date.now() / 1000 - daily.body.time[0]!).toBeGreaterThan(30 * 86_400);
  });

  it('walks back page by page without gaps or overlap, to the start of the 1 m history (> 30 days)', async () => {
    const first = await page(`symbol=EURUSD&interval=1m&limit=${MAX_CANDLES_PER_PAGE}`);
    const times = [...first.body.time];
    let next = first.body.next;
    let pages = 1;
    while (next !== null) {
      const { status, body } = await page(`symbol=EURUSD&interval=1m&limit=${MAX_CANDLES_PER_PAGE}&before=${next}`);
      expect(status).toBe(200);
      expect(body.openBar).toBe(false);
      checkBars(body);
      expect(body.time[body.time.length - 1]!).toBeLessThan(times[0]!);
      times.unshift(...body.time);
      next = body.next;
      pages++;
    }
    expect(pages).toBeGreaterThan(8);
    for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThan(times[i - 1]!);
    expect(times[times.length - 1]! - times[0]!).toBeGreaterThan(30 * 86_400);
    // EURUSD trades at least once a minute at the default rate: no missing bar in the sequence.
    const gaps = times.slice(1).filter((t, i) => t - times[i]! !== 60);
    expect(gaps.length).toBeLessThan(times.length / 100);
  });

  it('a page with `before` ends just before it; consecutive pages meet exactly', async () => {
    const a = await page('symbol=AAPL&interval=1m&limit=10');
    const b = await page(`symbol=AAPL&interval=1m&limit=10&before=${a.body.next}`);
    const both = await page(`symbol=AAPL&interval=1m&limit=20&before=${a.body.time[a.body.time.length - 1]}`);
    expect([...b.body.time, ...a.body.time.slice(0, -1)]).toEqual(both.body.time.slice(1));
    expect(b.body.time[9]).toBe(both.body.time[10]);
  });

  it('the newest bar keeps following live ticks and its close is the live price', async () => {
    const before = await page('symbol=AAPL&interval=1h&limit=1');
    await new Promise((r) => setTimeout(r, 1500));
    const after = await page('symbol=AAPL&interval=1h&limit=1');
    const state = server.fanout.states.find((s) => s.instrument.ticker === 'AAPL')!;
    expect(after.body.time[0]).toBe(before.body.time[0]);
    expect(after.body.volume[0]!).toBeGreaterThanOrEqual(before.body.volume[0]!);
    // A batch may publish while the answer travels back: compare against the live price the server held
    // when it answered, i.e. take pages until one arrives with no batch in between (bounded).
    const matches: boolean[] = [];
    for (let i = 0; i < 20 && !matches.includes(true); i++) {
      const lastBefore = state.last;
      const newest = await page('symbol=AAPL&interval=1h&limit=1');
      if (state.last === lastBefore) matches.push(newest.body.close[0] === state.last);
    }
    expect(matches.length).toBeGreaterThan(0);
    expect(matches.every((m) => m)).toBe(true);
  });

  it('closed pages carry an ETag and answer 304 to it; the newest page is no-store', async () => {
    const newest = await page('symbol=AAPL&interval=1m&limit=5');
    expect(newest.headers.get('cache-control')).toBe('no-store');
    expect(newest.headers.get('etag')).toBeNull();
    const url = `${base}?symbol=AAPL&interval=1m&limit=5&before=${newest.body.next}`;
    const closed = await fetch(url);
    const etag = closed.headers.get('etag');
    expect(closed.status).toBe(200);
    expect(etag).toMatch(/^".+"$/);
    expect(closed.headers.get('cache-control')).toMatch(/max-age=\d+/);
    const again = await fetch(url, { headers: { 'If-None-Match': etag! } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });

  it('answers HEAD like GET without a body', async () => {
    const res = await fetch(`${base}?symbol=AAPL&interval=1m`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(await res.text()).toBe('');
  });

  const future = () => Math.floor(Date.now() / 1000) + 3600;
  const cases: Array<[string, () => string, number, string]> = [
    ['unknown symbol', () => 'symbol=NOPE&interval=1m', 404, 'UnknownSymbol'],
    ['missing symbol', () => 'interval=1m', 400, 'MissingSymbol'],
    ['bad interval', () => 'symbol=AAPL&interval=7m', 400, 'BadInterval'],
    ['missing interval', () => 'symbol=AAPL', 400, 'BadInterval'],
    ['limit too large', () => `symbol=AAPL&interval=1m&limit=${MAX_CANDLES_PER_PAGE + 1}`, 400, 'BadLimit'],
    ['limit zero', () => 'symbol=AAPL&interval=1m&limit=0', 400, 'BadLimit'],
    ['limit not a number', () => 'symbol=AAPL&interval=1m&limit=ten', 400, 'BadLimit'],
    ['limit fractional', () => 'symbol=AAPL&interval=1m&limit=1.5', 400, 'BadLimit'],
    ['before in the future', () => `symbol=AAPL&interval=1m&before=${future()}`, 400, 'BeforeInFuture'],
    ['before malformed', () => 'symbol=AAPL&interval=1m&before=yesterday', 400, 'BadBefore'],
    ['before negative', () => 'symbol=AAPL&interval=1m&before=-5', 400, 'BadBefore'],
    ['before in milliseconds (far future)', () => `symbol=AAPL&interval=1m&before=${Date.now()}`, 400, 'BeforeInFuture'],
  ];
  for (const [name, query, status, error] of cases) {
    it(`${name}: ${status} ${error}, and the server goes on serving`, async () => {
      const res = await fetch(`${base}?${query()}`);
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/application\/json/);
      const body = (await res.json()) as { error: { name: string; message: string } };
      expect(body.error.name).toBe(error);
      expect(body.error.message.length).toBeGreaterThan(10);
      const head = await fetch(`${base}?${query()}`, { method: 'HEAD' });
      expect(head.status).toBe(status);
      expect((await page('symbol=AAPL&interval=1m&limit=1')).status).toBe(200);
    });
  }
});
