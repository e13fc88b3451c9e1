// Scroll-back through the candle history service in real Chromium: every one of the eight intervals
// loads its newest page; scrolling left brings older pages in front without moving the bars in view; the
// chart's times stay strictly increasing with no duplicate at any page seam or at the live edge, and live
// updates keep appending. Screenshots in test-results/.
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

const chart = async (page: Page) => (await hook.charts(page))[0];
const scroll = (page: Page, bars: number) => page.evaluate((b) => window.__tickwire!.scrollChart(0, b), bars);

function checkTimes(times: number[], interval: number): void {
  for (let i = 0; i < times.length; i++) {
    expect(times[i]! % interval).toBe(0);
    if (i > 0) expect(times[i]!).toBeGreaterThan(times[i - 1]!);
  }
  expect(new Set(times).size).toBe(times.length);
}

describe('chart history scroll-back', () => {
  it('offers all eight intervals, each with history from the service', { timeout: 60_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    try {
      const { page, errors } = await openPage(context, server.url);
      await until(async () => (await hook.connection(page)).state === 'live', 'live connection');
      const labels = await page.locator('[data-panel="0"] .intervals button').allTextContents();
      expect(labels.map((l) => l.trim())).toEqual(['1s', '5s', '1m', '5m', '15m', '1h', '4h', '1D']);
      for (const interval of [86_400, 14_400, 3600, 900, 300, 60]) {
        await page.locator(`[data-panel="0"] button[data-interval="${interval}"]`).click();
        const c = await until(async () => {
          const c = await chart(page);
          return c?.interval === interval && c.bars >= (interval === 86_400 ? 30 : 200) ? c : null;
        }, `${interval} s bars from the history service`);
        expect(c.strictlyIncreasing).toBe(true);
        expect(c.matchesStore).toBe(true);
        checkTimes(await hook.barTimes(page, 0), interval);
      }
      await page.waitForTimeout(300);
      await page.locator('[data-panel="0"]').screenshot({ path: resultsPath('history-1m.png') });
      expect(errors.all).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('a page arriving in front does not move the bars in view', { timeout: 60_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    try {
      const { page, errors } = await openPage(context, server.url);
      await until(async () => (await hook.connection(page)).state === 'live', 'live connection');
      await page.locator('[data-panel="0"] button[data-interval="60"]').click();
      await until(async () => ((await chart(page))?.bars ?? 0) >= 400, '1 m bars');
      for (let round = 0; round < 3; round++) {
        // Scroll to the oldest bars and read the view once the chart has drawn it (one frame), well before
        // the page can be in: its request starts on that frame and the chart applies it on a later flush.
        const before = await page.evaluate(async () => {
          const hook = window.__tickwire!;
          // Left edge to 30 bars from the oldest (inside the load margin, still on bars).
          const from = hook.barTimes(0).indexOf(hook.charts()[0]!.visibleFrom!);
          hook.scrollChart(0, from - 30);
          await new Promise((r) => requestAnimationFrame(r));
          return hook.charts()[0]!;
        });
        const after = await until(
          async () => {
            const c = await chart(page);
            return c && c.bars > before.bars ? c : null;
          },
          `page ${round + 1} in front`,
        );
        // The same bars in view, within one (the range's fractional edge rounds to a bar; quiet minutes
        // have no bar, so compare positions, not times); a jump would be a whole page (500 bars).
        const times = await hook.barTimes(page, 0);
        const shift = (t: number | null, u: number | null) => Math.abs(times.indexOf(t!) - times.indexOf(u!));
        expect(times.indexOf(before.visibleFrom!)).toBeGreaterThan(0);
        expect(shift(after.visibleFrom, before.visibleFrom)).toBeLessThanOrEqual(1);
        expect(shift(after.visibleTo, before.visibleTo)).toBeLessThanOrEqual(1);
        expect(after.strictlyIncreasing).toBe(true);
        checkTimes(times, 60);
      }
      await page.mouse.move(100, 300);
      await page.waitForTimeout(300);
      await page.locator('[data-panel="0"]').screenshot({ path: resultsPath('history-1m-scrolled.png') });
      expect(errors.all).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('loads older pages while scrolling left, without a jump, a gap or a duplicate, and keeps appending live bars', { timeout: 90_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    try {
      const { page, errors } = await openPage(context, server.url);
      await until(async () => (await hook.connection(page)).state === 'live', 'live connection');
      await page.locator('[data-panel="0"] button[data-interval="5"]').click();
      const first = await until(async () => {
        const c = await chart(page);
        return c?.interval === 5 && c.bars >= 100 ? c : null;
      }, '5 s bars');
      const firstTimes = await hook.barTimes(page, 0);

      // Scroll left in steps, as a user dragging would; each step near the oldest bar asks for a page.
      let c = first;
      for (let step = 0; step < 12 && c.bars < first.bars + 1000; step++) {
        await scroll(page, 150);
        await page.waitForTimeout(150);
        c = (await chart(page))!;
      }
      // How much older history the service holds depends on the hour it starts at: ask it (up to two pages).
      const older = (await (await fetch(`${server.url}/api/candles?symbol=${first.symbol}&interval=5s&before=${first.firstTime}&limit=1000`)).json()) as {
        time: number[];
      };
      const expected = Math.min(older.time.length, 500);
      expect(expected, 'the service holds older 5 s bars').toBeGreaterThan(100);
      const loaded = await until(async () => {
        const now = await chart(page);
        return now && now.bars >= first.bars + expected ? now : null;
      }, `${expected} older bars in front`);
      expect(loaded.firstTime!).toBeLessThan(first.firstTime!);
      expect(loaded.strictlyIncreasing).toBe(true);
      expect(loaded.matchesStore).toBe(true);
      const times = await hook.barTimes(page, 0);
      checkTimes(times, 5);
      // The bars loaded at first are all still there, in place: older ones only came in front.
      const seam = times.indexOf(firstTimes[0]!);
      expect(seam).toBeGreaterThan(0);
      expect(times.slice(seam, seam + firstTimes.length - 5)).toEqual(firstTimes.slice(0, firstTimes.length - 5));
      await page.waitForTimeout(300);
      await page.locator('[data-panel="0"]').screenshot({ path: resultsPath('history-scrolled-back.png') });

      // Back to live: new bars keep appending after the history, still strictly increasing.
      await page.locator('[data-panel="0"] [data-action="live"]').click();
      const t0 = (await chart(page))!.lastTime!;
      const after = await until(
        async () => {
          const now = await chart(page);
          return now && now.lastTime! >= t0 + 10 ? now : null;
        },
        'live bars appended',
        15_000,
      );
      expect(after.strictlyIncreasing).toBe(true);
      expect(after.matchesStore).toBe(true);
      checkTimes(await hook.barTimes(page, 0), 5);
      await page.locator('[data-panel="0"]').screenshot({ path: resultsPath('history-live-again.png') });
      expect(errors.all).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
