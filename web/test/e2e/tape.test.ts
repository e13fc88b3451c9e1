// The trade tape in real Chromium: it scrolls; scrolled down it holds still while trades keep coming
// (newest pinning), counts what arrived, and the "newer" control returns to the newest trade; every
// trade's direction is a glyph and a word as well as a colour. Screenshot in test-results/.
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

/** What the tape list shows: scroll offset, sizes, and the rows (time text) in view order. */
function tapeState(page: Page): Promise<{ scrollTop: number; scrollHeight: number; clientHeight: number; pinned: string; times: string[] }> {
  return page.locator('.tape ol').evaluate((ol) => ({
    scrollTop: ol.scrollTop,
    scrollHeight: ol.scrollHeight,
    clientHeight: ol.clientHeight,
    pinned: (ol as HTMLElement).dataset.pinned ?? '',
    times: Array.from(ol.querySelectorAll('li[data-dir] .time'), (e) => e.textContent ?? ''),
  }));
}

describe('trade tape', () => {
  it('scrolls, holds still while the user reads older trades, and returns to the newest on request', { timeout: 60_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    try {
      const { page, errors } = await openPage(context, server.url);
      await until(async () => (await hook.connection(page)).state === 'live', 'live connection');
      await until(async () => (await page.locator('.tape li[data-dir]').count()) >= 50, 'a full tape', 20_000);

      const start = await tapeState(page);
      expect(start.pinned).toBe('true');
      expect(start.scrollHeight).toBeGreaterThan(start.clientHeight * 1.5); // more trades than fit: it must scroll

      // Scroll down with the wheel, as a user would.
      const box = (await page.locator('.tape ol').boundingBox())!;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.wheel(0, 300);
      const held = await until(async () => {
        const s = await tapeState(page);
        return s.pinned === 'false' && s.scrollTop > 100 ? s : null;
      }, 'the tape scrolled and held');
      // Trades keep arriving (the control counts them) but nothing moves under the reader.
      await until(async () => /newer/.test((await page.locator('[data-action="newest"]').textContent()) ?? ''), 'newer trades counted');
      await page.waitForTimeout(1200);
      const later = await tapeState(page);
      expect(later.times).toEqual(held.times);
      expect(later.scrollTop).toBe(held.scrollTop);
      await page.locator('.tape').screenshot({ path: resultsPath('tape-held.png') });

      await page.locator('[data-action="newest"]').click();
      const back = await until(async () => {
        const s = await tapeState(page);
        return s.pinned === 'true' && s.scrollTop === 0 ? s : null;
      }, 'back at the newest trade');
      expect(back.times[0]! > held.times[0]!).toBe(true);
      await expect(page.locator('[data-action="newest"]').count()).resolves.toBe(0);
      // Pinned again: new trades come in on top.
      await until(async () => (await tapeState(page)).times[0] !== back.times[0], 'a new trade on top');

      // Direction without colour: a glyph, and a word for screen readers, on every trade.
      const dirs = await page.locator('.tape li[data-dir]').evaluateAll((lis) =>
        lis.map((li) => {
          const cell = li.querySelector('.dir');
          return { dir: (li as HTMLElement).dataset.dir, text: `${cell?.textContent ?? ''}${cell?.getAttribute('aria-label') ?? ''}` };
        }),
      );
      for (const d of dirs) expect(d.text).toBe(d.dir === '1' ? '▲up' : d.dir === '-1' ? '▼down' : '·unchanged');
      expect(dirs.some((d) => d.dir === '1') && dirs.some((d) => d.dir === '-1')).toBe(true);
      expect(errors.all).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('a newly selected symbol starts at its newest trade', { timeout: 45_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    try {
      const { page } = await openPage(context, server.url);
      await until(async () => (await page.locator('.tape li[data-dir]').count()) >= 50, 'a full tape', 20_000);
      await page.locator('.tape ol').evaluate((ol) => ol.scrollTo({ top: 400 }));
      await until(async () => (await tapeState(page)).pinned === 'false', 'held');
      await page.locator('[data-ticker="MSFT"]').click();
      await until(async () => (await page.locator('.tape .sym').textContent()) === 'MSFT', 'tape on MSFT');
      await until(async () => {
        const s = await tapeState(page);
        return s.pinned === 'true' && s.scrollTop === 0 && s.times.length > 0;
      }, 'MSFT trades, live');
    } finally {
      await context.close();
    }
  });
});
