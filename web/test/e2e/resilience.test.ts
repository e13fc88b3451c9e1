// End to end against a server started with --test-hooks: Updates frames of one symbol lost between the
// server's fan-out and the socket are noticed within about a heartbeat and repaired with a fresh
// snapshot, without a reload (the row shows the ↻ mark, the panel counts the resync, the state equals
// what a separate probe client gets); a stalled feed (heartbeats, no trades) shows "Feed stalled" and
// stale rows and charts, and clears when trades resume. Screenshots: test-results/dashboard-stale.png,
// dashboard-resynced-row.png.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlText } from '@tickwire/protocol/control';
import { FrameType } from '@tickwire/protocol/messages';
import { connectWs, httpJson, type ServerProcess } from '@tickwire/server/test/harness';
import { hook, launchBrowser, openPage, pageNow, pageTimeWhen, resultsPath, startDashboardServer, until } from './env.js';

let server: ServerProcess;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([startDashboardServer(['--test-hooks']), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  if (server) expect(await server.stop()).toBe(0);
});

async function post(path: string): Promise<void> {
  expect((await httpJson(server.url, path, { method: 'POST' })).status).toBe(200);
}

describe('resilience', () => {
  it('repairs lost frames within about a heartbeat, and tells a stalled feed from a quiet market', { timeout: 60_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    try {
      const { page, errors } = await openPage(context, server.url);
      await until(async () => (await hook.connection(page)).state === 'live', 'live connection');
      await until(async () => (await page.locator('[data-ticker][data-status="live"]').count()) >= 8, 'rows live');
      await page.waitForTimeout(1_000);
      expect(await hook.stats(page)).toMatchObject({ gaps: 0, resyncs: 0 });
      const seqBefore = (await hook.symbols(page)).AAPL!.seq;

      // (a) Three Updates frames of AAPL are lost on the way out: the next frame (or heartbeat) reveals
      // the hole, and a subscribe of AAPL alone brings a fresh snapshot.
      // Timed on the page's clock (checked in the page every 10 ms), from just before the drop was asked for:
      // an upper bound on the true time, free of Node-side polling and round trips.
      const droppedAt = await pageNow(page);
      await post('/__test/drop?symbol=AAPL&frames=3');
      const noticedMs = (await pageTimeWhen(page, () => window.__tickwire!.stats().gaps >= 1 && performance.now(), 'the gap to be noticed', 3_000)) - droppedAt;
      const repairedMs =
        (await pageTimeWhen(
          page,
          () => document.querySelector('[data-ticker="AAPL"][data-mark="resynced"]') !== null && performance.now(),
          'the resync mark on AAPL',
          3_000,
        )) - droppedAt;
      console.log(`gap noticed after ${noticedMs} ms, AAPL repaired and marked after ${repairedMs} ms`);
      expect(repairedMs).toBeLessThan(2_500); // about one heartbeat (1 s), plus the snapshot's round trip
      const aapl = (await hook.symbols(page)).AAPL!;
      expect(aapl).toMatchObject({ ready: true, mark: 'resynced' });
      expect(aapl.seq).toBeGreaterThan(seqBefore);
      await page.locator('[data-ticker="AAPL"]').screenshot({ path: resultsPath('dashboard-resynced-row.png') });
      expect(await hook.connection(page)).toMatchObject({ state: 'live', reconnects: 0 });
      // Only AAPL was touched; the panel counts the resync. (Usually one gap; two when a heartbeat falls
      // between the lost frames and the snapshot lands before the last of them: each is repaired.)
      expect(await page.locator('[data-ticker][data-mark]').count()).toBe(1);
      const stats = await hook.stats(page);
      expect(stats.gaps).toBeLessThanOrEqual(2);
      expect(stats).toMatchObject({ resyncs: stats.gaps, conflations: 0 });
      await expect(page.locator('footer [data-metric="resyncs"]').textContent()).resolves.toBe(String(stats.resyncs));
      // AAPL keeps ticking in sequence afterwards; the mark goes away after a few seconds.
      await until(async () => (await hook.symbols(page)).AAPL!.seq > aapl.seq, 'AAPL updates after the repair');
      await until(async () => (await page.locator('[data-ticker="AAPL"][data-mark]').count()) === 0, 'the mark to fade', 6_000);
      expect((await hook.stats(page)).gaps).toBe(stats.gaps);

      // (b) The feed stalls: heartbeats keep coming, trades stop. After 5 s without trades the status
      // bar says so and every row and chart shows its price as stale ("feed" reason).
      // The stall starts somewhere between the page-clock times before and after the request; the banner's
      // page-clock time must be in bounds from both ends.
      const beforeStall = await pageNow(page);
      await post('/__test/feed/stall');
      const afterStall = await pageNow(page);
      const shownAt = await pageTimeWhen(
        page,
        () => document.querySelector('footer [data-feed="stalled"]') !== null && performance.now(),
        'the feed-stalled banner',
        9_000,
      );
      console.log(`feed stall shown ${Math.round(shownAt - afterStall)}–${Math.round(shownAt - beforeStall)} ms after the stall`);
      expect(shownAt - afterStall).toBeGreaterThanOrEqual(4_500);
      expect(shownAt - beforeStall).toBeLessThan(7_500);
      expect(await hook.connection(page)).toMatchObject({ state: 'live', reconnects: 0 });
      const rows = await page.locator('[data-ticker]').count();
      await until(async () => (await page.locator('[data-ticker][data-stale="feed"]').count()) === rows, 'every row stale');
      expect(await page.locator('[data-panel="0"] [data-stale]').count()).toBe(1);
      expect((await hook.health(page)).feedStalledSec).toBeGreaterThanOrEqual(5);

      // Frozen at the source, the page holds exactly what a new client's snapshot says.
      const probe = await connectWs(server.url);
      try {
        probe.send(controlText('subscribe', ['AAPL', 'MSFT', 'NVDA'], { id: 1, history: 0 }));
        await probe.waitFor(FrameType.Ack);
        const mine = await hook.symbols(page);
        for (const { frame } of probe.of(FrameType.Snapshot)) {
          const s = mine[frame.ticker]!;
          expect({ ticker: frame.ticker, seq: s.seq, last: s.last, bid: s.bid, ask: s.ask, volume: s.volume }).toEqual({
            ticker: frame.ticker,
            seq: frame.seq,
            last: frame.last,
            bid: frame.bid,
            ask: frame.ask,
            volume: frame.volume,
          });
        }
        expect(probe.of(FrameType.Snapshot)).toHaveLength(3);
      } finally {
        probe.close();
      }
      await page.waitForTimeout(1_200); // let the counters tick once more for the picture
      await page.screenshot({ path: resultsPath('dashboard-stale.png') });

      await post('/__test/feed/resume');
      await until(
        async () =>
          (await page.locator('footer [data-feed]').count()) === 0 &&
          (await page.locator('[data-ticker][data-stale]').count()) === 0 &&
          (await page.locator('[data-panel] [data-stale]').count()) === 0,
        'the stalled state to clear',
        5_000,
      );
      expect(await hook.connection(page)).toMatchObject({ state: 'live', reconnects: 0 });
      expect((await hook.stats(page)).gaps).toBe(stats.gaps);
      expect(errors.all).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
