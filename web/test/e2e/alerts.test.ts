// Price alerts in real Chromium: created from the watchlist's alerts menu with the keyboard above and below
// the price of an instrument whose trades the test itself POSTs to /ingest (so the price crosses each level
// exactly when the test says, whatever the simulated market does on the day it runs), each fires an in-page
// toast (role=alert, dismissible) and — notifications granted in the browser context — a browser
// Notification (counted by a wrapper installed before the page loads); the one-shot alert never fires
// again, the repeating one fires again after the price crossed back; the list and its states survive a
// reload. Screenshots in test-results/.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerProcess } from '@tickwire/server/test/harness';
import { hook, launchBrowser, openPage, resultsPath, startDashboardServer, until } from './env.js';

const TOKEN = 'ingest-secret-alerts-0123456789';
/** The instrument the test trades: ingested, so its price moves only when the test posts a trade. */
const SYMBOL = 'ACME';
const FILE = join(mkdtempSync(join(tmpdir(), 'tickwire-e2e-alerts-')), 'instruments.json');
writeFileSync(
  FILE,
  JSON.stringify({
    instruments: [
      { id: 0, ticker: 'SIMCO', name: 'Simulated Co', assetClass: 'equity', priceScale: 2, sizeScale: 0, price: '50.00' },
      { id: 1, ticker: SYMBOL, name: 'Acme Corp', assetClass: 'equity', priceScale: 2, sizeScale: 0, source: 'ingest' },
    ],
  }),
);

let server: ServerProcess;
let browser: Browser;
let tradeId = 0;

beforeAll(async () => {
  [server, browser] = await Promise.all([startDashboardServer(['--instruments', FILE, '--ingest-token', TOKEN]), launchBrowser()]);
  await trade('20.00');
});

/** One ACME trade at `price`, as a producer would send it. */
async function trade(price: string): Promise<void> {
  const r = await fetch(`${server.url}/ingest`, {
    method: 'POST',
    body: `${JSON.stringify({ ticker: SYMBOL, price, size: '10', id: `alerts-${++tradeId}` })}\n`,
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  expect([r.status, ((await r.json()) as { accepted: number }).accepted]).toEqual([200, 1]);
}

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

/** Fills the alerts form with the keyboard (symbol, condition, repeat, the price typed over the prefilled last) and submits. */
async function addAlert(page: Page, symbol: string, op: 'above' | 'below', repeat: boolean, level: string): Promise<void> {
  const menu = page.getByRole('group', { name: 'Price alerts' });
  await menu.getByLabel('Symbol').selectOption(symbol);
  await menu.getByLabel('Condition').selectOption(op);
  const price = menu.getByLabel('Price', { exact: true });
  await until(async () => /\d/.test(await price.inputValue()), 'the last price prefilled');
  const box = menu.getByLabel('Repeat after the price crosses back');
  if ((await box.isChecked()) !== repeat) await box.press('Space');
  await price.fill(level);
  await price.press('Enter');
  await until(async () => (await alerts(page)).some((a) => a.symbol === symbol && a.op === op && a.repeat === repeat), `the ${op} alert saved`);
}

/** Trades at `price` until the repeating alert is armed again (it re-arms once the price crossed back, after a cool-down). */
async function rearm(page: Page, id: string, price: string): Promise<void> {
  await until(
    async () => {
      await trade(price);
      return (await alerts(page)).find((a) => a.id === id)?.armed === true;
    },
    'the repeating alert armed again',
    20_000,
  );
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
      await addAlert(page, SYMBOL, 'above', false, '20.05');
      await addAlert(page, SYMBOL, 'below', true, '19.95');
      const created = await alerts(page);
      expect(created).toHaveLength(2);
      const [once, repeating] = created as [(typeof created)[0], (typeof created)[0]];
      expect(once).toMatchObject({ symbol: SYMBOL, op: 'above', repeat: false });
      expect(repeating).toMatchObject({ symbol: SYMBOL, op: 'below', repeat: true });
      expect(await page.locator(`[data-ticker="${SYMBOL}"] .bell`).count()).toBe(1);
      await page.screenshot({ path: resultsPath('alerts-menu.png') });
      await page.keyboard.press('Escape');

      // Nothing fires while the price stays between the levels.
      await trade('20.01');
      await page.waitForTimeout(500);
      expect(await notes(page)).toEqual([]);
      // Up through 20.05, then down through 19.95: each fires, with a toast on the page and a notification.
      await trade('20.10');
      await until(async () => (await page.locator(`[role="alert"][data-toast="${once.id}"]`).count()) === 1, 'the one-shot toast');
      await trade('19.90');
      await until(async () => (await page.locator(`[role="alert"][data-toast="${repeating.id}"]`).count()) >= 1, 'the repeating toast');
      await page.screenshot({ path: resultsPath('alerts-toasts.png') });
      const fired = await notes(page);
      expect(fired.filter((n) => n.tag === once.id)).toHaveLength(1);
      expect(fired.find((n) => n.tag === once.id)?.body).toBe(`${SYMBOL} above 20.05: now 20.10`);
      expect(fired.find((n) => n.tag === repeating.id)?.body).toBe(`${SYMBOL} below 19.95: now 19.90`);
      expect(fired.find((n) => n.tag === once.id)?.title).toBe(`Price alert: ${SYMBOL}`);

      // The repeating one fires again once the price went back above it and down again; the one-shot,
      // crossed again on the way, never does.
      await rearm(page, repeating.id, '20.20');
      await trade('19.80');
      await until(async () => (await notes(page)).filter((n) => n.tag === repeating.id).length === 2, 'the repeating alert firing again');
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
      await rearm(page, repeating.id, '20.00');
      await trade('19.90');
      await until(async () => (await notes(page)).some((n) => n.tag === repeating.id), 'the repeating alert firing after the reload');
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
      await addAlert(page, 'SIMCO', 'above', false, '99.00');
      expect(await asked()).toBe(1);
    } finally {
      await context.close();
    }
  });
});
