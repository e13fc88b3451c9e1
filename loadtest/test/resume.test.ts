// Resume on reconnect, gap repair over HTTP control and the reconnect storm. Scripted accounting first
// (what counts as replayed, snapshot, resume missed, gap after resume), then against a real server
// (built, child process, loopback): SSE/stream gap repair through the test hook, and a --storm-at run.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeHello } from '@tickwire/protocol/codec';
import { goingAwayReason } from '@tickwire/protocol/codes';
import { parseCursor } from '@tickwire/protocol/cursor';
import { startServerProcess, waitFor, type ServerProcess } from '@tickwire/server/test/harness';
import { StreamAccounting } from '../src/accounting.js';
import { AccountingSink } from '../src/counters.js';
import { connectTickwireSse } from '../src/adapters/tickwire-sse.js';
import { connectTickwireStream } from '../src/adapters/tickwire-stream.js';
import type { Connect } from '../src/adapters/types.js';
import { LifecycleStats, SimClient } from '../src/client.js';
import { parseArgs } from '../src/cli.js';
import { carryResume } from '../src/reconnect.js';
import type { LoadTestResult } from '../src/run.js';
import { fetchSymbols } from '../src/symbols.js';
import { LOADTEST_JS, runCli } from './helpers.js';
import { T, snapshotFrame, updatesFrame } from './scripted-frames.js';

const updates = updatesFrame;
const snapshot = snapshotFrame;
const hello = (epoch: number): Uint8Array => encodeHello(epoch, T, { heartbeatMs: 1000, maxSymbols: 100, sessionId: 'sess', serverId: 'gw' });

/** A first connection of epoch 7 holding symbol 1 at seq 11 and symbol 2 at seq 50. */
function firstConnection(sink: AccountingSink): StreamAccounting {
  const s = new StreamAccounting(sink);
  for (const f of [hello(7), snapshot(7, 1, 10), snapshot(7, 2, 50), updates(7, 1, [11])]) expect(s.tickwireFrame(f, T)).toBe(true);
  return s;
}

describe('resume accounting (scripted)', () => {
  it('carries epoch and seqs into a cursor, and counts a full replay as resumed', () => {
    const sink = new AccountingSink();
    const prev = firstConnection(sink);
    expect(prev.sessionId).toBe('sess');
    const next = new StreamAccounting(sink);
    const cursor = carryResume(prev, next)!;
    const parsed = parseCursor(cursor, 100);
    expect(parsed.ok && [parsed.value.epoch, [...parsed.value.seqs]]).toEqual([
      7,
      [
        [1, 11],
        [2, 50],
      ],
    ]);
    for (const f of [hello(7), updates(7, 1, [12, 13]), updates(7, 2, [51])]) next.tickwireFrame(f, T);
    const c = sink.counters;
    expect([c.resumeAttempts, c.reconnectsReplayed, c.reconnectsSnapshot]).toEqual([1, 1, 0]);
    expect([c.resumeReplayed, c.resumeSnapshots, c.resumeMissed, c.gapsAfterResume]).toEqual([2, 0, 0, 0]);
    expect([c.missing, c.baselineTicks]).toEqual([0, 0]);
    expect(Number.isNaN(next.firstDataMs)).toBe(false);
  });

  it('counts a snapshot after a same-epoch resume as resume missed, and a skip in the replay as a gap after resume', () => {
    const sink = new AccountingSink();
    const next = new StreamAccounting(sink);
    carryResume(firstConnection(sink), next);
    // Symbol 1: the server sends a snapshot although the epoch is the cursor's (outside its window).
    // Symbol 2: the replay skips 51.
    for (const f of [hello(7), snapshot(7, 1, 40), updates(7, 1, [41]), updates(7, 2, [52, 53])]) next.tickwireFrame(f, T);
    const c = sink.counters;
    expect([c.resumeAttempts, c.reconnectsReplayed, c.reconnectsSnapshot]).toEqual([1, 0, 1]);
    expect([c.resumeReplayed, c.resumeSnapshots, c.resumeMissed]).toEqual([1, 1, 1]);
    expect([c.gapsAfterResume, c.gapEvents, c.missing, c.openGaps]).toEqual([1, 1, 1, 1]);
  });

  it('a snapshot after an epoch change is a snapshot, not a resume miss', () => {
    const sink = new AccountingSink();
    const next = new StreamAccounting(sink);
    carryResume(firstConnection(sink), next);
    for (const f of [hello(8), snapshot(8, 1, 1), snapshot(8, 2, 1), updates(8, 1, [2])]) next.tickwireFrame(f, T);
    const c = sink.counters;
    expect([c.reconnectsReplayed, c.reconnectsSnapshot, c.resumeSnapshots, c.resumeMissed, c.gapsAfterResume]).toEqual([0, 1, 2, 0, 0]);
    expect(next.resumeEntries()).toEqual([
      [1, 2],
      [2, 1],
    ]);
  });

  it('offers nothing to resume before a Hello or a held symbol', () => {
    const sink = new AccountingSink();
    const next = new StreamAccounting(sink);
    expect(carryResume(null, next)).toBeNull();
    expect(carryResume(new StreamAccounting(sink), next)).toBeNull();
    const greeted = new StreamAccounting(sink);
    greeted.tickwireFrame(hello(7), T);
    expect(carryResume(greeted, next)).toBeNull();
    expect(sink.counters.resumeAttempts).toBe(0);
  });

  it('parses --storm-at', () => {
    expect(parseArgs(['--storm-at', '10s']).stormAtMs).toBe(10_000);
    expect(parseArgs([]).stormAtMs).toBeNull();
  });
});

describe('SimClient reconnects', () => {
  it('waits the retry-after-ms of a 1001 close, then reconnects presenting the resume cursor', async () => {
    const attempts: { atMs: number; resume: string | undefined }[] = [];
    const connect: Connect = ({ hooks, resume }) => {
      attempts.push({ atMs: performance.now(), resume });
      let closed = false;
      const timer = setTimeout(() => {
        hooks.opened();
        for (const f of [hello(7), snapshot(7, 3, 20)]) hooks.stream.tickwireFrame(f, T);
        hooks.received(1);
        if (attempts.length === 1) {
          closed = true;
          hooks.closed(1001, goingAwayReason(300));
        }
      }, 5);
      return {
        close: () => {
          clearTimeout(timer);
          if (!closed) hooks.closed(1000, '');
          closed = true;
        },
        pause: () => undefined,
        resume: () => undefined,
      };
    };
    const sink = new AccountingSink();
    const life = new LifecycleStats();
    const client = new SimClient({
      index: 0,
      kind: 'normal',
      connect,
      base: new URL('http://127.0.0.1:1'),
      symbols: [{ id: 3, ticker: 'S3' }],
      history: 0,
      localAddress: undefined,
      sink,
      life,
      now: () => performance.timeOrigin + performance.now(),
      random: () => 0,
      slowRateBps: 16_384,
      churnIntervalMs: 5_000,
      wsClient: 'raw',
      token: null,
      resume: true,
    });
    try {
      client.start();
      await waitFor(() => attempts.length >= 2, { timeoutMs: 2_000, what: 'reconnect' });
      expect(attempts[0]!.resume).toBeUndefined();
      // Full jitter with random() = 0 would reconnect at once: the 300 ms wait is the server's.
      expect(attempts[1]!.atMs - attempts[0]!.atMs).toBeGreaterThanOrEqual(290);
      const cursor = parseCursor(attempts[1]!.resume ?? '', 10);
      expect(cursor.ok && [cursor.value.epoch, [...cursor.value.seqs]]).toEqual([7, [[3, 20]]]);
      expect(life.unexpectedCloses).toEqual({ '1001': 1 });
    } finally {
      client.stop(false);
      life.destroy();
      sink.destroy();
    }
  });
});

describe('against a real Tickwire server', () => {
  let server: ServerProcess | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'tickwire-resume-'));

  beforeAll(async () => {
    if (!existsSync(LOADTEST_JS)) throw new Error(`${LOADTEST_JS} is missing: run "npm run build:node" first`);
    server = await startServerProcess(['--tick-rate', '1000', '--test-hooks']);
  });

  afterAll(async () => {
    if (server) expect(await server.stop()).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });

  const repairCases: [string, Connect][] = [
    ['SSE', connectTickwireSse],
    ['binary stream', connectTickwireStream],
  ];
  for (const [name, connect] of repairCases) {
    it(`${name}: frames dropped by the server are repaired through the control endpoint`, async () => {
      const base = new URL(server!.url);
      const all = await fetchSymbols(base);
      const aapl = all.find((s) => s.ticker === 'AAPL');
      expect(aapl).toBeDefined();
      const sink = new AccountingSink();
      const life = new LifecycleStats();
      const client = new SimClient({
        index: 0,
        kind: 'normal',
        connect,
        base,
        symbols: [aapl!, ...all.filter((s) => s.ticker !== 'AAPL').slice(0, 2)],
        history: 0,
        localAddress: undefined,
        sink,
        life,
        now: () => performance.timeOrigin + performance.now(),
        random: Math.random,
        slowRateBps: 16_384,
        churnIntervalMs: 5_000,
        wsClient: 'raw',
        token: null,
        resume: true,
      });
      try {
        client.start();
        await waitFor(() => sink.counters.snapshots >= 3 && sink.counters.ticks > 0, { timeoutMs: 5_000, what: 'snapshots' });
        const drop = await fetch(new URL('/__test/drop?symbol=AAPL&frames=3', base), { method: 'POST' });
        expect(drop.status).toBe(200);
        await waitFor(() => sink.counters.resyncs >= 1 && sink.counters.repairedGaps >= 1, { timeoutMs: 6_000, what: 'gap repair' });
        // Let a couple of heartbeats pass: every loss is healed, nothing new opens.
        await new Promise((r) => setTimeout(r, 2_200));
        const c = sink.counters;
        expect(c.gapEvents + c.heartbeatAhead).toBeGreaterThanOrEqual(1);
        expect(c.resyncs).toBeGreaterThanOrEqual(1);
        expect(c.openGaps).toBe(0);
        expect(c.decodeErrors + c.errorFrames + c.duplicates).toBe(0);
        expect(life.errors).toEqual([]);
        expect(life.opened).toBe(1);
      } finally {
        client.stop(false);
        life.destroy();
        sink.destroy();
      }
    });
  }

  it('a reconnect storm: every client comes back, resumes with replay, no snapshot, no gap', async () => {
    const jsonPath = join(dir, 'storm.json');
    const htmlPath = join(dir, 'storm.html');
    const clients = 18;
    const run = await runCli(
      [
        '--url',
        server!.url,
        '--clients',
        String(clients),
        '--transport',
        'mix',
        '--mix',
        'ws=1,sse=1,stream=1',
        '--symbols-per-client',
        '4',
        '--ramp-up',
        '1s',
        '--duration',
        '4s',
        '--storm-at',
        '3s',
        '--workers',
        '1',
        '--json',
        jsonPath,
        '--html',
        htmlPath,
        '--progress',
        '0',
      ],
      25_000,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('storm at 3s');
    const r = JSON.parse(readFileSync(jsonPath, 'utf8')) as LoadTestResult;
    expect(r.storm).toMatchObject({ atS: 3, dropped: clients, reconnected: clients });
    expect(r.storm!.reconnectMs.count).toBe(clients);
    expect(r.storm!.reconnectMs.max).toBeLessThan(3_000);
    expect(r.resume).toMatchObject({
      resumeAttempts: clients,
      reconnectsReplayed: clients,
      reconnectsSnapshot: 0,
      resumeReplayed: clients * 4,
      resumeSnapshots: 0,
      resumeMissed: 0,
      gapsAfterResume: 0,
      openGaps: 0,
    });
    expect(r.connections.opened).toBe(clients * 2);
    expect(r.verdict.missing).toBe(0);
    expect(r.verdict.duplicates).toBe(0);
    expect(r.counters.snapshots).toBe(clients * 4);
    const html = readFileSync(htmlPath, 'utf8');
    expect(html).toContain('id="resume"');
    expect(html).toContain('storm at 3s');
  }, 30_000);
});
