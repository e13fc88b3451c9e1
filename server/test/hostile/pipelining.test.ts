// Pipelined requests that are never read: a client writes hundreds of GETs for the biggest dashboard
// asset (and for full-history polls) in one go and stops reading. uWS parses them all and would buffer
// every answer; the server hands uWS one answer at a time (http-util.ts endBody), so the process holds
// at most about one answer per such socket. RSS is read from /proc of the compiled server in a child
// process; a healthy WebSocket client must keep receiving Updates meanwhile.
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameType } from '@tickwire/protocol/messages';
import { connectWs, settledRss, startServerProcess, type ServerProcess } from '../harness.js';

/** RSS growth over the pre-attack baseline allowed at any sample (unbounded buffering grows by GiBs). */
const RSS_BOUND_MIB = 64;
const ATTACKERS = 30;
const PIPELINED = 200;
const ATTACK_MS = 5000;

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error('no VmRSS');
  return Number(m[1]) / 1024;
}

function pipeliningNonReader(port: number, path: string): Socket {
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  socket.pause();
  socket.once('connect', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`.repeat(PIPELINED)));
  return socket;
}

describe('hostile: pipelined requests never read', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServerProcess(['--warmup', '1800'], { timeoutMs: 60_000, web: 'built' });
  }, 70_000);
  afterAll(async () => {
    expect(await server.stop()).toBe(0);
  }, 30_000);

  async function attack(path: string): Promise<{ growth: number; samples: number; maxGapMs: number; frames: number }> {
    const pid = server.child.pid!;
    const healthy = await connectWs(server.url);
    const arrivals: number[] = [];
    healthy.ws.on('message', () => arrivals.push(performance.now()));
    healthy.send(JSON.stringify({ op: 'subscribe', symbols: ['AAPL', 'MSFT', 'EURUSD', 'BTCUSD', 'NVDA'], history: 0, id: 1 }));
    await healthy.waitFor(FrameType.Ack, () => true, 10_000);
    await settledRss(pid);
    const base = rssMiB(pid);
    const samples: number[] = [];
    const sampler = setInterval(() => samples.push(rssMiB(pid)), 100);
    const start = performance.now();
    const sockets = Array.from({ length: ATTACKERS }, () => pipeliningNonReader(server.port, path));
    await new Promise((r) => setTimeout(r, ATTACK_MS));
    const end = performance.now();
    clearInterval(sampler);
    for (const s of sockets) s.destroy();
    healthy.close();
    const inside = arrivals.filter((t) => t >= start && t < end);
    let maxGapMs = inside.length > 0 ? Math.max(inside[0]! - start, end - inside.at(-1)!) : end - start;
    for (let i = 1; i < inside.length; i++) maxGapMs = Math.max(maxGapMs, inside[i]! - inside[i - 1]!);
    return { growth: Math.max(...samples) - base, samples: samples.length, maxGapMs, frames: inside.length };
  }

  it(`${ATTACKERS} sockets × ${PIPELINED} pipelined asset GETs: RSS within ${RSS_BOUND_MIB} MiB, healthy client flowing`, async () => {
    const html = await (await fetch(`${server.url}/`)).text();
    const asset = /\/assets\/[^"]+\.js/.exec(html)?.[0];
    expect(asset, 'the built dashboard names its script').toBeDefined();
    const size = (await (await fetch(`${server.url}${asset}`)).arrayBuffer()).byteLength;
    // Unbounded, the answers asked for would need this much memory: the bound must be far below it.
    expect((ATTACKERS * PIPELINED * size) / 2 ** 20).toBeGreaterThan(20 * RSS_BOUND_MIB);
    const r = await attack(asset!);
    console.log(`assets: RSS +${r.growth.toFixed(1)} MiB over ${r.samples} samples; healthy ${r.frames} frames, max gap ${r.maxGapMs.toFixed(0)} ms`);
    expect(r.samples).toBeGreaterThan(ATTACK_MS / 100 / 2);
    expect(r.growth).toBeLessThan(RSS_BOUND_MIB);
    expect(r.frames).toBeGreaterThan(20);
    expect(r.maxGapMs).toBeLessThan(500);
  }, 30_000);

  it(`${ATTACKERS} sockets × ${PIPELINED} pipelined full-history polls: RSS within ${RSS_BOUND_MIB} MiB, healthy client flowing`, async () => {
    const r = await attack('/poll?symbols=AAPL,MSFT,EURUSD,BTCUSD,NVDA,TSLA,AMZN,GOOGL&history=2000');
    console.log(`polls: RSS +${r.growth.toFixed(1)} MiB over ${r.samples} samples; healthy ${r.frames} frames, max gap ${r.maxGapMs.toFixed(0)} ms`);
    expect(r.samples).toBeGreaterThan(ATTACK_MS / 100 / 2);
    expect(r.growth).toBeLessThan(RSS_BOUND_MIB);
    expect(r.frames).toBeGreaterThan(20);
    expect(r.maxGapMs).toBeLessThan(500);
  }, 30_000);
});
