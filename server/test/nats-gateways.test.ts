// Scale-out over a real NATS server: one feed process, two gateway processes. Clients on either gateway
// get byte-identical Updates frames (WebSocket and SSE alike), a client resumes on the other gateway with
// exactly the ticks it missed, and a gateway subscribes on NATS only the symbols its clients hold.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatCursor } from '@tickwire/protocol/cursor';
import { FrameType, type Frame } from '@tickwire/protocol/messages';
import { connectSse, connectWs, httpJson, waitFor, type Received, type WsClient } from './harness.js';
import { gatewayClientName, startFeed, startGateway, startNats, stopAllChildren, type Child, type NatsServer } from './nats-harness.js';

let nats: NatsServer;
let feed: Child & { epoch: number };
let gwA: Child & { url: string };
let gwB: Child & { url: string };

beforeAll(async () => {
  nats = await startNats();
  feed = await startFeed(nats.url, ['--tick-rate', '2000', '--batch-ms', '20']);
  [gwA, gwB] = await Promise.all([startGateway(nats.url), startGateway(nats.url)]);
}, 40_000);

afterAll(async () => {
  await Promise.all([gwA?.stop(), gwB?.stop()]);
  await feed?.stop();
  await nats?.stop();
  await stopAllChildren();
}, 20_000);

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const firstTick = (f: Frame) => (f.type === FrameType.Updates ? `${f.ticks[0]!.symbolId}:${f.ticks[0]!.seq}` : '');

function ticksOf(frames: Received[], symbolId: number) {
  return frames.flatMap((r) => (r.frame.type === FrameType.Updates ? r.frame.ticks.filter((t) => t.symbolId === symbolId) : []));
}

async function subscribed(url: string, symbols: string[], extra: Record<string, unknown> = {}): Promise<WsClient> {
  const c = await connectWs(url);
  c.send(JSON.stringify({ op: 'subscribe', symbols, history: 0, id: 1, ...extra }));
  await c.waitFor(FrameType.Ack, () => true, 10_000);
  return c;
}

describe('two gateways on one feed', () => {
  it('serve byte-identical Updates frames, over WebSocket and SSE', async () => {
    const a = await subscribed(gwA.url, ['AAPL', 'MSFT']);
    const b = await subscribed(gwB.url, ['AAPL', 'MSFT']);
    const sse = await connectSse(gwB.url, '/sse?symbols=AAPL,MSFT&history=0');
    await waitFor(() => a.of(FrameType.Updates).length >= 40 && b.of(FrameType.Updates).length >= 40 && sse.of(FrameType.Updates).length >= 40, {
      what: '40 updates on each client',
      timeoutMs: 10_000,
    });
    const fromA = new Map(a.of(FrameType.Updates).map((r) => [firstTick(r.frame), hex(r.bytes)]));
    let common = 0;
    for (const client of [b, sse]) {
      for (const r of client.of(FrameType.Updates)) {
        const mine = fromA.get(firstTick(r.frame));
        if (mine === undefined) continue;
        common++;
        expect(hex(r.bytes)).toBe(mine);
      }
    }
    expect(common).toBeGreaterThanOrEqual(40);
    // Same epoch everywhere: the feed's.
    expect(new Set([...a.frames, ...b.frames].map((r) => r.frame.epoch))).toEqual(new Set([feed.epoch]));
    a.close();
    b.close();
    sse.close();
  });

  it('resume on the other gateway gets exactly the missed ticks, also for a symbol that gateway did not hold', async () => {
    const first = await subscribed(gwA.url, ['AAPL', 'NVDA']);
    await waitFor(() => ticksOf(first.frames, 0).length >= 5 && ticksOf(first.frames, 4).length >= 2, { what: 'ticks on A', timeoutMs: 10_000 });
    first.close();
    await first.closed;
    const seen = new Map([0, 4].map((id) => [id, first.of(FrameType.Snapshot).find((s) => s.frame.symbolId === id)!.frame.seq] as const));
    for (const id of [0, 4]) {
      const ticks = ticksOf(first.frames, id);
      if (ticks.length > 0) seen.set(id, ticks.at(-1)!.seq);
    }
    await new Promise((r) => setTimeout(r, 700));
    const second = await subscribed(gwB.url, ['AAPL', 'NVDA'], { resume: formatCursor(feed.epoch, [...seen]), id: 2 });
    await waitFor(() => ticksOf(second.frames, 0).length >= 20 && ticksOf(second.frames, 4).length >= 5, { what: 'ticks on B', timeoutMs: 10_000 });
    expect(second.of(FrameType.Snapshot)).toHaveLength(0);
    for (const [id, last] of seen) {
      const ticks = ticksOf(second.frames, id);
      ticks.forEach((t, i) => expect(t.seq).toBe(last + 1 + i));
    }
    second.close();
  });

  it('subscribe on NATS only to symbols with local subscribers', async () => {
    const a = await subscribed(gwA.url, ['EURUSD']);
    const subs = await nats.subscriptions();
    const nameA = gatewayClientName(subs.keys(), gwA.pid);
    const nameB = gatewayClientName(subs.keys(), gwB.pid);
    expect(nameA).toBeDefined();
    expect(nameB).toBeDefined();
    expect(subs.get(nameA!)).toContain('tickwire.md.1');
    expect(subs.get(nameA!)).toContain('tickwire.feed.hb');
    // B has no EURUSD client: NATS does not even send it EURUSD. Nobody asked for the last symbol at all.
    expect(subs.get(nameB!)).not.toContain('tickwire.md.1');
    for (const list of subs.values()) expect(list).not.toContain('tickwire.md.49');
    // Never a wildcard over the market data: interest is per symbol.
    for (const name of [nameA!, nameB!])
      expect(
        subs
          .get(name)!
          .filter((s) => s.startsWith('tickwire.md.'))
          .every((s) => /^tickwire\.md\.\d+$/.test(s)),
      ).toBe(true);
    const metrics = await httpJson(gwB.url, '/metrics');
    const held = Number(/^tickwire_bus_symbols_subscribed (\d+)$/m.exec(metrics.text)?.[1]);
    expect(held).toBeLessThanOrEqual(3);
    a.close();
  });

  it('report the feed in /healthz', async () => {
    const health = await httpJson(gwA.url, '/healthz');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', epoch: feed.epoch, feed: { source: 'bus', connected: true } });
  });
});
