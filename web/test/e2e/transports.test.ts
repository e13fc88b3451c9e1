// End to end: the transport lab. With WebSocket and SSE both unavailable (Playwright routes: the
// WebSocket is closed before it speaks, every /sse request is aborted) the dashboard falls back to long
// polling and keeps updating, and the connection panel says so; the selectable transports
// (?transport=stream, ?transport=poll) each deliver live updates without errors, and ?compact=1 runs the
// dashboard on compact Updates frames (type 7) decoded in the browser.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerProcess } from '@tickwire/server/test/harness';
import { hook, lastPrices, launchBrowser, openPage, resultsPath, startDashboardServer, until } from './env.js';

let server: ServerProcess;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([startDashboardServer(), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  if (server) expect(await server.stop()).toBe(0);
});

/** Rows live, prices moving, the chart drawn from the same bars as the store. */
async function expectLiveUpdates(page: Page, what: string): Promise<void> {
  await until(async () => (await page.locator('[data-ticker][data-status="live"]').count()) >= 8, `rows live over ${what}`);
  const before = await lastPrices(page);
  await until(async () => {
    const now = await lastPrices(page);
    return Object.keys(now).filter((t) => now[t] !== before[t]).length >= 3;
  }, `prices to change over ${what}`);
  const charts = await until(async () => {
    const c = await hook.charts(page);
    return c[0] !== undefined && c[0].bars > 0 ? c : null;
  }, `chart bars over ${what}`);
  expect(charts[0]).toMatchObject({ strictlyIncreasing: true, matchesStore: true });
  const stats = await hook.stats(page);
  expect(stats).toMatchObject({ gaps: 0, decodeErrors: 0 });
}

/** Adds a symbol through the search box: a subscription change on the running transport. */
async function addSymbol(page: Page, ticker: string): Promise<void> {
  await page.locator('input[aria-label="Add symbol"]').fill(ticker);
  await page.keyboard.press('Enter');
  await until(async () => (await page.locator(`[data-ticker="${ticker}"][data-status="live"]`).count()) === 1, `${ticker} live`);
  const seq = (await hook.symbols(page))[ticker]!.seq;
  await until(async () => (await hook.symbols(page))[ticker]!.seq > seq, `${ticker} updates`);
}

describe('transports', () => {
  it('falls back to long polling when WebSocket and SSE are both unavailable, and keeps updating', { timeout: 40_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    try {
      // The WebSocket "connects" to Playwright and is closed before any Hello; SSE requests fail outright.
      await context.routeWebSocket(/\/ws$/, (ws) => ws.close({ code: 1011, reason: 'blocked by the test' }));
      await context.route('**/sse**', (route) => route.abort());
      // (That polls never overlap is a unit test: seen from here, browser event order and request timings
      // are too coarse to prove it.)
      let answered = 0;
      const { page, errors } = await openPage(context, server.url, (p) =>
        p.on('requestfinished', (r) => {
          if (new URL(r.url()).pathname === '/poll') answered++;
        }),
      );
      const started = Date.now();
      await until(
        async () => (await hook.connection(page)).transport === 'longpoll' && (await hook.connection(page)).state === 'fallback',
        'fallback to long polling',
        8_000,
      );
      expect(Date.now() - started).toBeLessThan(6_000);
      await expect(page.locator('footer [data-transport]').textContent()).resolves.toBe('Long poll');
      await expect(page.locator('footer [data-state]').getAttribute('data-state')).resolves.toBe('fallback');
      await expectLiveUpdates(page, 'long polling');
      // A subscription change is just another symbol list on the next request.
      await addSymbol(page, 'NFLX');
      await page.screenshot({ path: resultsPath('dashboard-longpoll-fallback.png') });
      // It stays on long polling (no reconnects).
      await page.waitForTimeout(3_000);
      const status = await hook.connection(page);
      expect(status, JSON.stringify(status)).toMatchObject({ state: 'fallback', transport: 'longpoll', attempts: 3, reconnects: 0 });
      expect(answered).toBeGreaterThan(10);
      expect((await hook.stats(page)).gaps).toBe(0);
      expect(errors.unexpected()).toEqual([]);
    } finally {
      await context.close();
    }
  });

  for (const [kind, label] of [
    ['stream', 'HTTP stream'],
    ['poll', 'Poll'],
  ] as const) {
    it(`?transport=${kind} delivers live updates`, { timeout: 30_000 }, async () => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
      try {
        let sockets = 0;
        const { page, errors } = await openPage(context, `${server.url}/?transport=${kind}`, (p) => p.on('websocket', () => sockets++));
        await until(async () => (await hook.connection(page)).state === 'live', `live over ${label}`);
        expect(await hook.connection(page)).toMatchObject({ transport: kind, preference: kind, attempts: 1 });
        await expect(page.locator('footer [data-transport]').textContent()).resolves.toBe(label);
        await expect(page.locator('select[aria-label="Transport"]').isDisabled()).resolves.toBe(true);
        await expectLiveUpdates(page, label);
        await addSymbol(page, 'AMD');
        expect(sockets).toBe(0);
        expect(await hook.connection(page)).toMatchObject({ state: 'live', reconnects: 0 });
        expect(errors.all).toEqual([]);
      } finally {
        await context.close();
      }
    });
  }

  it('?compact=1 runs on compact Updates frames over WebSocket', { timeout: 30_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    try {
      const types = new Map<number, number>();
      const { page, errors } = await openPage(context, `${server.url}/?compact=1`, (p) =>
        p.on('websocket', (ws) =>
          ws.on('framereceived', ({ payload }) => {
            if (typeof payload !== 'string') types.set(payload[1]!, (types.get(payload[1]!) ?? 0) + 1);
          }),
        ),
      );
      await until(async () => (await hook.connection(page)).state === 'live', 'live with compact frames');
      await expectLiveUpdates(page, 'compact WebSocket');
      expect(types.get(7) ?? 0).toBeGreaterThan(10);
      expect(types.get(3) ?? 0).toBe(0);
      expect(errors.all).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
