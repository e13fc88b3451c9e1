// The chart's live edge in real Chromium: dragged into history or into the empty future it offers
// "back to live", which returns to the newest bar; the price-axis tag shows the live price (the newest
// bar's close) even when that bar is out of view; zooming in goes well past the old 14 px bar limit.
// Screenshots in test-results/.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerProcess } from '@tickwire/server/test/harness';
import { hook, launchBrowser, openPage, resultsPath, startDashboardServer, until } from './env.js';

let server: ServerProcess;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([startDashboardServer(), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  if (server) expect(await server.stop()).toBe(0);
});

/** Drags the main pane of panel 0 horizontally by `dx` pixels with the mouse. */
async function drag(page: Page, dx: number): Promise<void> {
  const box = (await page.locator('[data-panel="0"] .canvas').boundingBox())!;
  const x = box.x + box.width / 2;
  const y = box.y + box.height * 0.4;
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(x + dx / 2, y, { steps: 5 });
  await page.mouse.move(x + dx, y, { steps: 5 });
  await page.mouse.up();
  await page.mouse.move(100, 300, { steps: 3 }); // onto the watchlist: no crosshair in the screenshots
}

describe('chart live edge', () => {
  it('offers "back to live" after a drag and returns; the axis tag keeps the live price', { timeout: 60_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    try {
      const { page, errors } = await openPage(context, server.url);
      await until(async () => (await hook.connection(page)).state === 'live', 'live connection');
      // 1 s bars: enough history to drag through and a new bar every second.
      await page.locator('[data-panel="0"] button[data-interval="1"]').click();
      const live = await until(async () => {
        const c = (await hook.charts(page))[0];
        return c?.interval === 1 && c.bars >= 200 ? c : null;
      }, '1 s bars');
      expect(live.away).toBe(false);
      // At the live edge the tag shows the newest bar's close (sampled until a repaint has both: the
      // newest history page and the stream's last trade can be one sync apart).
      await until(
        async () => {
          const c = (await hook.charts(page))[0];
          return c !== undefined && c.tagPrice !== null && c.tagPrice === c.lastClose;
        },
        'the axis tag at the live close',
        3_000,
      );
      const button = page.locator('[data-panel="0"] [data-action="live"]');
      await expect(button.count()).resolves.toBe(0);

      // Into history: the newest bars leave the view to the right.
      await drag(page, 500);
      const back = await until(async () => {
        const c = (await hook.charts(page))[0];
        return c?.away && c.tagPrice === c.lastClose ? c : null;
      }, 'away from live, the tag at the live close');
      await expect(button.isVisible()).resolves.toBe(true);
      // The tag is the live price (newest bar), not the close of the last bar in view.
      expect(back.tagPrice).toBe(back.lastClose);
      const history = await until(async () => {
        const c = (await hook.charts(page))[0];
        return c && c.lastVisibleClose !== c.lastClose && c.tagPrice === c.lastClose ? c : null;
      }, 'a visible close different from the live price, the tag at the live one');
      expect(history.tagPrice).toBe(history.lastClose);
      await page.waitForTimeout(300);
      await page.locator('[data-panel="0"]').screenshot({ path: resultsPath('chart-away.png') });

      await button.click();
      await until(async () => (await hook.charts(page))[0]?.away === false, 'back at the live edge');
      await until(async () => (await button.count()) === 0, 'the control gone');
      // Still live: new bars keep scrolling in and the tag follows the newest close.
      const t0 = (await hook.charts(page))[0]!.lastTime!;
      const after = await until(async () => {
        const c = (await hook.charts(page))[0];
        return c && c.lastTime! > t0 && !c.away && c.tagPrice === c.lastClose ? c : null;
      }, 'a new bar at the live edge, the tag at its close');
      expect(after.tagPrice).toBe(after.lastClose);

      // Into the empty future: the pane shows no bars; the control brings them back.
      await drag(page, -700);
      await until(async () => (await hook.charts(page))[0]?.away === true, 'dragged into the empty pane');
      await page.locator('[data-panel="0"]').screenshot({ path: resultsPath('chart-empty-pane.png') });
      await button.click();
      await until(async () => (await hook.charts(page))[0]?.away === false, 'back at the live edge again', 4000).catch(async (e) => {
        throw new Error(`${(e as Error).message}: ${JSON.stringify((await hook.charts(page))[0])}`);
      });
      expect(errors.all).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('zooms in well past the old 14 px bar limit and stays live', { timeout: 45_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    try {
      const { page, errors } = await openPage(context, server.url);
      await until(async () => ((await hook.charts(page))[0]?.bars ?? 0) >= 50, 'chart bars');
      const box = (await page.locator('[data-panel="0"] .canvas').boundingBox())!;
      const before = (await hook.charts(page))[0]!;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.4);
      for (let i = 0; i < 30; i++) {
        await page.mouse.wheel(0, -120);
        await page.waitForTimeout(15);
      }
      const zoomed = await until(async () => {
        const c = (await hook.charts(page))[0];
        return c && c.visibleBars < before.visibleBars / 2 ? c : null;
      }, 'zoomed in');
      // The old cap (maxBarSpacing 14) kept at least width/14 bars in view.
      expect(zoomed.visibleBars).toBeLessThan(box.width / 14 / 2);
      // Zooming at the live edge keeps it (the newest bar stays put).
      expect(zoomed.away).toBe(false);
      await page.locator('[data-panel="0"]').screenshot({ path: resultsPath('chart-zoomed.png') });
      expect(errors.all).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
