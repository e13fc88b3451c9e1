// --workers N: several uWS gateway threads on one port (SO_REUSEPORT). Connections spread over the
// workers; every worker relays the same frames (same feed, same epoch), so bytes are identical and a
// client resumes on another worker with exactly its missed ticks. Works with the in-process feed and
// with --nats (then every worker is a NATS gateway of its own).
import { afterAll, describe, expect, it } from 'vitest';
import { formatCursor } from '@tickwire/protocol/cursor';
import { CloseCode } from '@tickwire/protocol/codes';
import { FrameType, type HelloFrame } from '@tickwire/protocol/messages';
import { connectWs, testWebDir, waitFor, type Received, type WsClient } from './harness.js';
import { SERVER_MAIN_JS, startChild, startFeed, startNats, stopAllChildren, type Child } from './nats-harness.js';

afterAll(() => stopAllChildren(), 20_000);

async function startWorkers(args: string[] = []): Promise<Child & { url: string }> {
  const proc = startChild(process.execPath, [
    SERVER_MAIN_JS,
    '--workers',
    '2',
    '--port',
    '0',
    '--web-dir',
    testWebDir(),
    '--warmup',
    '5',
    '--listen-wait',
    '0',
    ...args,
  ]);
  const line = await proc.waitForOutput(/"msg":"listening".*"workers":2|"workers":2.*"msg":"listening"/, 20_000);
  return Object.assign(proc, { url: (JSON.parse(line) as { url: string }).url });
}

const helloOf = (c: WsClient) => (c.of(FrameType.Hello)[0]!.frame as HelloFrame).serverId;

/** Opens connections until one lands on each worker (the kernel hashes each connection to a listener). */
async function onEachWorker(url: string): Promise<Map<string, WsClient>> {
  const byWorker = new Map<string, WsClient>();
  const extra: WsClient[] = [];
  for (let i = 0; i < 40 && byWorker.size < 2; i++) {
    const c = await connectWs(url);
    await c.waitFor(FrameType.Hello);
    const id = helloOf(c);
    if (byWorker.has(id)) extra.push(c);
    else byWorker.set(id, c);
  }
  for (const c of extra) c.close();
  return byWorker;
}

async function checkWorkers(url: string): Promise<void> {
  const byWorker = await onEachWorker(url);
  expect([...byWorker.keys()].map((id) => id.slice(-3)).sort()).toEqual(['-w0', '-w1']);
  const [a, b] = [...byWorker.values()] as [WsClient, WsClient];
  for (const c of [a, b]) c.send(JSON.stringify({ op: 'subscribe', symbols: ['AAPL'], history: 0, id: 1 }));
  await waitFor(() => a.of(FrameType.Updates).length >= 20 && b.of(FrameType.Updates).length >= 20, { what: 'updates on both workers', timeoutMs: 10_000 });
  // Same epoch and byte-identical frames from both workers.
  const key = (r: Received) => (r.frame.type === FrameType.Updates ? r.frame.ticks[0]!.seq : -1);
  const fromA = new Map(a.of(FrameType.Updates).map((r) => [key(r), Buffer.from(r.bytes).toString('hex')]));
  let common = 0;
  for (const r of b.of(FrameType.Updates)) {
    const mine = fromA.get(key(r));
    if (mine === undefined) continue;
    common++;
    expect(Buffer.from(r.bytes).toString('hex')).toBe(mine);
  }
  expect(common).toBeGreaterThanOrEqual(10);
  // A client leaves worker A and resumes on worker B: exactly the missed ticks.
  const epoch = a.of(FrameType.Updates)[0]!.frame.epoch;
  const last = a
    .of(FrameType.Updates)
    .flatMap((u) => u.frame.ticks)
    .at(-1)!.seq;
  a.close();
  await new Promise((r) => setTimeout(r, 300));
  let resumed: WsClient | null = null;
  for (let i = 0; i < 40 && resumed === null; i++) {
    const c = await connectWs(url);
    await c.waitFor(FrameType.Hello);
    if (helloOf(c) === helloOf(b)) resumed = c;
    else c.close();
  }
  expect(resumed).not.toBeNull();
  resumed!.send(JSON.stringify({ op: 'subscribe', symbols: ['AAPL'], resume: formatCursor(epoch, [[0, last]]), id: 2 }));
  await waitFor(() => resumed!.of(FrameType.Updates).length >= 5, { what: 'updates after resume' });
  expect(resumed!.of(FrameType.Snapshot)).toHaveLength(0);
  resumed!
    .of(FrameType.Updates)
    .flatMap((u) => u.frame.ticks)
    .forEach((t, i) => expect(t.seq).toBe(last + 1 + i));
  b.close();
  resumed!.close();
}

describe('--workers 2', () => {
  it('without NATS: the main thread feeds both workers; connections spread; resume across workers; clean SIGTERM', async () => {
    const proc = await startWorkers(['--tick-rate', '2000']);
    await checkWorkers(proc.url);
    const c = await connectWs(proc.url);
    await c.waitFor(FrameType.Hello);
    const exit = proc.stop('SIGTERM');
    expect((await c.closed).code).toBe(CloseCode.GoingAway);
    expect(await exit).toBe(0);
  }, 40_000);

  it('with NATS: every worker is a gateway of its own on the same port', async () => {
    const nats = await startNats();
    const feed = await startFeed(nats.url, ['--tick-rate', '2000']);
    try {
      const proc = await startWorkers(['--nats', nats.url]);
      await checkWorkers(proc.url);
      const names = [...(await nats.subscriptions()).keys()].filter((n) => n.startsWith('tickwire-gateway-'));
      expect(names.map((n) => n.slice(-3)).sort()).toEqual(['-w0', '-w1']);
      expect(await proc.stop('SIGTERM')).toBe(0);
    } finally {
      await feed.stop();
      await nats.stop();
    }
  }, 40_000);
});
