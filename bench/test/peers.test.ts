// The comparison peers as the bench runs them (built scripts, child processes, ephemeral ports): they
// replay the same seeded feed as Tickwire, and the load tester's socketio / ws-json adapters account their
// streams (JSON per tick, or the same-design peers' binary batches) with zero loss — which also checks
// the minimal Engine.IO/Socket.IO client against the real server.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import { MarketSimulator } from '@tickwire/feeds/simulator';
import { defaultUniverse } from '@tickwire/feeds/universe';
import type { WsJsonMessage } from '@tickwire/loadtest/adapters/peer-json';
import type { LoadTestResult } from '@tickwire/loadtest/run';
import { runCli } from '@tickwire/loadtest/test/helpers';
import { startTarget, type RunningServer, type ServerKind } from '../src/servers.js';

const dir = mkdtempSync(join(tmpdir(), 'tickwire-peers-'));
const running: RunningServer[] = [];

afterAll(async () => {
  for (const s of running) await s.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function start(kind: ServerKind, serverArgs: string[] = []): Promise<RunningServer> {
  const s = await startTarget(kind, { seed: 1, symbols: 50, tickRate: 1000 }, { startTimeoutMs: 10_000, serverArgs });
  running.push(s);
  return s;
}

describe.each([
  ['socketio', 'socketio'],
  ['ws-json', 'ws-json'],
  // Same-design peers: binary Tickwire Updates per symbol per 20 ms, snapshots taken behind the open batch.
  ['socketio-batch', 'socketio-batch'],
  ['ws-batch', 'ws-batch'],
] as const)('%s peer', (kind, transport) => {
  it('is measured by the load tester with nothing lost', async () => {
    const server = await start(kind);
    const json = join(dir, `${kind}.json`);
    const run = await runCli(
      [
        '--url',
        server.url,
        '-t',
        transport,
        '-c',
        '12',
        '-r',
        '500ms',
        '-d',
        '2s',
        '--churn',
        '0.25',
        '--churn-interval',
        '1s',
        '--json',
        json,
        '--progress',
        '0',
        '--server-pid',
        String(server.pid),
      ],
      15_000,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const r = JSON.parse(readFileSync(json, 'utf8')) as LoadTestResult;
    expect(r.verdict.lossFree).toBe(true);
    expect(r.clients.byAdapter).toEqual({ [transport]: 12 });
    expect(r.counters.snapshots).toBeGreaterThanOrEqual(12 * 5);
    expect(r.counters.ticks).toBeGreaterThan(200);
    expect(r.counters.decodeErrors).toBe(0);
    expect(r.connections.failures).toBe(0);
    expect(r.connections.unexpectedCloses).toEqual({});
    expect(r.latency.event.count).toBeGreaterThan(0);
    expect(r.server?.cpuPercent).not.toBeNull();
    expect(await server.stop()).toBe(0);
  });
});

describe('peer feed', () => {
  it('replays the seeded simulator exactly (same prices per seq as feeds/ with the same seed)', async () => {
    // Prices follow the trading sessions of the time of day: both simulators start their clock at t0.
    const t0 = Date.now();
    const server = await start('ws-json', ['--feed-start-ms', String(t0)]);
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`);
    const seen = new Map<number, number>();
    ws.on('open', () => ws.send(JSON.stringify({ op: 'subscribe', symbols: ['AAPL', 'MSFT'] })));
    ws.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString()) as WsJsonMessage;
      if (m.type === 'tick' && m.symbol === 'AAPL') seen.set(m.seq, m.price);
    });
    await new Promise((r) => setTimeout(r, 1_500));
    ws.close();
    expect(seen.size).toBeGreaterThan(20);
    const reference = new Map<number, number>();
    const sim = new MarketSimulator({ seed: 1, instruments: defaultUniverse(50), ticksPerSecond: 1000, startTimeMs: t0 });
    sim.advanceTo(t0 + 30_000, (t) => {
      if (t.symbolId === 0) reference.set(t.seq, t.price);
    });
    for (const [seq, price] of seen) expect(price).toBe(reference.get(seq));
  });
});
