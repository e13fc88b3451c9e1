// End to end: examples/minimal-page (one HTML file on the served client bundle, no framework) in
// Chromium, served by the built server with --web-dir examples/minimal-page (its own CSP applies). With
// WebSocket made to fail in the page (an init script replaces it by one that never opens), the client
// falls back to SSE on its own and the prices keep changing; without the block it is live over WebSocket.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, type ServerProcess } from '@tickwire/server/test/harness';
import { launchBrowser, openPage, resultsPath, until } from './env.js';

let server: ServerProcess;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([startServerProcess(['--web-dir', 'examples/minimal-page']), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  expect(await server?.stop()).toBe(0);
});

/** A WebSocket that fails like a blocked one: no open, an error, then a 1006 close. */
function blockWebSocket(): void {
  class Blocked extends EventTarget {
    static readonly CONNECTING = 0;
    static readonly OPEN = 1;
    static readonly CLOSING = 2;
    static readonly CLOSED = 3;
    readyState = 0;
    binaryType = 'blob';
    onopen: ((e: Event) => void) | null = null;
    onmessage: ((e: Event) => void) | null = null;
    onerror: ((e: Event) => void) | null = null;
    onclose: ((e: CloseEvent) => void) | null = null;
    constructor(readonly url: string) {
      super();
      (window as unknown as { __wsAttempts: number }).__wsAttempts = ((window as unknown as { __wsAttempts?: number }).__wsAttempts ?? 0) + 1;
      setTimeout(() => {
        this.readyState = 3;
        this.onerror?.(new Event('error'));
        this.onclose?.(new CloseEvent('close', { code: 1006, reason: '' }));
      }, 10);
    }
    send(): void {
      throw new Error('blocked');
    }
    close(): void {
      this.readyState = 3;
    }
  }
  Object.defineProperty(window, 'WebSocket', { value: Blocked, configurable: true, writable: true });
}

/** The Last column of every row, by ticker. */
function lastPrices(page: Page): Promise<Record<string, string>> {
  return page.$$eval('#prices tr', (rows) =>
    Object.fromEntries(rows.map((r) => [(r as HTMLElement).dataset.ticker, r.querySelector('[data-field=last]')?.textContent ?? ''])),
  );
}

async function expectMovingPrices(page: Page): Promise<void> {
  const first = await until(async () => {
    const p = await lastPrices(page);
    return Object.values(p).length === 4 && Object.values(p).every((v) => /^\d+(\.\d+)?$/.test(v)) ? p : null;
  }, 'a price in every row');
  expect(Object.keys(first)).toEqual(['AAPL', 'MSFT', 'EURUSD', 'BTCUSD']);
  await until(async () => {
    const now = await lastPrices(page);
    return Object.keys(now).filter((t) => now[t] !== first[t]).length >= 2;
  }, 'prices to change');
}

describe('examples/minimal-page', () => {
  it('falls back to SSE when WebSocket is blocked and keeps updating', { timeout: 40_000 }, async () => {
    const context = await browser.newContext();
    try {
      const { page, errors } = await openPage(context, server.url, (p) => p.addInitScript(blockWebSocket));
      await until(async () => (await page.locator('#transport').textContent()) === 'sse', 'the page to fall back to SSE', 15_000);
      await expect(page.locator('#status').textContent()).resolves.toBe('fallback');
      expect(await page.evaluate(() => (window as unknown as { __wsAttempts?: number }).__wsAttempts ?? 0)).toBeGreaterThan(0);
      await expectMovingPrices(page);
      await page.screenshot({ path: resultsPath('minimal-page-sse.png') });
      expect(errors.unexpected()).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('is live over WebSocket when nothing blocks it', { timeout: 30_000 }, async () => {
    const context = await browser.newContext();
    try {
      const { page, errors } = await openPage(context, server.url);
      await until(async () => (await page.locator('#status').textContent()) === 'live', 'the page to go live');
      await expect(page.locator('#transport').textContent()).resolves.toBe('ws');
      await expectMovingPrices(page);
      expect(errors.unexpected()).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
