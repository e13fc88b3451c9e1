// The dashboard on a phone (390×844, touch) and a tablet (768×1024) in real Chromium: nothing wider
// than the screen, the live chart on the first screen at full width, every control of the top bar and
// the status bar inside the viewport, the watchlist reachable by scrolling with prices moving, and a
// tap on a row selecting its symbol. Screenshots in test-results/.
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

/** Boxes of the elements that must be fully on screen, by name. */
async function boxes(page: Page, selectors: Record<string, string>): Promise<Record<string, { x: number; y: number; width: number; height: number } | null>> {
  const out: Record<string, { x: number; y: number; width: number; height: number } | null> = {};
  for (const [name, selector] of Object.entries(selectors)) out[name] = await page.locator(selector).first().boundingBox();
  return out;
}

for (const device of [
  { name: 'phone', width: 390, height: 844, mobile: true },
  { name: 'tablet', width: 768, height: 1024, mobile: false },
]) {
  describe(`dashboard on a ${device.name} (${device.width}×${device.height})`, () => {
    it('fits the screen, shows the live chart first and keeps every control reachable', { timeout: 45_000 }, async () => {
      const context = await browser.newContext({ viewport: { width: device.width, height: device.height }, isMobile: device.mobile, hasTouch: device.mobile });
      try {
        const { page, errors } = await openPage(context, server.url);
        await until(async () => (await hook.connection(page)).state === 'live', 'live connection');
        await until(async () => {
          const charts = await hook.charts(page);
          return charts[0] !== undefined && charts[0].bars >= 5;
        }, 'chart bars');
        await page.screenshot({ path: resultsPath(`responsive-${device.name}.png`) });

        // Nothing scrolls sideways.
        const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
        expect(scrollWidth).toBeLessThanOrEqual(device.width);

        const b = await boxes(page, {
          chart: '[data-panel="0"] canvas',
          search: 'header input',
          theme: 'header button.theme',
          status: 'footer [data-state]',
          transport: 'footer select',
        });
        // The chart is on the first screen, nearly full width and tall enough to read.
        expect(b.chart).not.toBeNull();
        expect(b.chart!.y).toBeLessThan(device.height / 2);
        expect(b.chart!.width).toBeGreaterThan(device.width * 0.7);
        expect(b.chart!.height).toBeGreaterThan(250);
        for (const name of ['search', 'theme', 'status', 'transport'] as const) {
          const box = b[name];
          expect(box, name).not.toBeNull();
          expect(box!.x, name).toBeGreaterThanOrEqual(0);
          expect(box!.x + box!.width, name).toBeLessThanOrEqual(device.width + 0.5);
          expect(box!.y + box!.height, name).toBeLessThanOrEqual(device.height + 0.5);
        }

        // The watchlist is below the chart: scroll to it; its prices move; a tap selects a symbol.
        const row = page.locator('[data-ticker="MSFT"]');
        await row.scrollIntoViewIfNeeded();
        const before = await lastPrices(page);
        await until(async () => {
          const now = await lastPrices(page);
          return Object.keys(now).filter((t) => now[t] !== before[t]).length >= 3;
        }, 'watchlist prices to move');
        if (device.mobile) await row.tap();
        else await row.click();
        await until(async () => (await hook.charts(page))[0]?.symbol === 'MSFT', 'the tapped symbol on the chart');
        await page.screenshot({ path: resultsPath(`responsive-${device.name}-watchlist.png`) });
        expect(errors.unexpected()).toEqual([]);
      } finally {
        await context.close();
      }
    });
  });
}
