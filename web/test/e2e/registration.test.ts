// An instrument registered at run time (POST /ingest/instruments) reaches an open dashboard without a
// reload: focusing the search fetches the catalogue again, the new ticker is offered, added to the
// watchlist, and shows the price a producer then posts for it. Real Chromium against the built server.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerProcess } from '@tickwire/server/test/harness';
import { hook, launchBrowser, openPage, resultsPath, startDashboardServer, until } from './env.js';

const TOKEN = 'ingest-secret-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'tickwire-e2e-registration-'));
const FILE = join(dir, 'instruments.json');
writeFileSync(
  FILE,
  JSON.stringify({
    instruments: [
      { id: 0, ticker: 'SIMCO', name: 'Simulated Co', assetClass: 'equity', priceScale: 2, sizeScale: 0, price: '50.00' },
      { id: 1, ticker: 'ACME', name: 'Acme Corp', assetClass: 'equity', priceScale: 2, sizeScale: 0, source: 'ingest' },
    ],
  }),
);

let server: ServerProcess;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([startDashboardServer(['--instruments', FILE, '--ingest-token', TOKEN]), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  if (server) expect(await server.stop()).toBe(0);
});

const post = (path: string, body: string) => fetch(`${server.url}${path}`, { method: 'POST', body, headers: { authorization: `Bearer ${TOKEN}` } });

describe('instruments registered at run time', () => {
  it('show up in the open dashboard’s search, join the watchlist and take live trades', { timeout: 60_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    try {
      const { page, errors } = await openPage(context, server.url);
      await until(async () => (await hook.connection(page)).state === 'live', 'live connection');
      const search = page.getByRole('combobox', { name: 'Add symbol' });
      await search.fill('NEWC');
      expect(await page.locator('#search-NEWCO').count()).toBe(0);
      await search.fill('');
      await search.blur();

      const registered = await post(
        '/ingest/instruments',
        JSON.stringify({ ticker: 'NEWCO', name: 'New Co', assetClass: 'equity', priceScale: 2, sizeScale: 0 }),
      );
      expect(registered.status).toBe(201);

      // Opening the search fetches the catalogue again (at most every few seconds: the first look above
      // may have just fetched it), so the new ticker is offered after reopening it, without a reload.
      await until(async () => {
        await search.blur();
        await search.focus();
        await search.fill('NEWC');
        return (await page.locator('#search-NEWCO').count()) === 1;
      }, 'NEWCO offered by the search');
      await search.press('Enter');
      const row = page.locator('[data-ticker="NEWCO"]');
      await until(async () => (await row.count()) === 1, 'NEWCO row in the watchlist');

      const posted = await post('/ingest', `{"ticker":"NEWCO","price":"12.34","size":"5","id":"e2e-1"}\n`);
      expect(posted.status).toBe(200);
      await until(async () => ((await row.locator('[data-field="last"]').textContent()) ?? '').includes('12.34'), 'NEWCO last price 12.34');
      await page.screenshot({ path: resultsPath('registration-new-symbol.png') });
      expect(errors.unexpected()).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
