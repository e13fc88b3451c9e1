// Scrolling back through a month of 1 m bars, measured in real Chromium: the chart starts live on 1 m,
// then scrolls left page after page (each step near the oldest bar makes the store fetch the page before
// it from /api/candles and the chart prepend it) until it holds 30 days or the history ends. Over the
// scroll we record long animation frames (> 50 ms) and long tasks, and per page how long it took from the
// scroll step to the bars being in the chart. Budget: no frame over 50 ms while loading a page.
// Run: `npm run build && npx vitest run --config web/vitest.perf.config.ts web/test/perf/history-scroll.perf.ts`.
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hook, launchBrowser, openPage, resultsPath, startDashboardServer, until } from '../e2e/env.js';

const DAYS = 30;
/** Bounds the walk: at 1,000 bars a page a month of 1 m bars is about 45 pages. */
const MAX_STEPS = 400;
const MAX_MS = 150_000;

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

interface Perf {
  longTasks: number[];
  loaf: number[];
}

async function observe(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __perf: Perf };
    w.__perf = { longTasks: [], loaf: [] };
    new PerformanceObserver((list) => list.getEntries().forEach((e) => w.__perf.longTasks.push(e.duration))).observe({ type: 'longtask' });
    if (PerformanceObserver.supportedEntryTypes.includes('long-animation-frame'))
      new PerformanceObserver((list) => list.getEntries().forEach((e) => w.__perf.loaf.push(e.duration))).observe({ type: 'long-animation-frame' });
  });
}

describe('history scroll-back', () => {
  it(`scrolls back ${DAYS} days of 1 m bars`, { timeout: MAX_MS + 60_000 }, async () => {
    const server = await startDashboardServer(['--symbols', '50', '--tick-rate', '1000']);
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    try {
      const { page, errors } = await openPage(context, server.url);
      await until(async () => (await hook.connection(page)).state === 'live', 'live connection');
      await page.locator('[data-panel="0"] button[data-interval="60"]').click();
      const first = await until(
        async () => {
          const c = (await hook.charts(page))[0];
          return c?.interval === 60 && c.bars >= 100 ? c : null;
        },
        '1 m bars',
        20_000,
      );
      const target = first.lastTime! - DAYS * 86_400;
      await observe(page);

      const pageMs: number[] = [];
      const started = Date.now();
      let c = first;
      let stalled = 0;
      for (let step = 0; step < MAX_STEPS && Date.now() - started < MAX_MS && c.firstTime! > target && stalled < 20; step++) {
        const before = c.bars;
        const t0 = performance.now();
        // Scroll to the oldest bar in view, as a user dragging to the left edge would.
        await page.evaluate(() => {
          const h = window.__tickwire!;
          const from = h.barTimes(0).indexOf(h.charts()[0]!.visibleFrom!);
          h.scrollChart(0, from);
        });
        const grown = await until(
          async () => {
            const now = (await hook.charts(page))[0]!;
            return now.bars > before ? now : null;
          },
          'an older page',
          5_000,
        ).catch(() => null);
        if (grown === null) {
          stalled++;
          continue;
        }
        stalled = 0;
        pageMs.push(performance.now() - t0);
        c = grown;
      }
      const perf = await page.evaluate(() => (window as unknown as { __perf: Perf }).__perf);
      await page.locator('[data-panel="0"]').screenshot({ path: resultsPath('history-scroll-30d.png') });
      const sorted = [...pageMs].sort((a, b) => a - b);
      const report = {
        date: new Date().toISOString(),
        machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', node: process.version, chromium: browser.version(), loadavg: loadavg() },
        pages: pageMs.length,
        bars: c.bars,
        daysReached: Math.round(((first.lastTime! - c.firstTime!) / 86_400) * 10) / 10,
        pageMsMedian: Math.round(sorted[Math.floor(sorted.length / 2)] ?? 0),
        pageMsMax: Math.round(sorted[sorted.length - 1] ?? 0),
        longAnimationFrames: perf.loaf.length,
        longestAnimationFrameMs: Math.round(Math.max(0, ...perf.loaf)),
        longTasks: perf.longTasks.length,
        longestTaskMs: Math.round(Math.max(0, ...perf.longTasks)),
        strictlyIncreasing: c.strictlyIncreasing,
      };
      writeFileSync(resultsPath('history-scroll.json'), JSON.stringify(report, null, 2));
      console.log(JSON.stringify(report, null, 2));
      expect(errors.all).toEqual([]);
      expect(pageMs.length).toBeGreaterThan(10);
      expect(report.daysReached).toBeGreaterThanOrEqual(DAYS - 1);
      expect(c.strictlyIncreasing).toBe(true);
    } finally {
      await context.close();
      await server.stop();
    }
  });
});
