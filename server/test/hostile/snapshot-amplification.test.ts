// Snapshot amplification: a 400-byte subscribe of 50 symbols with history 2000 asks for megabytes of
// snapshots. Clients that never read and keep re-subscribing must neither grow the server's memory past a
// stated bound nor stall a healthy client; a client that does read sees its excess subscribes refused
// with RateLimited carrying its request id. The server is the compiled one in a child process (its RSS
// is read from /proc), with the default 30 min warm-up so candle rings are as full as in production.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '@tickwire/protocol/codes';
import { FrameType } from '@tickwire/protocol/messages';
import { defaultUniverse } from '@tickwire/feeds/universe';
import { connectWs, startServerProcess, waitFor, type ServerProcess, type WsClient } from '../harness.js';

/** RSS growth over the pre-attack baseline the server may show at any sample during the attack. */
const RSS_BOUND_MIB = 128;
const ATTACKERS = 30;
/** Connections the attack may open in all (closed attackers come back, up to this many times in all). */
const MAX_ATTACK_CONNECTIONS = ATTACKERS * 8;
const ATTACK_MS = 6000;
const RESUBSCRIBE_EVERY_MS = 50;

const TICKERS = defaultUniverse(50).map((i) => i.ticker);

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error('no VmRSS');
  return Number(m[1]) / 1024;
}

/** One masked client text frame (RFC 6455 §5.2), written by hand: no library between us and the wire. */
function textFrame(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const mask = randomBytes(4);
  const head = payload.length < 126 ? Buffer.from([0x81, 0x80 | payload.length]) : Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
  const body = Buffer.alloc(payload.length);
  for (let i = 0; i < payload.length; i++) body[i] = payload[i]! ^ mask[i & 3]!;
  return Buffer.concat([head, mask, body]);
}

/** Upgrades a raw socket to a WebSocket, then stops reading it for good. */
function neverReadingClient(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const key = randomBytes(16).toString('base64');
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(10_000, () => socket.destroy(new Error('upgrade timed out')));
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      socket.setTimeout(0);
      const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
      if (!head.startsWith('HTTP/1.1 101') || !head.includes(accept)) return reject(new Error(`no upgrade: ${head.slice(0, 200)}`));
      socket.pause();
      resolve(socket);
    };
    socket.on('data', onData);
    socket.on('error', () => {});
    socket.once('connect', () =>
      socket.write(
        `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      ),
    );
  });
}

/** Gaps between Updates frames and how many arrived, over [from, to). */
function delivery(arrivals: readonly number[], from: number, to: number): { count: number; maxGapMs: number } {
  const inside = arrivals.filter((t) => t >= from && t < to);
  let maxGapMs = 0;
  for (let i = 1; i < inside.length; i++) maxGapMs = Math.max(maxGapMs, inside[i]! - inside[i - 1]!);
  if (inside.length > 0) maxGapMs = Math.max(maxGapMs, inside[0]! - from, to - inside.at(-1)!);
  return { count: inside.length, maxGapMs };
}

describe('hostile: snapshot amplification over WebSocket', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServerProcess(['--warmup', '1800'], { timeoutMs: 60_000 });
  }, 70_000);
  afterAll(async () => {
    expect(await server.stop()).toBe(0);
  }, 30_000);

  it('a reading client that re-subscribes in a loop is refused with RateLimited and its request id', async () => {
    const client = await connectWs(server.url);
    try {
      await client.waitFor(FrameType.Hello);
      for (let id = 1; id <= 8; id++) client.send(JSON.stringify({ op: 'subscribe', symbols: TICKERS, history: 2000, id }));
      await waitFor(() => client.of(FrameType.Ack).length + client.of(FrameType.Error).length >= 8, { timeoutMs: 20_000, what: 'a reply to every subscribe' });
      const snapshots = client.of(FrameType.Snapshot);
      const first = snapshots.slice(0, 50).reduce((n, r) => n + r.bytes.length, 0);
      // The first subscribe is a full one: the budget must let it through.
      expect(client.of(FrameType.Ack)[0]!.frame.requestId).toBe(1);
      expect(first).toBeGreaterThan(1_000_000);
      const refused = client.of(FrameType.Error).filter((r) => r.frame.code === ErrorCode.RateLimited);
      expect(refused.length).toBeGreaterThan(0);
      // Every refused request is named, and names one we sent that was not acknowledged.
      const acked = new Set(client.of(FrameType.Ack).map((r) => r.frame.requestId));
      for (const r of refused) {
        expect(r.frame.requestId).toBeGreaterThanOrEqual(2);
        expect(acked.has(r.frame.requestId)).toBe(false);
        expect(r.frame.message).toMatch(/snapshot budget/);
      }
      // Refused subscribes applied nothing: snapshots are those of the acknowledged ones only.
      expect(snapshots.length).toBe(50 * acked.size);
    } finally {
      client.close();
    }
  }, 40_000);

  it('full-history polls without a cursor are refused with 429 RateLimited once the address budget is spent', async () => {
    const url = `${server.url}/poll?symbols=${TICKERS.join(',')}&history=2000`;
    const statuses: number[] = [];
    let body: unknown = null;
    let okBytes = 0;
    let cursor = '';
    for (let i = 0; i < 12; i++) {
      const res = await fetch(url);
      statuses.push(res.status);
      if (i === 0) cursor = res.headers.get('x-tickwire-cursor') ?? '';
      if (res.status === 200) okBytes += (await res.arrayBuffer()).byteLength;
      else body = await res.json();
    }
    expect(statuses[0]).toBe(200);
    expect(okBytes).toBeGreaterThan(1_000_000);
    expect(statuses).toContain(429);
    expect(body).toMatchObject({ error: { name: 'RateLimited', code: ErrorCode.RateLimited } });
    // A poll with a cursor costs only the missed ticks: it passes once the bucket refilled a little.
    expect(cursor).toMatch(/^e[0-9a-z]+-/);
    await new Promise((r) => setTimeout(r, 1500));
    const next = await fetch(`${url}&cursor=${cursor}`);
    expect(next.status).toBe(200);
    expect((await next.arrayBuffer()).byteLength).toBeLessThan(1_000_000);
  }, 40_000);

  it(`never-reading re-subscribers keep RSS within ${RSS_BOUND_MIB} MiB of baseline and a healthy client flowing`, async () => {
    const pid = server.child.pid!;
    const healthy: WsClient = await connectWs(server.url);
    const arrivals: number[] = [];
    healthy.ws.on('message', () => arrivals.push(performance.now()));
    healthy.send(JSON.stringify({ op: 'subscribe', symbols: TICKERS.slice(0, 5), history: 0, id: 1 }));
    await healthy.waitFor(FrameType.Ack, () => true, 10_000);

    const baseStart = performance.now();
    await new Promise((r) => setTimeout(r, 3000));
    const baseEnd = performance.now();
    const baseline = delivery(arrivals, baseStart, baseEnd);
    expect(baseline.count, 'the healthy client receives data before the attack').toBeGreaterThan(20);
    const rssBase = rssMiB(pid);

    const attackers: Array<Socket | null> = await Promise.all(Array.from({ length: ATTACKERS }, () => neverReadingClient(server.port)));
    const everyAttacker: Socket[] = attackers.filter((s) => s !== null);
    const pending: Array<Promise<void>> = [];
    let opened = ATTACKERS;
    let reconnecting = 0;
    const samples: number[] = [];
    const sampler = setInterval(() => samples.push(rssMiB(pid)), 100);
    const attackStart = performance.now();
    let sent = 0;
    let requestId = 1;
    const subscribe = () => {
      attackers.forEach((s, i) => {
        if (s !== null && !s.destroyed && s.writable) {
          s.write(textFrame(JSON.stringify({ op: 'subscribe', symbols: TICKERS, history: 2000, id: requestId++ })));
          sent++;
          return;
        }
        // Closed by the server (slow consumer): come back, as a hostile client would.
        if (s === null || opened >= MAX_ATTACK_CONNECTIONS || reconnecting >= ATTACKERS) return;
        opened++;
        reconnecting++;
        attackers[i] = null;
        pending.push(
          neverReadingClient(server.port)
            .then((fresh) => {
              everyAttacker.push(fresh);
              attackers[i] = fresh;
            })
            .catch(() => {})
            .finally(() => reconnecting--),
        );
      });
    };
    const loop = setInterval(subscribe, RESUBSCRIBE_EVERY_MS);
    await new Promise((r) => setTimeout(r, ATTACK_MS));
    clearInterval(loop);
    const attackEnd = performance.now();
    clearInterval(sampler);
    await Promise.all(pending);
    for (const s of everyAttacker) s.destroy();

    expect(sent).toBeGreaterThan(ATTACKERS * 10);
    console.log(`${opened} attack connections`);
    expect(samples.length).toBeGreaterThan(ATTACK_MS / 100 / 2);
    const peak = Math.max(...samples);
    console.log(`RSS baseline ${rssBase.toFixed(1)} MiB, peak ${peak.toFixed(1)} MiB over ${samples.length} samples; ${sent} subscribes sent`);
    expect(peak - rssBase).toBeLessThan(RSS_BOUND_MIB);

    const during = delivery(arrivals, attackStart, attackEnd);
    console.log(
      `healthy client: baseline ${baseline.count} frames / ${((baseEnd - baseStart) / 1000).toFixed(1)} s, max gap ${baseline.maxGapMs.toFixed(0)} ms; attack ${during.count} frames / ${((attackEnd - attackStart) / 1000).toFixed(1)} s, max gap ${during.maxGapMs.toFixed(0)} ms`,
    );
    expect(during.count).toBeGreaterThan(0);
    expect(during.maxGapMs).toBeLessThan(500);
    const rate = (c: number, ms: number) => c / ms;
    expect(rate(during.count, attackEnd - attackStart)).toBeGreaterThan(0.7 * rate(baseline.count, baseEnd - baseStart));
    // Still served afterwards.
    const after = arrivals.length;
    await waitFor(() => arrivals.length > after + 5, { timeoutMs: 5000, what: 'delivery after the attack' });
    healthy.close();
  }, 60_000);
});
