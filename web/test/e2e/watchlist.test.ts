// The watchlist's trader features in real Chromium: sorting by a column header (mouse and keyboard,
// aria-sort, off again, saved), reordering the manual order by mouse drag and by Alt+↑/↓ (announced,
// saved), the per-row sparkline drawn from live data, the columns menu (day high/low, spread; saved), and
// a phone that hides the optional columns without scrolling sideways. Screenshots in test-results/.
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

async function live(page: Page): Promise<void> {
  await until(async () => (await hook.connection(page)).state === 'live', 'live connection');
  await until(async () => (await page.locator('[data-ticker][data-status="live"]').count()) >= 8, 'live rows');
}

/** Tickers in the order on screen, with a field's number, read in one page task (rows move live). */
function column(page: Page, field: string): Promise<{ ticker: string; value: number }[]> {
  return page.evaluate((f) => {
    const parse = (text: string) => Number(text.replace(/[,\s]/g, '').replace('\u2212', '-').replace('%', '').replace(/^\+/, ''));
    return [...document.querySelectorAll<HTMLElement>('[data-ticker]')].map((r) => ({
      ticker: r.dataset.ticker ?? '',
      value: parse(r.querySelector(`[data-field="${f}"]`)?.textContent ?? ''),
    }));
  }, field);
}

const order = (page: Page) => page.locator('[data-ticker]').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.ticker ?? ''));
const savedWatchlist = (page: Page) => page.evaluate(() => window.__tickwire!.settings().watchlist);
const ariaSort = (page: Page, key: string) => page.locator(`[role="columnheader"]:has(button[data-sort="${key}"])`).getAttribute('aria-sort');

describe('watchlist', () => {
  it('sorts by a column header (click and keyboard), shows aria-sort, turns off again and keeps the sort over a reload', { timeout: 60_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    try {
      const { page, errors } = await openPage(context, server.url);
      await live(page);
      const manual = await order(page);
      expect(manual).toEqual(await savedWatchlist(page));

      await page.locator('button[data-sort="last"]').click();
      await expect(ariaSort(page, 'last')).resolves.toBe('descending');
      await expect(ariaSort(page, 'symbol')).resolves.toBe('none');
      await until(async () => {
        const rows = await column(page, 'last');
        return rows.every((r, i) => i === 0 || rows[i - 1]!.value >= r.value) && rows.length === manual.length;
      }, 'rows in descending last price');
      await page.screenshot({ path: resultsPath('watchlist-sorted-last.png') });

      await page.locator('button[data-sort="last"]').click();
      await expect(ariaSort(page, 'last')).resolves.toBe('ascending');
      await until(async () => {
        const rows = await column(page, 'last');
        return rows.every((r, i) => i === 0 || rows[i - 1]!.value <= r.value);
      }, 'rows in ascending last price');
      await page.locator('button[data-sort="last"]').click();
      await expect(ariaSort(page, 'last')).resolves.toBe('none');
      await until(async () => JSON.stringify(await order(page)) === JSON.stringify(manual), 'manual order back');

      // Keyboard: the header row is one tab stop; → moves between headers, Enter sorts.
      await page.locator('button[data-sort="symbol"]').focus();
      for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
      const focused = await page.evaluate(() => (document.activeElement as HTMLElement).dataset.sort);
      expect(focused).toBe('changePct');
      await page.keyboard.press('Enter');
      await expect(ariaSort(page, 'changePct')).resolves.toBe('descending');
      await until(async () => {
        const rows = await column(page, 'changePct');
        return rows.every((r, i) => i === 0 || rows[i - 1]!.value >= r.value);
      }, 'rows by change %, best first');
      expect(await page.locator('[role="status"]').filter({ hasText: 'Sorted by Change %' }).count()).toBe(1);

      // ↓ follows the order on screen: sorted by symbol (a still order), the next ticker alphabetically.
      await page.locator('button[data-sort="symbol"]').click();
      await expect(ariaSort(page, 'symbol')).resolves.toBe('ascending');
      const alphabetical = [...manual].sort();
      await until(async () => JSON.stringify(await order(page)) === JSON.stringify(alphabetical), 'rows A to Z');
      await page.locator(`[data-ticker="${alphabetical[0]}"]`).click();
      await page.keyboard.press('ArrowDown');
      await until(async () => (await page.evaluate(() => window.__tickwire!.settings().panels[0]!.symbol)) === alphabetical[1], 'next row on screen selected');
      await page.locator('button[data-sort="changePct"]').click();
      await expect(ariaSort(page, 'changePct')).resolves.toBe('descending');

      await page.reload();
      await live(page);
      await expect(ariaSort(page, 'changePct')).resolves.toBe('descending');
      expect(errors.unexpected()).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('reorders by mouse drag and by Alt+↑/↓, announces the move and keeps the order over a reload', { timeout: 60_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    try {
      const { page, errors } = await openPage(context, server.url);
      await live(page);
      const before = await order(page);
      const [first, second, third] = before as [string, string, string];

      const chartSymbol = () => page.evaluate(() => window.__tickwire!.settings().panels[0]!.symbol);
      await page.locator(`[data-ticker="${before[4]}"]`).click();
      await until(async () => (await chartSymbol()) === before[4], 'fifth row selected');
      // Drag the first row below the third.
      const from = (await page.locator(`[data-ticker="${first}"]`).boundingBox())!;
      const to = (await page.locator(`[data-ticker="${third}"]`).boundingBox())!;
      await page.mouse.move(from.x + 40, from.y + from.height / 2);
      await page.mouse.down();
      await page.mouse.move(from.x + 40, to.y + to.height * 0.8, { steps: 8 });
      expect(await page.locator('.drop').count()).toBe(1);
      await page.screenshot({ path: resultsPath('watchlist-dragging.png') });
      await page.mouse.up();
      const dragged = [second, third, first, ...before.slice(3)];
      await until(async () => JSON.stringify(await order(page)) === JSON.stringify(dragged), 'dragged order on screen');
      expect(await savedWatchlist(page)).toEqual(dragged);
      // The drag did not select the row (no click after a drag).
      expect(await chartSymbol()).toBe(before[4]);

      // Keyboard: select the third row, Alt+↑ twice moves it to the top.
      await page.locator(`[data-ticker="${first}"]`).click();
      await page.keyboard.press('Alt+ArrowUp');
      await page.keyboard.press('Alt+ArrowUp');
      const keyed = [first, second, third, ...before.slice(3)];
      await until(async () => JSON.stringify(await order(page)) === JSON.stringify(keyed), 'keyboard order on screen');
      await expect(page.locator('.watchlist [role="status"]').textContent()).resolves.toBe(`${first} moved to position 1 of ${before.length}`);
      await page.keyboard.press('Alt+ArrowDown');
      const down = [second, first, third, ...before.slice(3)];
      await until(async () => JSON.stringify(await savedWatchlist(page)) === JSON.stringify(down), 'Alt+↓ saved');
      // The selection stayed on the moved row, and focus in the list.
      expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-activedescendant'))).toBe(`row-${first}`);

      await page.reload();
      await live(page);
      expect(await order(page)).toEqual(down);
      expect(errors.unexpected()).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('draws a sparkline per row from live data and toggles day high/low and spread columns (saved)', { timeout: 60_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    try {
      const { page, errors } = await openPage(context, server.url);
      await live(page);
      const sparks = () =>
        page.locator('[data-ticker][data-status="live"] [data-field="spark"] polyline').evaluateAll((ls) => ls.map((l) => l.getAttribute('points') ?? ''));
      const first = await until(async () => {
        const s = await sparks();
        return s.length >= 8 && s.every((p) => p.split(' ').length >= 2) ? s : null;
      }, 'a sparkline on every live row');
      // Points stay inside the 48×16 box.
      for (const p of first) {
        for (const xy of p.split(' ')) {
          const [x, y] = xy.split(',').map(Number) as [number, number];
          expect(x).toBeGreaterThanOrEqual(0);
          expect(x).toBeLessThanOrEqual(48);
          expect(y).toBeGreaterThanOrEqual(0);
          expect(y).toBeLessThanOrEqual(16);
        }
      }
      // They follow the market (the newest minute's close moves).
      await until(async () => (await sparks()).some((p, i) => p !== first[i]), 'sparklines to move');

      // Columns menu: add high, low and spread; drop volume.
      await page.locator('[data-action="columns"]').click();
      const menu = page.getByRole('group', { name: 'Watchlist columns' });
      await menu.getByLabel('Day high').check();
      await menu.getByLabel('Day low').check();
      await menu.getByLabel('Spread').check();
      await menu.getByLabel('Volume').uncheck();
      await page.screenshot({ path: resultsPath('watchlist-columns-menu.png') });
      await page.keyboard.press('Escape');
      await expect(page.locator('#watch-columns').count()).resolves.toBe(0);
      expect(await page.evaluate(() => document.activeElement?.getAttribute('data-action'))).toBe('columns');
      expect(await page.locator('[data-field="volume"]').count()).toBe(0);
      await until(async () => {
        const [hi, lo, last, spread] = await Promise.all(['high', 'low', 'last', 'spread'].map((f) => column(page, f)));
        return hi!.every((h, i) => h.value >= last![i]!.value && last![i]!.value >= lo![i]!.value && spread![i]!.value >= 0) && hi!.length >= 8;
      }, 'high ≥ last ≥ low and a spread on every row');
      // More columns than the panel is wide: the list scrolls sideways inside its panel, the page does not.
      const scroller = page.locator('.watchlist .hscroll');
      expect(await scroller.evaluate((el) => el.scrollWidth > el.clientWidth)).toBe(true);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1440);
      await scroller.evaluate((el) => el.scrollTo({ left: el.scrollWidth }));
      await page.screenshot({ path: resultsPath('watchlist-columns.png') });
      const lowCell = (await page.locator('[data-ticker="MSFT"] [data-field="low"]').boundingBox())!;
      const panel = (await scroller.boundingBox())!;
      expect(lowCell.x + lowCell.width).toBeLessThanOrEqual(panel.x + panel.width + 0.5);

      await page.reload();
      await live(page);
      expect(await page.evaluate(() => window.__tickwire!.settings().columns)).toEqual(expect.arrayContaining(['high', 'low', 'spread']));
      expect(await page.locator('[data-field="volume"]').count()).toBe(0);
      expect(await page.locator('[data-field="high"]').count()).toBeGreaterThanOrEqual(8);

      // A phone with every column chosen: only symbol, last and change show, nothing scrolls sideways.
      await page.setViewportSize({ width: 390, height: 844 });
      await page.locator('[data-ticker="MSFT"]').scrollIntoViewIfNeeded();
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      const visible = await page
        .locator('[data-ticker="MSFT"] [data-field]')
        .evaluateAll((cells) => cells.filter((c) => getComputedStyle(c).display !== 'none').map((c) => (c as HTMLElement).dataset.field));
      expect(visible).toEqual(['last', 'change', 'changePct']);
      const row = (await page.locator('[data-ticker="MSFT"]').boundingBox())!;
      expect(row.x + row.width).toBeLessThanOrEqual(390.5);
      await page.screenshot({ path: resultsPath('watchlist-phone.png') });
      expect(errors.unexpected()).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
