// Accessibility in real Chromium: axe-core (npm axe-core, injected as an init script so the page's CSP
// does not apply to it) on every screen — desktop dark and light, phone, search open, tape held, chart
// away from live, the watchlist's columns and alerts menus, a fired alert's toast — expecting no serious
// or critical violation; and a keyboard-only session (search, add a symbol, Tab to the watchlist, select
// rows, switch the interval, remove a symbol) with no mouse at all, checking that the focus ring is
// visible and sits on the selected row. Reports and screenshots in test-results/.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { AxeResults, Result } from 'axe-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerProcess } from '@tickwire/server/test/harness';
import { hook, launchBrowser, openPage, resultsPath, startDashboardServer, until } from './env.js';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let server: ServerProcess;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([startDashboardServer(), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  if (server) expect(await server.stop()).toBe(0);
});

declare global {
  interface Window {
    axe?: { run(context: Document, options: object): Promise<AxeResults> };
  }
}

/** A live dashboard page with axe-core loaded. */
async function livePage(context: BrowserContext): Promise<Page> {
  const { page } = await openPage(context, server.url, (p) => p.addInitScript({ content: AXE_SOURCE }));
  await until(async () => (await hook.connection(page)).state === 'live', 'live connection');
  await until(async () => (await page.locator('[data-ticker][data-status="live"]').count()) >= 8, 'live rows');
  await until(async () => ((await hook.charts(page))[0]?.bars ?? 0) > 10, 'chart bars');
  await page.waitForTimeout(400);
  return page;
}

/**
 * Runs axe on the page (WCAG 2.0/2.1 A and AA plus best practices); writes the report; returns serious
 * and critical violations. Contrast must actually have been measured on the numbers, not skipped.
 */
async function audit(page: Page, screen: string): Promise<string[]> {
  const results = await page.evaluate(() =>
    window.axe!.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
      resultTypes: ['violations', 'passes'],
    }),
  );
  writeFileSync(resultsPath(`axe-${screen}.json`), JSON.stringify(results.violations, null, 2));
  const contrastChecked = results.passes.find((r) => r.id === 'color-contrast')?.nodes.length ?? 0;
  expect(contrastChecked, `${screen}: text elements with measured contrast`).toBeGreaterThan(40);
  await page.screenshot({ path: resultsPath(`a11y-${screen}.png`) });
  const describe = (v: Result) => `${screen}: ${v.id} (${v.impact}) ${v.help}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`;
  return results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map(describe);
}

/** What has focus, and whether a focus ring is drawn on it (or, for the watchlist, on its selected row). */
function focusInfo(page: Page): Promise<{ label: string; role: string; ring: string; selected: string; activeDescendant: string }> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    const selected = document.querySelector<HTMLElement>('[role="option"][aria-selected="true"][data-ticker]');
    const ringOf = (e: Element | null) => {
      if (e === null) return '';
      const s = getComputedStyle(e);
      return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2 ? `${s.outlineWidth} ${s.outlineStyle} ${s.outlineColor}` : '';
    };
    const isList = el?.getAttribute('role') === 'listbox';
    return {
      label: el?.getAttribute('aria-label') ?? el?.textContent?.trim() ?? '',
      role: el?.getAttribute('role') ?? el?.tagName.toLowerCase() ?? '',
      ring: isList ? ringOf(selected) : ringOf(el),
      selected: selected?.dataset.ticker ?? '',
      activeDescendant: el?.getAttribute('aria-activedescendant') ?? '',
    };
  });
}

/** Presses Tab until `done` holds for the focused element (at most `max` presses); returns the presses. */
async function tabUntil(page: Page, done: (f: Awaited<ReturnType<typeof focusInfo>>) => boolean, what: string, max = 30, key = 'Tab'): Promise<number> {
  for (let i = 1; i <= max; i++) {
    await page.keyboard.press(key);
    const f = await focusInfo(page);
    expect(f.ring, `visible focus on ${f.role} "${f.label}"`).not.toBe('');
    if (done(f)) return i;
  }
  throw new Error(`${key} never reached ${what}`);
}

describe('accessibility', () => {
  it('has no serious or critical axe violations on any screen', { timeout: 180_000 }, async () => {
    const problems: string[] = [];
    const desktop = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    try {
      const page = await livePage(desktop);
      problems.push(...(await audit(page, 'desktop-dark')));

      await page.locator('header input').click();
      await page.keyboard.type('a');
      await until(async () => (await page.locator('#search-results [role="option"]').count()) > 1, 'search results');
      problems.push(...(await audit(page, 'search-open')));
      await page.keyboard.press('Escape');

      // The watchlist's columns menu, the alerts menu with an alert listed, and a fired alert's toast.
      await page.locator('[data-action="columns"]').click();
      problems.push(...(await audit(page, 'columns-menu')));
      await page.keyboard.press('Escape');
      await page.locator('[data-action="alerts"]').click();
      const form = page.getByRole('group', { name: 'Price alerts' });
      await form.getByLabel('Symbol').selectOption('AAPL');
      // Inside the spread (half a cent above the bid), set and submitted in one page task: fires within seconds.
      await form.getByLabel('Price', { exact: true }).evaluate((input: HTMLInputElement) => {
        input.value = ((window.__tickwire!.symbols().AAPL!.bid + 0.5) / 100).toFixed(3);
        input.dispatchEvent(new Event('input', { bubbles: true }));
        input.form!.requestSubmit();
      });
      await until(async () => (await page.locator('[role="alert"][data-toast]').count()) > 0, 'an alert toast', 30_000);
      problems.push(...(await audit(page, 'alerts-menu-toast')));
      await page.keyboard.press('Escape');

      await page.locator('body').click({ position: { x: 700, y: 10 } });
      await page.keyboard.press('?');
      await until(async () => page.getByRole('dialog', { name: 'Keyboard shortcuts' }).isVisible(), 'shortcuts overlay');
      problems.push(...(await audit(page, 'shortcuts')));
      await page.keyboard.press('Escape');

      // Four panels (link toggles, compact headers) with indicators on and a panel's indicator menu open.
      await page.locator('[data-layout="4"]').click();
      await page.locator('[data-panel="1"] [data-action="indicators"]').click();
      for (const kind of ['sma', 'bb']) await page.locator(`[data-panel="1"] [data-indicator="${kind}"] input[type="checkbox"]`).check();
      await until(async () => (await hook.charts(page))[1]?.indicatorLines === 4, 'indicator lines');
      problems.push(...(await audit(page, 'indicators-menu')));
      await page.keyboard.press('Escape');
      await page.locator('[data-layout="1"]').click();

      // The tape held (scrolled down, "newer" control shown) and the chart away from live.
      await page.locator('.tape ol').evaluate((ol) => ol.scrollTo({ top: 300 }));
      await until(async () => (await page.locator('[data-action="newest"]').count()) === 1, 'tape held');
      const box = (await page.locator('[data-panel="0"] .canvas').boundingBox())!;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 3);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width / 2 + 400, box.y + box.height / 3, { steps: 8 });
      await page.mouse.up();
      await page.mouse.move(100, 300);
      await until(async () => (await page.locator('[data-action="live"]').count()) === 1, 'back-to-live control');
      problems.push(...(await audit(page, 'desktop-held')));

      await page.getByRole('button', { name: /light theme/ }).click();
      await page.setViewportSize({ width: 1440, height: 900 });
      await page.locator('[data-layout="4"]').click();
      await until(async () => (await hook.charts(page)).filter((c) => c.bars > 0).length === 4, 'four charts');
      await page.waitForTimeout(400);
      problems.push(...(await audit(page, 'desktop-light')));
      // The watchlist's menus in the light theme too (the alerts menu lists the alert added above).
      await page.locator('[data-action="alerts"]').click();
      problems.push(...(await audit(page, 'alerts-menu-light')));
      await page.keyboard.press('Escape');
      await page.locator('[data-action="columns"]').click();
      problems.push(...(await audit(page, 'columns-menu-light')));
      await page.keyboard.press('Escape');
    } finally {
      await desktop.close();
    }

    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    try {
      const page = await livePage(phone);
      problems.push(...(await audit(page, 'phone-dark')));
      await page.getByRole('button', { name: /light theme/ }).tap();
      await page.waitForTimeout(400);
      problems.push(...(await audit(page, 'phone-light')));
    } finally {
      await phone.close();
    }
    expect(problems).toEqual([]);
  });

  it('works with the keyboard alone: search, add, select rows, switch the interval, remove', { timeout: 60_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    try {
      const page = await livePage(context);
      // No mouse from here on: every step is a key press.
      await page.keyboard.press('/');
      expect((await focusInfo(page)).label).toBe('Add symbol');
      await page.keyboard.type('netfl');
      await until(async () => /NFLX/.test((await page.locator('#search-results [role="option"]').first().textContent()) ?? ''), 'NFLX offered');
      await page.keyboard.press('Enter');
      await until(async () => (await page.locator('[data-ticker="NFLX"]').getAttribute('data-status')) === 'live', 'NFLX added');
      await until(async () => (await hook.charts(page))[0]?.symbol === 'NFLX', 'NFLX charted');

      // Tab reaches the watchlist; its focus ring is on the selected row (NFLX, the one just added).
      await tabUntil(page, (f) => f.role === 'listbox', 'the watchlist');
      let f = await focusInfo(page);
      expect(f.selected).toBe('NFLX');
      expect(f.activeDescendant).toBe('row-NFLX');
      await page.screenshot({ path: resultsPath('a11y-keyboard-watchlist.png') });

      // ↑/↓ move selection and focus ring together; the chart and the tape follow.
      const order = await page.locator('[data-ticker]').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.ticker ?? ''));
      await page.keyboard.press('ArrowUp');
      await page.keyboard.press('ArrowUp');
      const expected = order[order.length - 3]!;
      f = await focusInfo(page);
      expect(f).toMatchObject({ role: 'listbox', selected: expected, activeDescendant: `row-${expected}` });
      expect(f.ring).not.toBe('');
      await until(async () => (await hook.charts(page))[0]?.symbol === expected, `chart on ${expected}`);
      await expect(page.locator('.tape .sym').textContent()).resolves.toBe(expected);
      await page.keyboard.press('ArrowDown');
      f = await focusInfo(page);
      expect(f).toMatchObject({ role: 'listbox', selected: order[order.length - 2] });

      // On to the chart's interval buttons: 1m.
      await tabUntil(page, (x) => x.role === 'button' && x.label === '1m', 'the 1m interval');
      await page.keyboard.press('Enter');
      await until(async () => (await hook.charts(page))[0]?.interval === 60, '1m chart');

      // Back to the watchlist and remove the selected symbol with Delete.
      const victim = (await focusInfo(page)).selected;
      await tabUntil(page, (x) => x.role === 'listbox', 'the watchlist again', 30, 'Shift+Tab');
      await page.keyboard.press('Delete');
      await until(async () => (await page.locator(`[data-ticker="${victim}"]`).count()) === 0, `${victim} removed`);
      f = await focusInfo(page);
      expect(f.role).toBe('listbox'); // focus stays in the list, on the row that took its place
      expect(f.selected).not.toBe('');
      expect(f.ring).not.toBe('');
      await page.screenshot({ path: resultsPath('a11y-keyboard-after-remove.png') });
    } finally {
      await context.close();
    }
  });

  it('after a click, the focus ring and the selection stay together under ↑/↓', { timeout: 45_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    try {
      const page = await livePage(context);
      await page.locator('[data-ticker="NVDA"]').click();
      let f = await focusInfo(page);
      expect(f).toMatchObject({ role: 'listbox', selected: 'NVDA', activeDescendant: 'row-NVDA' });
      expect(f.ring).not.toBe('');
      for (const key of ['ArrowDown', 'ArrowDown', 'ArrowUp']) {
        await page.keyboard.press(key);
        f = await focusInfo(page);
        expect(f.role).toBe('listbox');
        expect(f.activeDescendant).toBe(`row-${f.selected}`);
        expect(f.ring).not.toBe('');
        // The ring is drawn on exactly one row: the selected one.
        const rings = await page
          .locator('[data-ticker]')
          .evaluateAll((rows) => rows.filter((r) => getComputedStyle(r).outlineStyle !== 'none').map((r) => (r as HTMLElement).dataset.ticker));
        expect(rings).toEqual([f.selected]);
      }
      await page.screenshot({ path: resultsPath('a11y-click-then-arrows.png') });
    } finally {
      await context.close();
    }
  });

  it('keyboard shortcuts: ? lists them, 1/2/4 switch the layout, [ and ] step the interval, Esc closes the list', { timeout: 60_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    try {
      const page = await livePage(context);
      await page.locator('body').click({ position: { x: 700, y: 10 } });
      const overlay = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
      await expect(overlay.isVisible()).resolves.toBe(false);
      await page.keyboard.press('?');
      await until(async () => overlay.isVisible(), 'overlay open');
      const rows = await overlay.locator('tr').allTextContents();
      expect(rows.length).toBeGreaterThanOrEqual(6);
      expect(rows.join('\n')).toMatch(/layout/);
      expect(rows.join('\n')).toMatch(/interval/);
      await page.screenshot({ path: resultsPath('shortcuts-overlay.png') });
      await page.keyboard.press('Escape');
      await until(async () => !(await overlay.isVisible()), 'overlay closed');

      await page.keyboard.press('4');
      await until(async () => (await page.evaluate(() => window.__tickwire!.settings().layout)) === 4, 'layout 4');
      await page.keyboard.press('2');
      await until(async () => (await page.evaluate(() => window.__tickwire!.settings().layout)) === 2, 'layout 2');
      const interval = () => page.evaluate(() => window.__tickwire!.settings().panels[window.__tickwire!.settings().activePanel]!.interval);
      const before = await interval();
      await page.keyboard.press(']');
      await until(async () => (await interval()) > before, 'a longer interval');
      await page.keyboard.press('[');
      await until(async () => (await interval()) === before, 'back to the first interval');
    } finally {
      await context.close();
    }
  });
});
