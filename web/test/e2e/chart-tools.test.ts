// Trader tools on the chart panels in real Chromium: indicators toggled from the panel header's menu
// (keyboard only), drawn as line series that equal a from-scratch computation across history seams and
// live bars, and kept after a reload; the crosshair legend's change vs the previous close and bar date in
// the chosen time zone; panels linked to the watchlist selection or fixed; deep links that reproduce a
// screen in a fresh browser context and shrug off bad parts. Screenshots in test-results/.
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

const settings = (page: Page) => page.evaluate(() => window.__tickwire!.settings());
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** A bar time as the legend should show it in Asia/Tokyo (UTC+9 all year, no daylight saving). */
function tokyo(sec: number): string {
  const d = new Date((sec + 9 * 3600) * 1000);
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC+9`;
}

/** "−1,234.50" → -1234.5 */
function num(text: string): number {
  return Number(text.replace(/\u2212/g, '-').replace(/[,\s%+()]/g, ''));
}

describe('indicators', () => {
  it('are toggled from the panel menu by keyboard, match a full computation across older pages and live bars, and persist', { timeout: 90_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    try {
      const { page, errors } = await openPage(context, server.url);
      await until(async () => (await hook.connection(page)).state === 'live', 'live connection');
      await page.locator('[data-panel="0"] button[data-interval="60"]').click();
      await until(async () => ((await hook.charts(page))[0]?.bars ?? 0) >= 300, '1 m bars');

      // Keyboard only: focus the menu button, open it, tick each indicator, change a period, close with Escape.
      const toggle = page.locator('[data-panel="0"] [data-action="indicators"]');
      await toggle.focus();
      await page.keyboard.press('Enter');
      await expect(toggle.getAttribute('aria-expanded')).resolves.toBe('true');
      for (const kind of ['sma', 'ema', 'vwap', 'bb']) {
        await page.locator(`[data-panel="0"] [data-indicator="${kind}"] input[type="checkbox"]`).focus();
        await page.keyboard.press('Space');
      }
      const period = page.locator('[data-panel="0"] [data-indicator="sma"] input[data-param="period"]');
      await period.focus();
      await period.fill('10');
      await page.keyboard.press('Tab'); // change fires on leaving the field
      await page.locator('[data-panel="0"]').screenshot({ path: resultsPath('indicators-menu.png') });
      await page.keyboard.press('Escape');
      await expect(toggle.getAttribute('aria-expanded')).resolves.toBe('false');
      await expect(page.evaluate(() => document.activeElement?.getAttribute('data-action'))).resolves.toBe('indicators');
      expect((await settings(page)).panels[0]!.indicators).toEqual([
        { kind: 'sma', period: 10 },
        { kind: 'ema', period: 50 },
        { kind: 'vwap' },
        { kind: 'bb', period: 20, k: 2 },
      ]);

      const drawn = await until(async () => {
        const c = (await hook.charts(page))[0];
        return c?.indicatorLines === 6 && c.bars > 0 ? c : null;
      }, 'six indicator lines (SMA, EMA, VWAP, three Bollinger lines)');
      expect(drawn.indicatorMismatch).toBeNull();
      await expect(page.locator('[data-panel="0"] [data-legend="indicators"]').textContent()).resolves.toMatch(/SMA 10.*EMA 50.*VWAP.*BB 20 2/);
      await page.waitForTimeout(300);
      await page.locator('[data-panel="0"]').screenshot({ path: resultsPath('indicators-1m.png') });

      // Older pages in front: the values at and after each seam equal a computation from scratch.
      let c = drawn;
      for (let round = 0; round < 2; round++) {
        const bars = c.bars;
        await page.evaluate(() => {
          const hook = window.__tickwire!;
          const from = hook.barTimes(0).indexOf(hook.charts()[0]!.visibleFrom!);
          hook.scrollChart(0, from - 30);
        });
        c = await until(
          async () => {
            const now = (await hook.charts(page))[0];
            return now && now.bars > bars ? now : null;
          },
          `older page ${round + 1}`,
        );
        expect(c.indicatorMismatch, `indicators after page ${round + 1}`).toBeNull();
        expect(c.strictlyIncreasing).toBe(true);
      }
      await page.mouse.move(200, 300);
      await page.waitForTimeout(300);
      await page.locator('[data-panel="0"]').screenshot({ path: resultsPath('indicators-seam.png') });

      // Live bars: updates keep flowing in without a reload, and the lines keep matching.
      const { setDataCalls, updateCalls } = c;
      await page.evaluate(() => window.__tickwire!.scrollChart(0, -100_000));
      await page.locator('[data-panel="0"] button[data-interval="1"]').click();
      const live = await until(async () => {
        const now = (await hook.charts(page))[0];
        return now?.interval === 1 && now.bars > 50 && now.updateCalls > updateCalls + 20 ? now : null;
      }, 'live 1 s updates');
      expect(live.indicatorMismatch).toBeNull();
      expect(live.setDataCalls).toBeLessThan(setDataCalls + 10);

      // Kept with the panel's settings.
      await page.reload();
      const again = await until(async () => {
        const now = (await hook.charts(page))[0];
        return now?.indicatorLines === 6 && now.bars > 0 ? now : null;
      }, 'indicators after reload');
      expect(again.indicatorMismatch).toBeNull();
      expect(errors.all).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

describe('crosshair legend', () => {
  it('shows the change vs the previous close and the bar date and time in the chosen time zone', { timeout: 60_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    try {
      const { page, errors } = await openPage(context, server.url);
      await until(async () => (await hook.connection(page)).state === 'live', 'live connection');
      await page.locator('select[aria-label="Time zone"]').selectOption('Asia/Tokyo');
      await page.locator('[data-panel="0"] button[data-interval="60"]').click();
      await until(async () => ((await hook.charts(page))[0]?.bars ?? 0) >= 100, '1 m bars');
      const legend = page.locator('[data-panel="0"] .legend').first();

      // Not hovering: the newest bar.
      await until(async () => {
        const [text, c] = await Promise.all([legend.locator('[data-legend="time"]').textContent(), hook.charts(page)]);
        return text === tokyo(c[0]!.lastTime!);
      }, 'legend time of the newest bar in Tokyo time');

      // Hovering a bar in the middle: its own time, and change = close − previous close.
      const box = (await page.locator('[data-panel="0"] .canvas').boundingBox())!;
      await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.4);
      await until(async () => (await legend.getAttribute('class'))?.includes('hovering'), 'legend on the hovered bar');
      const times = await hook.barTimes(page, 0);
      const shown = await legend.locator('[data-legend="time"]').textContent();
      const index = times.findIndex((t) => tokyo(t) === shown);
      expect(index, `${shown} is the time of a bar`).toBeGreaterThan(0);
      expect(index).toBeLessThan(times.length - 1);
      const dds = await legend.locator('dd').allTextContents();
      const close = num(dds[3]!);
      const delta = (await legend.locator('[data-legend="change"]').textContent())!.trim();
      const [, priceText, pctText] = /^(\S+) \((\S+)\)$/.exec(delta) ?? [];
      expect(priceText, delta).toBeDefined();
      const change = num(priceText!);
      const previous = close - change;
      expect(num(pctText!)).toBeCloseTo((change / previous) * 100, 1);
      await page.locator('[data-panel="0"]').screenshot({ path: resultsPath('legend-hover.png') });
      expect(errors.all).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

describe('symbol linking', () => {
  it('linked panels follow the watchlist selection, fixed ones keep their symbol', { timeout: 60_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    try {
      const { page, errors } = await openPage(context, server.url);
      await until(async () => (await hook.connection(page)).state === 'live', 'live connection');
      await page.locator('[data-layout="2"]').click();
      const link = (i: number) => page.locator(`[data-panel="${i}"] [data-action="link"]`);
      await expect(link(0).getAttribute('aria-pressed')).resolves.toBe('true');
      await expect(link(1).getAttribute('aria-pressed')).resolves.toBe('false');
      const symbols = async () => (await settings(page)).panels.slice(0, 2).map((p) => p.symbol);
      const [, fixed] = await symbols();

      await page.locator('body').click({ position: { x: 5, y: 300 } });
      await page.keyboard.press('ArrowDown');
      const s1 = await settings(page);
      expect(s1.panels[0]!.symbol).toBe(s1.selected);
      expect(s1.panels[1]!.symbol).toBe(fixed);

      // Link panel 1: it takes the selection at once and follows it from then on.
      await link(1).click();
      await expect(link(1).getAttribute('aria-pressed')).resolves.toBe('true');
      expect(await symbols()).toEqual([s1.selected, s1.selected]);
      await page.keyboard.press('ArrowDown');
      const s2 = await settings(page);
      expect(s2.selected).not.toBe(s1.selected);
      expect(await symbols()).toEqual([s2.selected, s2.selected]);

      // Unlink panel 0: it stays put while the selection moves on.
      await link(0).click();
      await page.keyboard.press('ArrowDown');
      const s3 = await settings(page);
      expect(await symbols()).toEqual([s2.selected, s3.selected]);
      await until(async () => {
        const c = await hook.charts(page);
        return c[0]?.symbol === s2.selected && c[1]?.symbol === s3.selected && c.every((x) => x.bars > 0);
      }, 'charts on their symbols');
      await page.screenshot({ path: resultsPath('linking.png') });
      expect(errors.all).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

describe('deep links', () => {
  it('the address bar follows the screen, and opening it in a new context reproduces the screen', { timeout: 60_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    let url: string;
    let screen: Awaited<ReturnType<typeof settings>>;
    try {
      const { page, errors } = await openPage(context, server.url);
      await until(async () => (await hook.connection(page)).state === 'live', 'live connection');
      await page.locator('[data-layout="4"]').click();
      await page.locator('[data-panel="1"] button[data-interval="900"]').click();
      await page.locator('[data-panel="2"] select[aria-label="Chart symbol"]').selectOption('BTCUSD');
      await page.locator('[data-panel="3"] [data-action="link"]').click();
      await page.locator('[data-panel="1"] [data-action="indicators"]').click();
      await page.locator('[data-panel="1"] [data-indicator="bb"] input[type="checkbox"]').check();
      await page.locator('[data-panel="1"] [data-indicator="vwap"] input[type="checkbox"]').check();
      await page.keyboard.press('Escape');
      screen = await settings(page);
      url = page.url();
      const params = new URL(url).searchParams;
      expect(params.get('layout')).toBe('4');
      expect(params.get('symbols')).toBe(screen.watchlist.join(','));
      const label: Record<number, string> = { 1: '1s', 5: '5s', 60: '1m', 300: '5m', 900: '15m', 3600: '1h', 14_400: '4h', 86_400: '1D' };
      expect(params.get('panels')).toBe(
        screen.panels
          .map((p) => [p.symbol, label[p.interval], ...(p.linked ? ['link'] : [])].join(':'))
          .join(',')
          .replace(':15m', ':15m:bb20-2:vwap'),
      );
      expect(params.get('panels')).toContain(`${screen.panels[1]!.symbol}:15m:bb20-2:vwap`);
      expect(params.get('panels')).toContain('BTCUSD:');
      expect(errors.all).toEqual([]);
    } finally {
      await context.close();
    }

    // A fresh context (no saved settings): the same screen.
    const fresh = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    try {
      const { page, errors } = await openPage(fresh, url);
      await until(async () => (await hook.connection(page)).state === 'live', 'live connection');
      await until(async () => (await hook.charts(page)).filter((c) => c.bars > 0).length === 4, 'four charts');
      // Past the catalogue's arrival, which rewrites a first visit's screen (it must not for a link).
      await page.waitForTimeout(500);
      const got = await settings(page);
      expect(got.watchlist).toEqual(screen.watchlist);
      expect(got.layout).toBe(4);
      expect(got.panels).toEqual(screen.panels);
      expect(got.selected).toBe(screen.selected);
      const charts = await hook.charts(page);
      expect(charts.map((c) => `${c.symbol}/${c.interval}/${c.indicatorLines}`)).toEqual(
        screen.panels.map((p) => `${p.symbol}/${p.interval}/${p.indicators.reduce((n, s) => n + (s.kind === 'bb' ? 3 : 1), 0)}`),
      );
      expect(page.url()).toBe(url);
      await page.screenshot({ path: resultsPath('deep-link.png') });
      expect(errors.all).toEqual([]);
    } finally {
      await fresh.close();
    }
  });

  it('ignores the bad parts of a link and applies the rest', { timeout: 60_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    try {
      const link = `${server.url}/?symbols=MSFT,NOSUCH1,bad!,AAPL&layout=9&panels=AAPL:7x:link:sma5:rsi3,NOSUCH1:1h,ETHUSD:4h:ema9&transport=ws`;
      const { page, errors } = await openPage(context, link);
      await until(async () => (await hook.connection(page)).state === 'live', 'live connection');
      // The unknown ticker goes once the catalogue says so; its panel moves to a listed symbol.
      const s = await until(async () => {
        const s = await settings(page);
        return s.watchlist.includes('NOSUCH1') ? null : s;
      }, 'unknown ticker dropped');
      expect(s.watchlist).toEqual(['MSFT', 'AAPL', 'ETHUSD']);
      expect(s.layout).toBe(1);
      expect(s.panels[0]).toMatchObject({ symbol: 'AAPL', linked: true, indicators: [{ kind: 'sma', period: 5 }] });
      expect(s.panels[1]!.interval).toBe(3600);
      expect(s.watchlist).toContain(s.panels[1]!.symbol);
      expect(s.panels[2]).toMatchObject({ symbol: 'ETHUSD', interval: 14_400, linked: false, indicators: [{ kind: 'ema', period: 9 }] });
      expect(new URL(page.url()).searchParams.get('transport')).toBe('ws');
      await until(async () => (await hook.charts(page))[0]?.indicatorLines === 1, 'SMA drawn');
      expect(errors.unexpected()).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
