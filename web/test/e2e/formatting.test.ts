// Number and time formatting as a trader reads it, in real Chromium against the built server: prices
// with the locale's thousands separators (en-US and de-DE), BTC trade sizes at the size scale (never
// "0.00"), sizes aligned on the decimal point within the tape column, and the display time zone shown,
// switchable (tape times and chart follow) and kept across a reload. Screenshots in test-results/.
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

/** Selects `ticker` in the watchlist and waits until the tape shows at least `min` of its trades. */
async function tapeOf(page: Page, ticker: string, min: number): Promise<void> {
  await page.locator(`[data-ticker="${ticker}"]`).click();
  await until(async () => (await page.locator('.tape .sym').textContent()) === ticker, `tape on ${ticker}`);
  await until(async () => (await page.locator('.tape li[data-dir]').count()) >= min, `${min} ${ticker} trades on the tape`, 20_000);
}

/** Text of every size cell on the tape and the x of its decimal-point column (right edge of the integer part). */
function tapeSizes(page: Page): Promise<Array<{ text: string; intRight: number; fracWidth: number }>> {
  // Queried and measured in one page task: rows leave the bounded tape ten times a second, and a cell
  // detached between a query and a later measurement would read as zero-sized.
  return page.evaluate(() =>
    [...document.querySelectorAll('.tape [data-field="size"]')].map((c) => {
      // The integer part is the cell's text before the fraction span: where that span starts is the decimal point.
      const frac = c.querySelector('.frac')!.getBoundingClientRect();
      return { text: c.textContent ?? '', intRight: frac.left, fracWidth: frac.width };
    }),
  );
}

describe('formatting', () => {
  it('groups price thousands, shows BTC sizes at their scale aligned on the decimal point (en-US)', { timeout: 60_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, locale: 'en-US' });
    try {
      const { page, errors } = await openPage(context, server.url);
      await until(async () => (await hook.connection(page)).state === 'live', 'live connection');
      await until(async () => /\d/.test((await lastPrices(page)).BTCUSD ?? ''), 'BTCUSD price');
      const prices = await lastPrices(page);
      expect(prices.BTCUSD).toMatch(/^\d{1,3}(,\d{3})+\.\d{2}$/); // e.g. 65,012.50
      expect(prices.AAPL).toMatch(/^\d{1,3}\.\d{2}$/);
      expect(prices.EURUSD).toMatch(/^\d\.\d{5}$/);

      await tapeOf(page, 'BTCUSD', 25);
      // The tab's title names the selected symbol and its last price, formatted like the watchlist's.
      await until(async () => /^BTCUSD \d{1,3}(,\d{3})+\.\d{2} · Tickwire$/.test(await page.title()), `title with BTCUSD's price (${await page.title()})`);
      const sizes = await tapeSizes(page);
      for (const s of sizes) {
        expect(s.text, 'never rounded to nothing').not.toMatch(/^0(\.0+)?$/);
        // Exact at the size scale (8 decimals), trailing zeros trimmed.
        expect(s.text).toMatch(/^(\d{1,3}(,\d{3})*|\d+)(\.\d{0,7}[1-9])?$/);
      }
      // Sizes below 0.005 BTC appear in a normal session and keep their digits.
      expect(sizes.some((s) => Number(s.text.replace(/,/g, '')) < 0.05)).toBe(true);
      // One decimal-point column: the integer parts end at the same x, the fraction columns have one width.
      // (Within a pixel: rows are laid out at sub-pixel positions, which rounding can split either way.)
      const spread = (xs: number[]): number => Math.max(...xs) - Math.min(...xs);
      expect(sizes.length).toBeGreaterThan(0);
      expect(spread(sizes.map((s) => s.intRight)), JSON.stringify(sizes)).toBeLessThanOrEqual(1);
      expect(spread(sizes.map((s) => s.fracWidth)), JSON.stringify(sizes)).toBeLessThanOrEqual(1);
      await page.locator('.tape').screenshot({ path: resultsPath('format-tape-btc.png') });
      expect(errors.all).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("uses the user's locale separators (de-DE)", { timeout: 45_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, locale: 'de-DE' });
    try {
      const { page, errors } = await openPage(context, server.url);
      await until(async () => /\d/.test((await lastPrices(page)).BTCUSD ?? ''), 'BTCUSD price');
      const prices = await lastPrices(page);
      expect(prices.BTCUSD).toMatch(/^\d{1,3}(\.\d{3})+,\d{2}$/); // e.g. 65.012,50
      expect(prices.EURUSD).toMatch(/^\d,\d{5}$/);
      await tapeOf(page, 'BTCUSD', 10);
      for (const s of await tapeSizes(page)) expect(s.text).toMatch(/^(\d{1,3}(\.\d{3})*|\d+)(,\d{0,7}[1-9])?$/);
      await page.waitForTimeout(500);
      await page.screenshot({ path: resultsPath('format-de-DE.png') });
      expect(errors.all).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('shows the time zone, switches it (tape and chart follow) and keeps it across a reload', { timeout: 60_000 }, async () => {
    // The browser's own zone is New York, so "Local" and Tokyo differ by 13–14 hours.
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, timezoneId: 'America/New_York' });
    try {
      const { page, errors } = await openPage(context, server.url);
      await until(async () => (await hook.connection(page)).state === 'live', 'live connection');
      const zoneSelect = page.getByRole('combobox', { name: 'Time zone' });
      await expect(zoneSelect.inputValue()).resolves.toBe('local');
      await expect(page.locator('.tape .zone').textContent()).resolves.toMatch(/^UTC\u2212[45]$/);
      await expect(zoneSelect.locator('option:checked').textContent()).resolves.toMatch(/^Local \(UTC\u2212[45]\)$/);

      /** Hour of the newest tape trade and the hour now in `zone`, read in the page. */
      const hours = (zone: string) =>
        page.evaluate((z) => {
          const time = document.querySelector('.tape li[data-dir] .time')?.textContent ?? '';
          const now = Number(new Intl.DateTimeFormat('en-GB', { timeZone: z, hour: '2-digit', hourCycle: 'h23' }).format(Date.now()));
          return { tape: Number(time.slice(0, 2)), now, time };
        }, zone);
      await until(async () => (await page.locator('.tape li[data-dir]').count()) > 0, 'trades on the tape');
      const local = await hours('America/New_York');
      expect([local.now, (local.now + 23) % 24]).toContain(local.tape);

      await zoneSelect.selectOption('Asia/Tokyo');
      await expect(page.locator('.tape .zone').textContent()).resolves.toBe('UTC+9');
      // Every row on the tape is shown in Tokyo time at once, the older ones too (not only new trades).
      // (Within one repaint, i.e. well before 60 rows of new trades could have replaced them.)
      const switchedAt = Date.now();
      await until(async () => {
        const rowHours = await page.evaluate(() =>
          [...document.querySelectorAll('.tape li[data-dir] .time')].map((e) => Number((e.textContent ?? '').slice(0, 2))),
        );
        const tokyo = await hours('Asia/Tokyo');
        return rowHours.length > 0 && rowHours.every((h) => h === tokyo.now || h === (tokyo.now + 23) % 24);
      }, 'every tape row in Tokyo time');
      expect(Date.now() - switchedAt).toBeLessThan(1_000);
      await page.waitForTimeout(600);
      await page.screenshot({ path: resultsPath('format-timezone-tokyo.png') });

      await page.reload();
      await until(async () => (await hook.connection(page)).state === 'live', 'live after reload');
      await expect(page.getByRole('combobox', { name: 'Time zone' }).inputValue()).resolves.toBe('Asia/Tokyo');
      await expect(page.evaluate(() => window.__tickwire!.settings().timeZone)).resolves.toBe('Asia/Tokyo');
      await expect(page.locator('.tape .zone').textContent()).resolves.toBe('UTC+9');
      // Another setting saved later keeps the zone (the whole settings object is persisted).
      await page.getByRole('button', { name: /light theme/ }).click();
      await page.reload();
      await expect(page.evaluate(() => window.__tickwire!.settings())).resolves.toMatchObject({ timeZone: 'Asia/Tokyo', theme: 'light' });
      expect(errors.all).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
