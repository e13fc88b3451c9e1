// Shared e2e plumbing: the built server as a child process (via the server harness), real Chromium via
// playwright-core (never downloaded: a missing browser is a failure, not a skip), console-error
// capture, and small readers of the page's debug hook (window.__tickwire).
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { REPO_ROOT, freeFixedPort, startServerProcess, type ServerProcess } from '@tickwire/server/test/harness';
import type { TickwireDebug } from '../../src/lib/debug.js';

export { REPO_ROOT };
export const RESULTS_DIR = join(REPO_ROOT, 'test-results');
/** Debian's binary (no wrapper-script noise), then the wrapper; CHROMIUM_PATH, when set, is the only one tried. */
const CHROMIUM_DEFAULTS = ['/usr/lib/chromium/chromium', '/usr/bin/chromium'];
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * The one way tests launch Chromium (e2e, the browser-side golden vectors, HTML reports of the load tester
 * and the lab): headless, the flags above, the binary from CHROMIUM_PATH when set (a missing one fails, it
 * does not fall back), else Debian's. A missing browser is a failure, never a skip.
 */
export async function launchBrowser(): Promise<Browser> {
  const fromEnv = process.env.CHROMIUM_PATH;
  const candidates = fromEnv ? [fromEnv] : CHROMIUM_DEFAULTS;
  const executablePath = candidates.find((p) => existsSync(p));
  if (executablePath === undefined) {
    throw new Error(
      fromEnv
        ? `Chromium not found at CHROMIUM_PATH=${fromEnv}`
        : `Chromium not found (looked at ${candidates.join(', ')}): install it with "apt-get install -y chromium" or set CHROMIUM_PATH`,
    );
  }
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS, timeout: 20_000 });
}

export function resultsPath(name: string): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  return join(RESULTS_DIR, name);
}

/**
 * A Tuesday in the US cash session: the simulated market trades on its calendar (equity prints barely move
 * off hours and at weekends), so tests that need moving equity prices must not depend on the day they run.
 */
export const MARKET_TIME = '2026-01-06T15:00:00Z';

/** Built server serving the built dashboard; 5 minutes of simulated history so charts have bars; a weekday session. */
export function startDashboardServer(args: string[] = [], port?: number): Promise<ServerProcess> {
  return startServerProcess(['--warmup', '300', '--market-time', MARKET_TIME, ...args], { web: 'built', port });
}

/** See server/test/harness.ts: a port outside the ephemeral range, for tests that restart a server on it. */
export { freeFixedPort };

/** Browser noise that is expected when a test makes the network fail on purpose. */
const NETWORK_NOISE = [/WebSocket connection to .* failed/i, /Failed to load resource/i, /EventSource/i, /net::ERR_/i];

export interface PageErrors {
  all: string[];
  /** Errors other than the expected network-failure noise. */
  unexpected(): string[];
}

/** Opens `url` in a new page, capturing console errors; `before` runs (and is awaited) before navigation: listeners, init scripts. */
export async function openPage(context: BrowserContext, url: string, before?: (page: Page) => unknown): Promise<{ page: Page; errors: PageErrors }> {
  const page = await context.newPage();
  await before?.(page);
  const all: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') all.push(m.text());
  });
  page.on('pageerror', (e) => all.push(`pageerror: ${e.message}`));
  await page.goto(url);
  return { page, errors: { all, unexpected: () => all.filter((e) => !NETWORK_NOISE.some((re) => re.test(e))) } };
}

/** One change of the page's connection (state or transport), stamped with the page's own clock. */
export interface ConnectionChange {
  state: string;
  transport: string | null;
  /** performance.now() in the page: ms since its navigation started. */
  at: number;
}

declare global {
  interface Window {
    __connectionChanges?: ConnectionChange[];
  }
}

/**
 * Pass as openPage's `before`: from the first script of the page on, it records every change of the
 * connection state or transport with the page's performance.now() (polled in the page every 10 ms), so a
 * test can time what happened in the page — from navigation start, or between two changes — instead of
 * timing Node-side awaits that include page load and round trips. Read with `connectionChanges(page)`.
 */
export async function recordConnectionChanges(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const changes: ConnectionChange[] = [];
    window.__connectionChanges = changes;
    setInterval(() => {
      const status = window.__tickwire?.connection();
      if (status === undefined) return;
      const last = changes[changes.length - 1];
      if (last?.state !== status.state || last.transport !== status.transport)
        changes.push({ state: status.state, transport: status.transport, at: performance.now() });
    }, 10);
  });
}

export function connectionChanges(page: Page): Promise<ConnectionChange[]> {
  return page.evaluate(() => {
    if (window.__connectionChanges === undefined) throw new Error('recordConnectionChanges was not installed before navigation');
    return window.__connectionChanges;
  });
}

/** The page's clock (performance.now(): ms since its navigation started). */
export function pageNow(page: Page): Promise<number> {
  return page.evaluate(() => performance.now());
}

/**
 * Waits until `probe` — run in the page every 10 ms — returns a time, and resolves with it. The probe returns
 * `performance.now()` once its condition holds (else false): when it happened on the page's clock, free of
 * Node-side polling and round trips. It is serialized into the page (a function, not a string: the
 * dashboard's CSP forbids eval), so it must not use anything from the test's scope.
 */
export async function pageTimeWhen(page: Page, probe: () => number | false, what: string, timeoutMs = 10_000): Promise<number> {
  try {
    const handle = await page.waitForFunction(probe, undefined, { polling: 10, timeout: timeoutMs });
    return (await handle.jsonValue()) as number;
  } catch (error) {
    throw new Error(`timed out after ${timeoutMs} ms waiting in the page for ${what}: ${(error as Error).message.split('\n')[0]}`, {
      cause: error,
    });
  }
}

type Debug = TickwireDebug;

/** Readers of window.__tickwire (see web/src/lib/debug.ts). */
export const hook = {
  connection: (page: Page): Promise<ReturnType<Debug['connection']>> => page.evaluate(() => window.__tickwire!.connection()),
  stats: (page: Page): Promise<ReturnType<Debug['stats']>> => page.evaluate(() => window.__tickwire!.stats()),
  health: (page: Page): Promise<ReturnType<Debug['health']>> => page.evaluate(() => window.__tickwire!.health()),
  charts: (page: Page): Promise<ReturnType<Debug['charts']>> => page.evaluate(() => window.__tickwire!.charts()),
  barTimes: (page: Page, panel: number): Promise<number[]> => page.evaluate((p) => window.__tickwire!.barTimes(p), panel),
  symbols: (page: Page): Promise<ReturnType<Debug['symbols']>> => page.evaluate(() => window.__tickwire!.symbols()),
};

/** Polls `probe` until it returns a truthy value; throws with `what` on timeout. */
export async function until<T>(probe: () => Promise<T | null | undefined | false>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${String(last)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Texts of the watchlist's last-price cells, by ticker. */
export function lastPrices(page: Page): Promise<Record<string, string>> {
  return page.$$eval('[data-ticker]', (rows) =>
    Object.fromEntries(rows.map((r) => [(r as HTMLElement).dataset.ticker, r.querySelector('[data-field="last"]')?.textContent ?? ''])),
  );
}

/**
 * Pixels of the chart canvases in panel `index` painted in the candle colours: proves candles were
 * actually drawn, not just that a canvas exists.
 */
export function candlePixels(page: Page, index = 0): Promise<number> {
  return page.evaluate((i) => {
    const panel = document.querySelector(`[data-panel="${i}"]`);
    let count = 0;
    for (const canvas of panel?.querySelectorAll('canvas') ?? []) {
      const ctx = (canvas as HTMLCanvasElement).getContext('2d');
      if (!ctx || canvas.width === 0 || canvas.height === 0) continue;
      const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      for (let p = 0; p < data.length; p += 4) {
        const r = data[p]!,
          g = data[p + 1]!,
          b = data[p + 2]!;
        const teal = Math.abs(r - 0x26) < 24 && Math.abs(g - 0xa6) < 24 && Math.abs(b - 0x9a) < 24;
        const red = Math.abs(r - 0xef) < 24 && Math.abs(g - 0x53) < 24 && Math.abs(b - 0x50) < 24;
        if (teal || red) count++;
      }
    }
    return count;
  }, index);
}
