// End to end against the built dashboard served by the real server, in real Chromium: first load over
// WebSocket (prices move, candles drawn, no console errors, screenshots), search/add/remove with
// persistence across reload, and chart intervals, layouts and the trade tape.
import { writeFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeHeader, visitTicks } from '@tickwire/protocol/codec';
import { FrameType } from '@tickwire/protocol/messages';
import type { ServerProcess } from '@tickwire/server/test/harness';
import { candlePixels, hook, lastPrices, launchBrowser, openPage, resultsPath, startDashboardServer, until } from './env.js';

let server: ServerProcess;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([startDashboardServer(), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  if (server) expect(await server.stop()).toBe(0);
});

describe('dashboard', () => {
  it('loads the default watchlist over WebSocket, updates prices and draws candles without console errors', { timeout: 45_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    try {
      const { page, errors } = await openPage(context, server.url);
      await until(async () => (await hook.connection(page)).state === 'live', 'live connection');
      const status = await hook.connection(page);
      expect(status.transport).toBe('ws');
      await expect(page.locator('footer [data-transport]').textContent()).resolves.toContain('WebSocket');

      const rows = page.locator('[data-ticker]');
      const tickers = await rows.evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.ticker));
      expect(tickers).toEqual(expect.arrayContaining(['AAPL', 'MSFT', 'NVDA', 'TSLA', 'AMZN', 'EURUSD', 'BTCUSD', 'ETHUSD']));
      await until(async () => (await page.locator('[data-ticker][data-status="live"]').count()) === tickers.length, 'every row live');

      // Prices are formatted at the symbol's scale and keep changing.
      const before = await lastPrices(page);
      expect(before.AAPL).toMatch(/^\d+\.\d{2}$/);
      expect(before.EURUSD).toMatch(/^\d+\.\d{5}$/);
      await until(async () => {
        const now = await lastPrices(page);
        return Object.keys(now).filter((t) => now[t] !== before[t]).length >= 4;
      }, 'prices to change');

      // The chart holds candles identical to the store's bars and actually painted them.
      const [chart] = await until(async () => {
        const charts = await hook.charts(page);
        return charts[0] !== undefined && charts[0].bars >= 10 ? charts : null;
      }, 'chart bars');
      expect(chart).toMatchObject({ panel: 0, symbol: tickers[0], strictlyIncreasing: true, matchesStore: true });
      expect(chart!.volumeBars).toBe(chart!.bars);
      expect(await candlePixels(page, 0)).toBeGreaterThan(300);
      expect(await page.locator('[data-panel="0"] canvas').count()).toBeGreaterThan(0);

      const stats = await until(async () => {
        const s = await hook.stats(page);
        return s.feedToScreenP50 !== null && s.updatesPerSec > 0 ? s : null;
      }, 'latency stats');
      expect(stats.feedToScreenP50).toBeGreaterThan(0);
      expect(stats.decodeErrors).toBe(0);
      expect(stats.duplicates).toBe(0);

      await page.waitForTimeout(700); // let the row flashes settle for a calm screenshot
      await page.screenshot({ path: resultsPath('dashboard.png') });
      expect(errors.all).toEqual([]);

      // Larger screen with four charts, and the light theme.
      await page.setViewportSize({ width: 1440, height: 900 });
      await page.locator('[data-layout="4"]').click();
      await until(async () => (await hook.charts(page)).filter((c) => c.bars > 0).length === 4, 'four charts');
      await page.waitForTimeout(700);
      await page.screenshot({ path: resultsPath('dashboard-1440x900.png') });
      await page.getByRole('button', { name: /light theme/ }).click();
      await expect(page.evaluate(() => document.documentElement.dataset.theme)).resolves.toBe('light');
      await page.waitForTimeout(700);
      await page.screenshot({ path: resultsPath('dashboard-light.png') });
      expect(errors.all).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('searches and adds a symbol (snapshot at once, then updates), removes it (updates stop) and persists the list', { timeout: 45_000 }, async () => {
    const catalogue = (await (await fetch(`${server.url}/api/symbols`)).json()) as { symbols: Array<{ id: number; ticker: string }> };
    const nflx = catalogue.symbols.find((s) => s.ticker === 'NFLX');
    expect(nflx).toBeDefined();
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    try {
      // Symbol ids of every Updates frame, with receive time, straight off the WebSocket.
      const updates: Array<{ at: number; id: number }> = [];
      const { page, errors } = await openPage(context, server.url, (p) =>
        p.on('websocket', (ws) =>
          ws.on('framereceived', ({ payload }) => {
            if (typeof payload === 'string') return;
            const bytes = new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
            const head = decodeHeader(bytes);
            if (head.ok && head.value.type === FrameType.Updates) visitTicks(bytes, (t) => void updates.push({ at: Date.now(), id: t.symbolId }));
          }),
        ),
      );
      await until(async () => (await hook.connection(page)).state === 'live', 'live connection');

      await page.keyboard.press('/');
      await expect(page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).resolves.toBe('Add symbol');
      await page.keyboard.type('netfl');
      await expect(page.locator('#search-results [role="option"]').first().textContent()).resolves.toContain('NFLX');
      await page.keyboard.press('Enter');

      const row = page.locator('[data-ticker="NFLX"]');
      await until(async () => (await row.getAttribute('data-status')) === 'live', 'NFLX snapshot');
      expect(await row.locator('[data-field="last"]').textContent()).toMatch(/^\d+\.\d{2}$/);
      // The new symbol is selected: the linked chart and the tape follow it.
      await until(async () => (await hook.charts(page))[0]?.symbol === 'NFLX', 'chart on NFLX');
      const seq0 = (await hook.symbols(page)).NFLX!.seq;
      await until(async () => (await hook.symbols(page)).NFLX!.seq > seq0, 'NFLX updates');
      await until(async () => (await page.locator('.tape li[data-dir]').count()) > 0, 'NFLX trades on the tape');

      // Add a second one from the mouse, then remove NFLX with its × button.
      await page.locator('input[aria-label="Add symbol"]').fill('AMD');
      await page.locator('#search-results [role="option"]', { hasText: 'AMD' }).first().dispatchEvent('pointerdown');
      await until(async () => (await page.locator('[data-ticker="AMD"][data-status="live"]').count()) === 1, 'AMD live');
      await row.hover();
      await row.locator('[data-action="remove"]').click();
      await until(async () => (await row.count()) === 0, 'NFLX row gone');
      const removedAt = Date.now();
      expect((await hook.symbols(page)).NFLX).toBeUndefined();
      await page.waitForTimeout(1500);
      // After the unsubscribe round trip (generous 500 ms), the server sends no more NFLX ticks.
      expect(updates.filter((u) => u.id === nflx!.id && u.at > removedAt + 500)).toEqual([]);
      expect(updates.some((u) => u.id !== nflx!.id && u.at > removedAt + 500)).toBe(true);

      // Keyboard: ↑ moves the selection (AMD, the newest row, was selected) and the chart follows.
      await page.locator('body').click({ position: { x: 5, y: 700 } });
      const selectedBefore = await page.locator('[data-ticker][aria-selected="true"]').getAttribute('data-ticker');
      expect(selectedBefore).toBe('AMD');
      await page.keyboard.press('ArrowUp');
      const selectedAfter = await page.locator('[data-ticker][aria-selected="true"]').getAttribute('data-ticker');
      expect(selectedAfter).not.toBe(selectedBefore);
      await until(async () => (await hook.charts(page))[0]?.symbol === selectedAfter, 'chart follows the selection');

      const listBefore = await page.locator('[data-ticker]').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.ticker));
      await page.reload();
      await until(async () => (await hook.connection(page)).state === 'live', 'live after reload');
      const listAfter = await page.locator('[data-ticker]').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.ticker));
      expect(listAfter).toEqual(listBefore);
      expect(listAfter).toContain('AMD');
      expect(listAfter).not.toContain('NFLX');
      await until(async () => (await page.locator('[data-ticker="AMD"][data-status="live"]').count()) === 1, 'AMD live after reload');
      expect(errors.all).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('switches intervals and layouts, each panel with its own symbol, and the tape shows newest trades on top', { timeout: 45_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    try {
      const { page, errors } = await openPage(context, server.url);
      await until(async () => (await hook.connection(page)).state === 'live', 'live connection');
      const panel0 = page.locator('[data-panel="0"]');

      for (const [label, seconds] of [
        ['1s', 1],
        ['1m', 60],
        ['5m', 300],
        ['5s', 5],
      ] as const) {
        await panel0.locator(`button[data-interval="${seconds}"]`).click();
        const chart = await until(async () => {
          const c = (await hook.charts(page))[0];
          return c?.interval === seconds && c.bars > 0 ? c : null;
        }, `${label} bars`);
        expect(chart.strictlyIncreasing).toBe(true);
        expect(chart.matchesStore).toBe(true);
        expect((chart.firstTime ?? 1) % seconds).toBe(0);
        expect((chart.lastTime ?? 1) % seconds).toBe(0);
        await expect(panel0.getAttribute('data-interval')).resolves.toBe(String(seconds));
      }

      await page.locator('[data-layout="2"]').click();
      await until(async () => (await hook.charts(page)).length === 2, 'two charts');
      await page.locator('[data-layout="4"]').click();
      const four = await until(async () => {
        const charts = await hook.charts(page);
        return charts.length === 4 && charts.every((c) => c.bars > 0) ? charts : null;
      }, 'four charts with bars');
      expect(new Set(four.map((c) => `${c.symbol}/${c.interval}`)).size).toBe(4);

      // Panel 3 gets its own symbol and interval; the others keep theirs.
      const panel3 = page.locator('[data-panel="3"]');
      await panel3.locator('select[aria-label="Chart symbol"]').selectOption('BTCUSD');
      await panel3.locator('button[data-interval="1"]').click();
      const after = await until(async () => {
        const charts = await hook.charts(page);
        const c = charts[3];
        return c?.symbol === 'BTCUSD' && c.interval === 1 && c.bars > 0 ? charts : null;
      }, 'panel 3 on BTCUSD 1s');
      expect(after.slice(0, 3).map((c) => `${c.symbol}/${c.interval}`)).toEqual(four.slice(0, 3).map((c) => `${c.symbol}/${c.interval}`));
      expect(after.every((c) => c.strictlyIncreasing && c.matchesStore)).toBe(true);
      // Panel 3 is fixed (not linked): the selection, and so the tape, stay where they were.
      await expect(page.locator('.tape .sym').textContent()).resolves.toBe(four[0]!.symbol);

      // Tape: bounded, newest first, and it moves.
      const tape = page.locator('.tape li[data-dir]');
      await until(async () => (await tape.count()) > 5, 'tape rows');
      const times = await tape.evaluateAll((els) => els.map((e) => e.querySelector('.time')?.textContent ?? ''));
      expect(times.length).toBeLessThanOrEqual(60);
      expect([...times].sort().reverse()).toEqual(times);
      const top = times[0];
      await until(async () => (await tape.first().locator('.time').textContent()) !== top, 'new trade on top');
      const colours = await tape.evaluateAll((els) => els.map((e) => e.querySelector('.price')?.className ?? ''));
      expect(colours.some((c) => /\bup\b/.test(c)) || colours.some((c) => /\bdown\b/.test(c))).toBe(true);

      // Layout and panels persist.
      await page.reload();
      await until(async () => (await hook.charts(page)).length === 4, 'four charts after reload');
      expect((await hook.charts(page))[3]).toMatchObject({ symbol: 'BTCUSD', interval: 1 });
      writeFileSync(resultsPath('charts-debug.json'), JSON.stringify(await hook.charts(page), null, 2));
      expect(errors.all).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
