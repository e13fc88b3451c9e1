// End to end: the dashboard falls back to SSE when WebSocket is unavailable, whether the server has no
// /ws endpoint (--transports sse) or a WebSocket opens but never speaks (Playwright routeWebSocket),
// keeps updating over SSE, and can be forced onto SSE with ?transport=sse; with every transport blocked it
// says so (and what it tried) instead of "Connecting" forever, and Retry now connects at once.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerProcess } from '@tickwire/server/test/harness';
import { connectionChanges, hook, lastPrices, launchBrowser, openPage, recordConnectionChanges, resultsPath, startDashboardServer, until } from './env.js';

let sseOnly: ServerProcess;
let both: ServerProcess;
let browser: Browser;

beforeAll(async () => {
  [sseOnly, both, browser] = await Promise.all([startDashboardServer(['--transports', 'sse']), startDashboardServer(), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  const codes = await Promise.all([sseOnly?.stop(), both?.stop()]);
  expect(codes.filter((c) => c !== undefined)).toEqual(codes.map(() => 0));
});

async function expectLiveUpdatesOverSse(page: Page, state: 'fallback' | 'live'): Promise<void> {
  const status = await hook.connection(page);
  expect(status).toMatchObject({ state, transport: 'sse' });
  await expect(page.locator('footer [data-transport]').textContent()).resolves.toBe('SSE');
  await expect(page.locator('footer [data-state]').getAttribute('data-state')).resolves.toBe(state);
  await until(async () => (await page.locator('[data-ticker][data-status="live"]').count()) >= 8, 'rows live over SSE');
  const before = await lastPrices(page);
  await until(async () => {
    const now = await lastPrices(page);
    return Object.keys(now).filter((t) => now[t] !== before[t]).length >= 3;
  }, 'prices to change over SSE');
  const charts = await until(async () => {
    const c = await hook.charts(page);
    return c[0] !== undefined && c[0].bars > 0 ? c : null;
  }, 'chart bars over SSE');
  expect(charts[0]).toMatchObject({ strictlyIncreasing: true, matchesStore: true });
}

describe('transport fallback', () => {
  it('falls back to SSE within a few seconds when the server has no WebSocket endpoint', { timeout: 40_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    try {
      const { page, errors } = await openPage(context, sseOnly.url, recordConnectionChanges);
      await until(async () => (await hook.connection(page)).state === 'fallback', 'fallback to SSE', 8_000);
      // Timed on the page's clock, from its navigation start to the moment it was live over SSE.
      const changes = await connectionChanges(page);
      const fallbackAt = changes.find((c) => c.state === 'fallback')!.at;
      console.log(`fallback to SSE ${Math.round(fallbackAt)} ms after navigation start: ${JSON.stringify(changes)}`);
      expect(changes.find((c) => c.state !== 'idle')).toMatchObject({ state: 'connecting', transport: 'ws' });
      expect(fallbackAt).toBeLessThan(6_000);
      await expectLiveUpdatesOverSse(page, 'fallback');
      // Subscription changes travel over POST /sse/control on the same stream.
      await page.locator('input[aria-label="Add symbol"]').fill('NFLX');
      await page.keyboard.press('Enter');
      await until(async () => (await page.locator('[data-ticker="NFLX"][data-status="live"]').count()) === 1, 'NFLX live over SSE');
      const seq = (await hook.symbols(page)).NFLX!.seq;
      await until(async () => (await hook.symbols(page)).NFLX!.seq > seq, 'NFLX updates over SSE');
      await page.screenshot({ path: resultsPath('dashboard-sse-fallback.png') });
      // The SSE stream stays up: no reconnect until 10 s after navigation start (page clock), and ticks keep
      // coming to the end.
      await page.waitForFunction(() => performance.now() >= 10_000, undefined, { polling: 100, timeout: 15_000 });
      const seqBefore = (await hook.symbols(page)).AAPL!.seq;
      await page.waitForTimeout(1_000);
      expect((await hook.symbols(page)).AAPL!.seq).toBeGreaterThan(seqBefore);
      const finalStatus = await hook.connection(page);
      expect(finalStatus, `SSE stream was not kept up: ${JSON.stringify(finalStatus)}`).toMatchObject({ attempts: 2, reconnects: 0 });
      expect(errors.unexpected()).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('falls back to SSE when a WebSocket opens but delivers nothing (no Hello within 3 s)', { timeout: 30_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    try {
      // The WebSocket "connects" to Playwright's route, which never answers and never closes.
      await context.routeWebSocket(/\/ws$/, () => {});
      const { page, errors } = await openPage(context, both.url, recordConnectionChanges);
      await until(async () => (await hook.connection(page)).state === 'fallback', 'fallback after the silent WebSocket', 10_000);
      expect((await hook.connection(page)).lastError).toMatch(/no Hello/);
      // On the page's clock: the WebSocket attempt was given its full 3 s for a Hello (nothing in between),
      // and SSE took over soon after.
      const changes = await connectionChanges(page);
      console.log(`silent WebSocket: ${JSON.stringify(changes)}`);
      const wsAt = changes.find((c) => c.state === 'connecting' && c.transport === 'ws')!.at;
      const fallbackAt = changes.find((c) => c.state === 'fallback')!.at;
      expect(changes.filter((c) => c.at < fallbackAt && c.state !== 'idle' && c.state !== 'connecting')).toEqual([]);
      expect(fallbackAt - wsAt).toBeGreaterThanOrEqual(2_900); // 3 s, less one 10 ms sample at each end and slack
      expect(fallbackAt - wsAt).toBeLessThan(6_000);
      await expectLiveUpdatesOverSse(page, 'fallback');
      expect(errors.unexpected()).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('uses SSE only when forced with ?transport=sse (no WebSocket is opened)', { timeout: 30_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    try {
      let sockets = 0;
      const { page, errors } = await openPage(context, `${both.url}/?transport=sse`, (p) => p.on('websocket', () => sockets++));
      await until(async () => (await hook.connection(page)).state === 'live', 'live over SSE');
      await expectLiveUpdatesOverSse(page, 'live');
      await expect(page.locator('select[aria-label="Transport"]').isDisabled()).resolves.toBe(true);
      expect(sockets).toBe(0);
      expect(errors.all).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('the transport control switches a live page from WebSocket to SSE and back', { timeout: 30_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    try {
      const { page, errors } = await openPage(context, both.url);
      await until(async () => (await hook.connection(page)).state === 'live', 'live over WebSocket');
      expect((await hook.connection(page)).transport).toBe('ws');
      await until(async () => (await page.locator('[data-ticker][data-status="live"]').count()) >= 8, 'rows live');
      const snapshotsBefore = (await hook.stats(page)).snapshots;
      await page.locator('select[aria-label="Transport"]').selectOption('sse');
      await until(async () => {
        const s = await hook.connection(page);
        return s.state === 'live' && s.transport === 'sse';
      }, 'live over SSE');
      await expectLiveUpdatesOverSse(page, 'live');
      // Same server, same feed epoch: the new stream resumed from the cursor (missed ticks replayed),
      // so no symbol needed a snapshot.
      expect((await hook.stats(page)).snapshots).toBe(snapshotsBefore);
      await page.locator('select[aria-label="Transport"]').selectOption('auto');
      await until(async () => {
        const s = await hook.connection(page);
        return s.state === 'live' && s.transport === 'ws';
      }, 'back on WebSocket');
      const charts = await hook.charts(page);
      expect(charts[0]).toMatchObject({ strictlyIncreasing: true, matchesStore: true });
      const stats = await hook.stats(page);
      expect(stats.snapshots).toBe(snapshotsBefore);
      expect(stats.gaps).toBe(0);
      expect(stats.duplicates).toBe(0);
      expect(errors.all).toEqual([]);
    } finally {
      await context.close();
    }
  });
  it(
    'with every transport blocked it says it cannot connect and what it tried; Retry now connects at once when the way is clear',
    { timeout: 60_000 },
    async () => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
      try {
        let blocked = true;
        const block = async (page: Page): Promise<void> => {
          await page.routeWebSocket(/\/ws(\?|$)/, (ws) => (blocked ? ws.close({ code: 1006 }) : ws.connectToServer()));
          await page.route(/\/(sse|stream|poll)(\/|\?|$)/, (route) => (blocked ? route.abort('connectionrefused') : route.continue()));
        };
        const { page, errors } = await openPage(context, both.url, block);
        const state = page.locator('footer [data-state]');
        await until(async () => (await state.textContent())?.includes('Cannot connect') === true, '"Cannot connect" in the status bar', 30_000);
        const issue = await page.locator('footer .issue').textContent();
        expect(issue).toMatch(/tried WebSocket, SSE, Long poll/);
        await expect(page.locator('footer .issue').getAttribute('role')).resolves.toBe('alert');
        await page.screenshot({ path: resultsPath('dashboard-cannot-connect.png') });

        // Wait for a moment when the next automatic attempt is well ahead, so only the button can explain a prompt connect.
        await until(
          async () => {
            const s = await hook.connection(page);
            return s.retryAt !== null && s.retryAt - Date.now() > 2_000;
          },
          'a retry more than 2 s ahead',
          30_000,
        );
        blocked = false;
        const clickedAt = Date.now();
        await page.locator('footer button[data-action="retry"]').click();
        await until(async () => ['live', 'fallback'].includes((await hook.connection(page)).state), 'connected after Retry now', 5_000);
        expect(Date.now() - clickedAt).toBeLessThan(2_000);
        await expect(page.locator('footer button[data-action="retry"]').count()).resolves.toBe(0);
        await until(async () => (await page.locator('[data-ticker][data-status="live"]').count()) >= 8, 'rows live after the retry');
        expect(errors.unexpected()).toEqual([]);
      } finally {
        await context.close();
      }
    },
  );
});
