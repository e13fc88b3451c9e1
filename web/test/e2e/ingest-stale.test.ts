// An instrument from the --instruments file that producers write ("source": "ingest") in the dashboard,
// next to simulated ones on the same server: the search offers it, it joins the watchlist and shows the
// prices POSTed to /ingest; when the producer goes quiet, the row takes the dashboard's existing stale
// state with its reason (no trades while the server still beats), and the next trade makes it fresh.
// The simulated rows keep trading beside it and stay fresh: the client judges each symbol by its own
// rhythm (client/src/freshness.ts TradeRhythm) as well as the feed as a whole. Real Chromium against the
// built server.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerProcess } from '@tickwire/server/test/harness';
import { hook, lastPrices, launchBrowser, openPage, resultsPath, startDashboardServer, until } from './env.js';

const TOKEN = 'ingest-secret-0123456789';
const FILE = join(mkdtempSync(join(tmpdir(), 'tickwire-e2e-ingest-')), 'instruments.json');
writeFileSync(
  FILE,
  JSON.stringify({
    instruments: [
      { id: 0, ticker: 'SIMCO', name: 'Simulated Co', assetClass: 'equity', priceScale: 2, sizeScale: 0, price: '50.00' },
      { id: 1, ticker: 'SIMB', name: 'Simulated B', assetClass: 'equity', priceScale: 2, sizeScale: 0, price: '20.00' },
      { id: 2, ticker: 'ACME', name: 'Acme Corp', assetClass: 'equity', priceScale: 2, sizeScale: 0, source: 'ingest' },
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

async function postTrade(price: string, id: string): Promise<void> {
  const r = await fetch(`${server.url}/ingest`, {
    method: 'POST',
    body: `${JSON.stringify({ ticker: 'ACME', price, size: '10', id })}\n`,
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  expect([r.status, await r.json()]).toEqual([200, { accepted: 1, rejected: 0, reasons: {}, errors: [] }]);
}

describe('an ingested instrument in the dashboard', () => {
  it(
    'is found by the search, shows its posted price in the watchlist, and is marked stale with the reason when its producer goes quiet',
    { timeout: 60_000 },
    async () => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
      try {
        const { page, errors } = await openPage(context, server.url);
        await until(async () => (await hook.connection(page)).state === 'live', 'live connection');
        const search = page.getByRole('combobox', { name: 'Add symbol' });
        await search.focus();
        await search.fill('ACM');
        const option = page.locator('#search-ACME');
        await until(async () => (await option.count()) === 1, 'ACME offered by the search');
        expect(await option.textContent()).toContain('Acme Corp');
        await search.press('Enter');
        const row = page.locator('[data-ticker="ACME"]');
        await until(async () => (await row.count()) === 1, 'ACME row in the watchlist');
        // A first visit's watchlist is filled from the catalogue: the simulated rows stay beside ACME.
        expect(Object.keys(await lastPrices(page)).sort()).toEqual(['ACME', 'SIMB', 'SIMCO']);

        // A producer at a steady rhythm: 25 trades 100 ms apart, so the dashboard learns how it trades.
        for (let i = 0; i < 25; i++) {
          await postTrade((12 + i / 100).toFixed(2), `e2e-${i}`);
          await new Promise((r) => setTimeout(r, 100));
        }
        const last = row.locator('[data-field="last"]');
        await until(async () => ((await last.textContent()) ?? '').includes('12.24'), 'ACME last price 12.24');
        expect(await row.getAttribute('data-stale')).toBeNull();

        // The producer goes quiet; heartbeats keep coming, so the reason is "no trades", not "no data".
        await until(async () => (await row.getAttribute('data-stale')) === 'feed', 'ACME row marked stale', 20_000);
        const badge = row.locator('.stale-badge');
        expect(await badge.textContent()).toMatch(/^stale \d+s$/);
        expect(await badge.getAttribute('title')).toMatch(/^feed stalled: no trades for \d+ s \(server connected\)$/);
        const health = await hook.health(page);
        expect(health.stale.ACME).toMatch(/^no trades for \d+ s$/);
        // The rest of the feed trades on: no feed-wide stall, the simulated rows fresh.
        expect(health.feedStalledSec).toBeNull();
        expect(health.stale.SIMCO).toBeUndefined();
        expect(await page.locator('[data-ticker="SIMCO"]').getAttribute('data-stale')).toBeNull();
        // The price stays on screen, marked rather than blanked.
        expect(await last.textContent()).toContain('12.24');
        await page.screenshot({ path: resultsPath('ingest-stale.png') });

        // The next trade makes the row fresh again.
        await postTrade('12.30', 'e2e-back');
        await until(async () => (await row.getAttribute('data-stale')) === null && ((await last.textContent()) ?? '').includes('12.30'), 'ACME fresh at 12.30');
        expect(errors.unexpected()).toEqual([]);
      } finally {
        await context.close();
      }
    },
  );
});
