// Failure behaviour of the scale-out path with real processes: SIGHUP to the feed process and a gateway
// (Node's default would kill them; both keep running and their clients see no hole), NATS restarted
// mid-stream (gateways keep their clients, heartbeats go on, streams resume without a hole, nothing
// crashes), the feed restarted
// (new epoch: fresh snapshots), and NATS or the feed missing at start (TW_NATS / TW_NO_FEED, retried
// with backoff until they appear).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { FrameType } from '@tickwire/protocol/messages';
import { connectWs, httpJson, waitFor, type Received, type WsClient } from './harness.js';
import { eventually, freePort, startFeed, startGateway, startNats, stopAllChildren, type Child, type NatsServer } from './nats-harness.js';

/** Every tick of a symbol continues the seq; a Snapshot may reset it (counted). */
function continuity(frames: Received[], symbolId: number): { gaps: string[]; snapshots: number } {
  let seq: number | null = null;
  let snapshots = 0;
  const gaps: string[] = [];
  for (const { frame } of frames) {
    if (frame.type === FrameType.Snapshot && frame.symbolId === symbolId) {
      snapshots++;
      seq = frame.seq;
    } else if (frame.type === FrameType.Updates) {
      for (const t of frame.ticks) {
        if (t.symbolId !== symbolId) continue;
        if (seq === null || t.seq !== seq + 1) gaps.push(`${seq} → ${t.seq}`);
        seq = t.seq;
      }
    }
  }
  return { gaps, snapshots };
}

async function subscribed(url: string, symbols: string[]): Promise<WsClient> {
  const c = await connectWs(url);
  c.send(JSON.stringify({ op: 'subscribe', symbols, history: 0, id: 1 }));
  await c.waitFor(FrameType.Ack, () => true, 10_000);
  return c;
}

const updatesAfter = (c: WsClient, mark: number) => c.frames.slice(mark).filter((r) => r.frame.type === FrameType.Updates).length;

describe('while running', () => {
  let nats: NatsServer;
  let feed: Child & { epoch: number };
  let gwA: Child & { url: string };
  let gwB: Child & { url: string };
  const feedArgs = ['--tick-rate', '1000', '--batch-ms', '20', '--heartbeat-ms', '500'];

  beforeAll(async () => {
    nats = await startNats();
    feed = await startFeed(nats.url, feedArgs);
    [gwA, gwB] = await Promise.all([startGateway(nats.url, ['--heartbeat-ms', '250']), startGateway(nats.url, ['--heartbeat-ms', '250'])]);
  }, 40_000);

  afterAll(async () => {
    await Promise.all([gwA?.stop(), gwB?.stop()]);
    await feed?.stop();
    await nats?.stop();
    await stopAllChildren();
  }, 20_000);

  it('SIGHUP to the feed process and a gateway: both keep running, the client stays connected with no hole', async () => {
    const a = await subscribed(gwA.url, ['AAPL', 'MSFT']);
    await waitFor(() => updatesAfter(a, 0) >= 5, { what: 'updates before SIGHUP' });
    process.kill(feed.pid, 'SIGHUP');
    process.kill(gwA.pid, 'SIGHUP');
    await feed.waitForOutput(/"msg":"SIGHUP ignored/, 5000);
    await gwA.waitForOutput(/"msg":"SIGHUP ignored/, 5000);
    const mark = a.frames.length;
    await waitFor(() => updatesAfter(a, mark) >= 10, { what: 'updates after SIGHUP', timeoutMs: 10_000 });
    expect([feed.running(), gwA.running()]).toEqual([true, true]);
    expect(a.ws.readyState).toBe(WebSocket.OPEN);
    expect(a.of(FrameType.Hello)).toHaveLength(1);
    for (const id of [0, 3]) expect(continuity(a.frames, id)).toEqual({ gaps: [], snapshots: 1 });
    a.close();
  }, 30_000);

  it('NATS restarted mid-stream: clients stay connected, heartbeats continue, streams resume without a hole', async () => {
    const a = await subscribed(gwA.url, ['AAPL', 'MSFT']);
    const b = await subscribed(gwB.url, ['AAPL', 'MSFT']);
    await waitFor(() => updatesAfter(a, 0) >= 5 && updatesAfter(b, 0) >= 5, { what: 'updates before the outage' });
    await nats.process.stop('SIGKILL');
    await new Promise((r) => setTimeout(r, 400));
    const mark = { a: a.frames.length, b: b.frames.length };
    await new Promise((r) => setTimeout(r, 1200));
    // The gateways kept the clients and their heartbeats; no data flowed (the seqs stood still).
    for (const [c, m] of [
      [a, mark.a],
      [b, mark.b],
    ] as const) {
      expect(c.ws.readyState).toBe(WebSocket.OPEN);
      expect(c.frames.slice(m).filter((r) => r.frame.type === FrameType.Heartbeat).length).toBeGreaterThanOrEqual(2);
      expect(updatesAfter(c, m)).toBe(0);
    }
    expect((await httpJson(gwA.url, '/healthz')).body).toMatchObject({ status: 'feed-stalled', feed: { connected: false } });
    await nats.restart();
    await waitFor(() => updatesAfter(a, mark.a) >= 20 && updatesAfter(b, mark.b) >= 20, { what: 'updates after NATS came back', timeoutMs: 20_000 });
    for (const c of [a, b]) {
      for (const id of [0, 3]) {
        // The hole (a couple of seconds) is bridged with the feed's recent ticks: no fresh snapshot needed.
        expect(continuity(c.frames, id)).toEqual({ gaps: [], snapshots: 1 });
      }
      expect(c.ws.readyState).toBe(WebSocket.OPEN);
    }
    expect([gwA.running(), gwB.running(), feed.running()]).toEqual([true, true, true]);
    const metrics = await httpJson(gwA.url, '/metrics');
    expect(metrics.text).toMatch(/tickwire_bus_disconnects_total [1-9]/);
    expect(metrics.text).toMatch(/tickwire_bus_resyncs_total\{reason="reconnect"\} [1-9]/);
    a.close();
    b.close();
  }, 40_000);

  it('feed restarted: gateways move to the new epoch and clients get fresh snapshots of it', async () => {
    const a = await subscribed(gwA.url, ['AAPL', 'EURUSD']);
    const b = await subscribed(gwB.url, ['AAPL']);
    await waitFor(() => updatesAfter(a, 0) >= 3 && updatesAfter(b, 0) >= 3, { what: 'updates' });
    const oldEpoch = feed.epoch;
    expect(await feed.stop('SIGTERM')).toBe(0);
    feed = await startFeed(nats.url, feedArgs);
    expect(feed.epoch).not.toBe(oldEpoch);
    for (const [c, ids] of [
      [a, [0, 1]],
      [b, [0]],
    ] as const) {
      await waitFor(() => ids.every((id) => c.of(FrameType.Snapshot).some((s) => s.frame.symbolId === id && s.frame.epoch === feed.epoch)), {
        what: 'snapshots of the new epoch',
        timeoutMs: 10_000,
      });
      const mark = c.frames.length;
      await waitFor(() => updatesAfter(c, mark) >= 3, { what: 'updates of the new epoch' });
      const fresh = c.frames.filter((r) => r.frame.epoch === feed.epoch);
      for (const id of ids) expect(continuity(fresh, id).gaps).toEqual([]);
      expect(c.ws.readyState).toBe(WebSocket.OPEN);
    }
    for (const gw of [gwA, gwB]) expect((await httpJson(gw.url, '/healthz')).body).toMatchObject({ status: 'ok', epoch: feed.epoch });
    expect(await httpJson(gwA.url, '/metrics')).toMatchObject({ text: expect.stringMatching(/tickwire_bus_epoch_changes_total [1-9]/) });
    a.close();
    b.close();
  }, 30_000);
});

describe('slow consumer on the NATS side', () => {
  afterAll(() => stopAllChildren(), 20_000);

  it('NATS cuts a frozen gateway; thawed, it reconnects and resyncs, and its clients go on without a hole', async () => {
    // A small write deadline, so NATS gives up on a gateway that stops reading within a second or two.
    const nats = await startNats(undefined, ['max_pending: 1048576', 'write_deadline: "500ms"']);
    const feed = await startFeed(nats.url, ['--tick-rate', '100000', '--symbols', '20', '--resume-ticks', '1024']);
    const gw = await startGateway(nats.url);
    let frozen = false;
    try {
      const tickers = ((await httpJson(gw.url, '/api/symbols')).body as { symbols: Array<{ ticker: string }> }).symbols.map((s) => s.ticker);
      const c = await subscribed(gw.url, tickers);
      await waitFor(() => updatesAfter(c, 0) >= 20, { what: 'updates' });
      process.kill(gw.pid, 'SIGSTOP');
      frozen = true;
      await eventually(async () => /Slow Consumer Detected/.test(nats.process.stderr() + nats.process.stdout()), {
        what: 'NATS declaring the gateway a slow consumer',
        timeoutMs: 15_000,
      });
      process.kill(gw.pid, 'SIGCONT');
      frozen = false;
      await eventually(async () => /tickwire_bus_resyncs_total\{reason="reconnect"\} [1-9]/.test((await httpJson(gw.url, '/metrics')).text), {
        what: 'resync after the reconnect',
        timeoutMs: 15_000,
      });
      const mark = c.frames.length;
      await waitFor(() => updatesAfter(c, mark) >= 50, { what: 'updates after the resync', timeoutMs: 10_000 });
      for (let id = 0; id < tickers.length; id++) expect(continuity(c.frames, id).gaps).toEqual([]);
      expect(c.ws.readyState).toBe(WebSocket.OPEN);
      const metrics = (await httpJson(gw.url, '/metrics')).text;
      expect(metrics).toMatch(/tickwire_bus_disconnects_total [1-9]/);
      // Seconds at 100,000 ticks/s is far past the 1024 recent ticks: holders got fresh snapshots.
      expect(metrics).toMatch(/tickwire_bus_refreshes_total [1-9]/);
      c.close();
    } finally {
      if (frozen) process.kill(gw.pid, 'SIGCONT');
      await gw.stop();
      await feed.stop();
      await nats.stop();
    }
  }, 60_000);
});

describe('at start', () => {
  afterAll(() => stopAllChildren(), 20_000);

  it('NATS down: the gateway says TW_NATS and retries with backoff; no feed yet: TW_NO_FEED; then it serves', async () => {
    const port = await freePort();
    const url = `nats://127.0.0.1:${port}`;
    const gw = await startGateway(url, [], false);
    try {
      await gw.waitForOutput(/TW_NATS: cannot reach NATS at/, 5000);
      await waitFor(() => (gw.stdout().match(/TW_NATS: cannot reach/g) ?? []).length >= 2, { what: 'a retry', timeoutMs: 5000 });
      expect(gw.running()).toBe(true);
      const nats = await startNats(port);
      try {
        await gw.waitForOutput(/TW_NO_FEED: no feed answers/, 20_000);
        expect(gw.running()).toBe(true);
        const feed = await startFeed(url);
        try {
          const line = await gw.waitForOutput(/"msg":"listening"/, 20_000);
          const { url: gwUrl } = JSON.parse(line) as { url: string };
          const c = await subscribed(gwUrl, ['AAPL']);
          await waitFor(() => updatesAfter(c, 0) >= 2, { what: 'updates' });
          c.close();
        } finally {
          await feed.stop();
        }
      } finally {
        await nats.stop();
      }
      expect(await gw.stop()).toBe(0);
    } finally {
      await gw.stop('SIGKILL');
    }
  }, 60_000);

  it('a signal while waiting for NATS ends the gateway at once, exit code 0', async () => {
    const gw = await startGateway(`nats://127.0.0.1:${await freePort()}`, [], false);
    await gw.waitForOutput(/TW_NATS/, 5000);
    const started = Date.now();
    expect(await gw.stop('SIGTERM')).toBe(0);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
