// Price alerts in real Chromium against the live simulated market: created from the watchlist's alerts
// menu with the keyboard just above and just below the live price, each fires an in-page toast (role=alert,
// dismissible) and — notifications granted in the browser context — a browser Notification (counted by a
// wrapper installed before the page loads); the one-shot alert never fires again, the repeating one
// fires again after the price crossed back; the list and its states survive a reload. Screenshots in
// test-results/.
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

interface Note {
  title: string;
  body: string;
  tag: string;
}

declare global {
  interface Window {
    __notes?: Note[];
  }
}

/** Records every Notification the page constructs (after the real constructor accepted it). */
async function spyNotifications(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const notes: Note[] = [];
    window.__notes = notes;
    const Real = window.Notification;
    class Spy extends Real {
      constructor(title: string, options?: NotificationOptions) {
        super(title, options);
        notes.push({ title, body: options?.body ?? '', tag: options?.tag ?? '' });
      }
    }
    window.Notification = Spy;
  });
}

const notes = (page: Page) => page.evaluate(() => window.__notes ?? []);
const alerts = (page: Page) => page.evaluate(() => window.__tickwire!.settings().alerts);

/** The symbol: a cheap stock, whose one-cent tick is large next to its moves, so trades bounce across a level. */
const SYMBOL = 'PFE';

/**
 * Fills the alerts form: symbol, condition and repeat with the keyboard; then, in one page task so the market
 * cannot move in between, a price inside the current bid–ask spread (half a tick above the bid) and submit.
 * Trades print at the bid and at the ask, so the live price crosses that level both ways within seconds.
 */
async function addAlert(page: Page, symbol: string, op: 'above' | 'below', repeat: boolean): Promise<void> {
  const menu = page.getByRole('group', { name: 'Price alerts' });
  await menu.getByLabel('Symbol').selectOption(symbol);
  await menu.getByLabel('Condition').selectOption(op);
  const price = menu.getByLabel('Price', { exact: true });
  await until(async () => /\d/.test(await price.inputValue()), 'the last price prefilled');
  const box = menu.getByLabel('Repeat after the price crosses back');
  if ((await box.isChecked()) !== repeat) await box.press('Space');
  await price.evaluate((input: HTMLInputElement, t) => {
    const bid = window.__tickwire!.symbols()[t]!.bid;
    input.value = ((bid + 0.5) / 100).toFixed(3); // two decimals: half a cent
    input.dispatchEvent(new Event('input', { bubbles: true }));
    input.form!.requestSubmit();
  }, symbol);
}

describe('price alerts', () => {
  it('fire a toast and a notification; one-shot stays fired, repeating re-fires after crossing back; both survive a reload', { timeout: 90_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    await context.grantPermissions(['notifications']);
    try {
      const { page, errors } = await openPage(context, server.url, spyNotifications);
      await until(async () => (await hook.connection(page)).state === 'live', 'live connection');
      // Add the symbol with the keyboard.
      await page.keyboard.press('/');
      await page.keyboard.type(SYMBOL);
      await until(
        async () => new RegExp(`^${SYMBOL}`).test((await page.locator('#search-results [role="option"]').first().textContent()) ?? ''),
        `${SYMBOL} offered`,
      );
      await page.keyboard.press('Enter');
      await until(async () => (await page.locator(`[data-ticker="${SYMBOL}"][data-status="live"]`).count()) === 1, `${SYMBOL} live`);

      // Open the menu from the keyboard.
      await page.locator('[data-action="alerts"]').focus();
      await page.keyboard.press('Enter');
      await expect(page.getByRole('group', { name: 'Price alerts' }).isVisible()).resolves.toBe(true);
      await addAlert(page, SYMBOL, 'above', false);
      await addAlert(page, SYMBOL, 'below', true);
      const created = await alerts(page);
      expect(created).toHaveLength(2);
      const [once, repeating] = created as [(typeof created)[0], (typeof created)[0]];
      expect(once).toMatchObject({ symbol: SYMBOL, op: 'above', repeat: false });
      expect(repeating).toMatchObject({ symbol: SYMBOL, op: 'below', repeat: true });
      expect(await page.locator(`[data-ticker="${SYMBOL}"] .bell`).count()).toBe(1);
      await page.screenshot({ path: resultsPath('alerts-menu.png') });
      await page.keyboard.press('Escape');

      // Both fire: toasts on the page and notifications.
      await until(async () => (await page.locator(`[role="alert"][data-toast="${once.id}"]`).count()) === 1, 'the one-shot toast', 30_000);
      await until(async () => (await page.locator(`[role="alert"][data-toast="${repeating.id}"]`).count()) >= 1, 'the repeating toast', 30_000);
      await page.screenshot({ path: resultsPath('alerts-toasts.png') });
      const fired = await notes(page);
      expect(fired.filter((n) => n.tag === once.id)).toHaveLength(1);
      expect(fired.find((n) => n.tag === once.id)?.body).toMatch(/^PFE above \d{2}\.\d{3}: now \d{2}\.\d{2}$/);
      expect(fired.find((n) => n.tag === once.id)?.title).toBe(`Price alert: ${SYMBOL}`);

      // The repeating one fires again once the price went back above it; the one-shot never does.
      await until(async () => (await notes(page)).filter((n) => n.tag === repeating.id).length >= 2, 'the repeating alert firing again', 40_000);
      expect((await notes(page)).filter((n) => n.tag === once.id)).toHaveLength(1);
      expect((await alerts(page)).find((a) => a.id === once.id)).toMatchObject({ done: true, armed: false });

      // Toasts are dismissible.
      const toast = page.locator(`[role="alert"][data-toast="${once.id}"]`);
      await toast.getByRole('button').click();
      expect(await toast.count()).toBe(0);

      await page.reload();
      await until(async () => (await hook.connection(page)).state === 'live', 'live again');
      const saved = await alerts(page);
      expect(saved.map((a) => a.id)).toEqual([once.id, repeating.id]);
      expect(saved[0]).toMatchObject({ done: true });
      await page.locator('[data-action="alerts"]').click();
      const list = page.getByRole('list', { name: 'Alerts' });
      await expect(list.locator('li').count()).resolves.toBe(2);
      await expect(list.locator(`[data-alert="${once.id}"]`).textContent()).resolves.toMatch(/fired/);
      await page.keyboard.press('Escape');
      // The repeating alert still works after the reload.
      await until(async () => (await notes(page)).some((n) => n.tag === repeating.id), 'the repeating alert firing after the reload', 40_000);
      expect((await notes(page)).some((n) => n.tag === once.id)).toBe(false);

      // Deleting: the list empties, the row loses its bell.
      await page.locator('[data-action="alerts"]').click();
      for (const a of saved) await page.getByRole('button', { name: new RegExp(`^Delete alert ${SYMBOL} ${a.op}`) }).click();
      await until(async () => (await alerts(page)).length === 0, 'alerts deleted');
      await until(async () => (await page.locator(`[data-ticker="${SYMBOL}"] .bell`).count()) === 0, 'the bell gone from the row');
      expect(errors.unexpected()).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('asks for notification permission only when the user adds an alert', { timeout: 45_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    try {
      const { page } = await openPage(context, server.url, (p) =>
        p.addInitScript(() => {
          const asked: number[] = [];
          (window as unknown as { __asked: number[] }).__asked = asked;
          Object.defineProperty(Notification, 'permission', { get: () => 'default' });
          Notification.requestPermission = () => {
            asked.push(Date.now());
            return Promise.resolve('denied');
          };
        }),
      );
      await until(async () => (await hook.connection(page)).state === 'live', 'live connection');
      const asked = () => page.evaluate(() => (window as unknown as { __asked: number[] }).__asked.length);
      await page.waitForTimeout(500);
      expect(await asked()).toBe(0);
      await page.locator('[data-action="alerts"]').click();
      await addAlert(page, 'AAPL', 'above', false);
      expect(await asked()).toBe(1);
    } finally {
      await context.close();
    }
  });
});
