// End to end: the server is restarted (new process, same port) while the page is open. The page must
// reconnect by itself, resubscribe, resume updates, and its charts must continue without duplicated or
// missing bars. Without a state file the feed restarts (new epoch): fresh snapshots merge into the bars,
// which from the new server's first snapshot bar on equal what a freshly loaded page shows. With
// --state-file the same epoch continues: the page resumes from its cursor, needing no snapshot at all.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerProcess } from '@tickwire/server/test/harness';
import { freeFixedPort, hook, lastPrices, launchBrowser, openPage, resultsPath, startDashboardServer, until } from './env.js';

let server: ServerProcess | undefined;
let browser: Browser;
const stateDir = mkdtempSync(join(tmpdir(), 'tickwire-web-state-'));

beforeAll(async () => {
  // A fixed port below the ephemeral range, so the restarted server can bind it again at once.
  [server, browser] = await Promise.all([freeFixedPort().then((port) => startDashboardServer([], port)), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  if (server) expect(await server.stop()).toBe(0);
  rmSync(stateDir, { recursive: true, force: true });
});

describe('server restart', () => {
  it('reconnects on its own, resumes updates and keeps charts free of duplicated or missing bars', { timeout: 60_000 }, async () => {
    const port = server!.port;
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    try {
      const { page, errors } = await openPage(context, server!.url);
      await until(async () => (await hook.connection(page)).state === 'live', 'live connection');
      // Two charts: 1 s bars (many, fast) and 5 s bars.
      await page.locator('[data-layout="2"]').click();
      await page.locator('[data-panel="0"] button[data-interval="1"]').click();
      await page.locator('[data-panel="1"] button[data-interval="5"]').click();
      await until(async () => {
        const c = await hook.charts(page);
        return c.length === 2 && c[0]?.interval === 1 && c[1]?.interval === 5 && c.every((x) => x.bars > 20);
      }, 'two charts with bars');
      await page.waitForTimeout(1500);
      const before = await hook.charts(page);
      const epochBefore = Object.values(await hook.symbols(page))[0]!.epoch;

      // Kill the server (graceful: sockets closed with 1001) and leave the page alone for a while.
      expect(await server!.stop()).toBe(0);
      server = undefined;
      await until(async () => (await hook.connection(page)).state === 'reconnecting', 'reconnecting state', 5_000);
      await page.waitForTimeout(2_000);
      expect((await hook.connection(page)).state).toBe('reconnecting');
      await page.screenshot({ path: resultsPath('dashboard-reconnecting.png') });

      server = await startDashboardServer([], port);
      const status = await until(
        async () => {
          const s = await hook.connection(page);
          return (s.state === 'live' || s.state === 'fallback') && s.reconnects === 1 ? s : null;
        },
        'reconnected',
        20_000,
      );
      expect(status.reconnects).toBe(1);

      // Every symbol resubscribed: fresh snapshots of the new feed epoch, then live updates again.
      await until(async () => {
        const symbols = Object.values(await hook.symbols(page));
        return symbols.length >= 8 && symbols.every((s) => s.ready && s.epoch !== epochBefore);
      }, 'fresh snapshots of the new epoch');
      const prices = await lastPrices(page);
      await until(async () => {
        const now = await lastPrices(page);
        return Object.keys(now).filter((t) => now[t] !== prices[t]).length >= 3;
      }, 'updates after the restart');

      // Charts: strictly increasing times, identical to the store, history before the restart kept.
      await page.waitForTimeout(1500);
      const after = await hook.charts(page);
      for (const [i, chart] of after.entries()) {
        expect(chart).toMatchObject({ strictlyIncreasing: true, matchesStore: true, symbol: before[i]!.symbol, interval: before[i]!.interval });
        expect(chart.firstTime!).toBeLessThanOrEqual(before[i]!.firstTime!);
        // The restart takes a few seconds: a 1 s chart has moved on; a 5 s chart may still be in the same bar.
        if (chart.interval === 1) expect(chart.lastTime!).toBeGreaterThan(before[i]!.lastTime!);
        else expect(chart.lastTime!).toBeGreaterThanOrEqual(before[i]!.lastTime!);
      }

      // From the new server's first snapshot bar on, the reconnected page holds exactly the bars a
      // fresh page gets (compared up to a few seconds before "now", where both are complete).
      const fresh = await openPage(context, server.url);
      await until(async () => (await hook.charts(fresh.page)).length === 2, 'fresh page charts');
      await until(async () => (await hook.charts(fresh.page)).every((c) => c.bars > 0), 'fresh page bars');
      for (const panel of [0, 1]) {
        const mine = await hook.barTimes(page, panel);
        const theirs = await hook.barTimes(fresh.page, panel);
        const interval = after[panel]!.interval;
        const from = theirs[0]!;
        const to = Math.min(mine[mine.length - 1]!, theirs[theirs.length - 1]!) - 2 * interval;
        const slice = (times: number[]) => times.filter((t) => t >= from && t <= to);
        expect(slice(mine).length).toBeGreaterThan(10);
        expect(slice(mine)).toEqual(slice(theirs));
      }
      expect(errors.unexpected()).toEqual([]);
      expect(fresh.errors.all).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('with --state-file the restarted server continues the epoch and the page resumes without snapshots', { timeout: 60_000 }, async () => {
    const stateFile = join(stateDir, 'state.json');
    const port = server!.port;
    expect(await server!.stop()).toBe(0);
    server = await startDashboardServer(['--state-file', stateFile], port);
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    try {
      const { page, errors } = await openPage(context, server.url);
      await page.locator('[data-panel="0"] button[data-interval="1"]').click();
      await until(async () => (await page.locator('[data-ticker][data-status="live"]').count()) >= 8, 'rows live');
      await page.waitForTimeout(1_000);
      const before = await hook.stats(page);
      const epochBefore = Object.values(await hook.symbols(page))[0]!.epoch;

      expect(await server.stop()).toBe(0); // graceful: saves the state file
      server = undefined;
      await until(async () => (await hook.connection(page)).state === 'reconnecting', 'reconnecting state', 5_000);
      server = await startDashboardServer(['--state-file', stateFile], port);
      await until(
        async () => {
          const s = await hook.connection(page);
          return (s.state === 'live' || s.state === 'fallback') && s.reconnects === 1;
        },
        'reconnected',
        20_000,
      );
      const prices = await lastPrices(page);
      await until(async () => {
        const now = await lastPrices(page);
        return Object.keys(now).filter((t) => now[t] !== prices[t]).length >= 3;
      }, 'updates after the restart');
      await page.waitForTimeout(1_000);

      const symbols = Object.values(await hook.symbols(page));
      expect(symbols.every((s) => s.ready && s.epoch === epochBefore)).toBe(true);
      const after = await hook.stats(page);
      // Every symbol resumed from its cursor: missed ticks replayed, nothing re-snapshotted, no holes.
      expect(after.snapshots).toBe(before.snapshots);
      expect(after.gaps).toBe(0);
      expect(after.duplicates).toBe(0);
      const [chart] = await hook.charts(page);
      expect(chart).toMatchObject({ strictlyIncreasing: true, matchesStore: true, interval: 1 });
      expect(errors.unexpected()).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
