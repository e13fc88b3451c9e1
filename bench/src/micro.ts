// Micro-benchmarks of the hot paths, hand-rolled: each case is calibrated to ~100 ms per run, run
// several times, and reported as the median (with min and max) in ns per unit. Covered: the codec
// (encode/decode Updates), the feed, the server's batch building (Fanout ingest + flush), its real
// fan-out through uWS to subscribers in another process, the SSE base64 step, and the load generator's
// own per-frame accounting (so its cost can be subtracted mentally from macro results).
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TICK_RECORD_SIZE, decodeFrame, emptyTick, encodeUpdates, encodeUpdatesFromRecords, visitTicks, writeTickRecord } from '@tickwire/protocol/codec';
import type { Tick } from '@tickwire/protocol/messages';
import { base64ToFrame, frameToBase64 } from '@tickwire/protocol/sse';
import type { EpochMs, PriceTicks, SizeLots } from '@tickwire/protocol/units';
import { MarketSimulator } from '@tickwire/feeds/simulator';
import { defaultUniverse } from '@tickwire/feeds/universe';
import { Fanout, type FrameSink } from '@tickwire/core/fanout';
import { createServer } from '@tickwire/server/server';
import { StreamAccounting } from '@tickwire/loadtest/accounting';
import { AccountingSink } from '@tickwire/loadtest/counters';
import type { PeerTick } from '@tickwire/loadtest/adapters/peer-json';

export interface MicroResult {
  name: string;
  /** What one unit is (e.g. "frame of 10 ticks", "tick", "delivered frame"). */
  unit: string;
  medianNs: number;
  minNs: number;
  maxNs: number;
  runs: number;
  /** Units per second at the median. */
  perSecond: number;
}

export interface MicroOptions {
  quick: boolean;
  log: (line: string) => void;
}

/** Everything a benchmark body computes lands here, so the JIT cannot drop the work as dead. */
export let sinkValue = 0;

/**
 * Times `body(iterations)` which must perform `iterations × unitsPerIteration` units. Calibrates the
 * iteration count to reach `targetMs` per run, then takes `runs` runs.
 */
function measure(
  name: string,
  unit: string,
  body: (iterations: number) => void,
  opts: { runs: number; targetMs: number; unitsPerIteration?: number },
): MicroResult {
  const units = opts.unitsPerIteration ?? 1;
  let iterations = 1;
  // Calibration (also the warm-up that lets the JIT settle), bounded to ~20 doublings.
  for (let i = 0; i < 24; i++) {
    const t0 = process.hrtime.bigint();
    body(iterations);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (ms >= opts.targetMs / 4) {
      iterations = Math.max(1, Math.round((iterations * opts.targetMs) / Math.max(ms, 0.001)));
      break;
    }
    iterations *= 2;
  }
  const samples: number[] = [];
  for (let r = 0; r < opts.runs; r++) {
    const t0 = process.hrtime.bigint();
    body(iterations);
    samples.push(Number(process.hrtime.bigint() - t0) / (iterations * units));
  }
  samples.sort((a, b) => a - b);
  const median = samples[Math.floor(samples.length / 2)]!;
  return {
    name,
    unit,
    medianNs: round(median),
    minNs: round(samples[0]!),
    maxNs: round(samples[samples.length - 1]!),
    runs: opts.runs,
    perSecond: Math.round(1e9 / median),
  };
}

const round = (ns: number): number => (ns >= 100 ? Math.round(ns) : Math.round(ns * 10) / 10);

function sampleTicks(count: number, symbolId = 0): Tick[] {
  return Array.from({ length: count }, (_, i) => ({
    symbolId,
    flags: 0,
    seq: 1000 + i,
    eventTimeMs: (1.7e12 + i) as EpochMs,
    price: (22_850 + i) as PriceTicks,
    size: 100 as SizeLots,
    bid: 22_849 as PriceTicks,
    ask: 22_851 as PriceTicks,
  }));
}

function records(ticks: Tick[]): Uint8Array {
  const bytes = new Uint8Array(ticks.length * TICK_RECORD_SIZE);
  const view = new DataView(bytes.buffer);
  ticks.forEach((t, i) => writeTickRecord(view, i * TICK_RECORD_SIZE, t));
  return bytes;
}

/** Pure in-process cases (no sockets). */
export function runCodecBenchmarks(o: MicroOptions): MicroResult[] {
  // Many short runs: on a shared machine the median shrugs off the runs another process disturbed.
  const cfg = { runs: o.quick ? 5 : 11, targetMs: o.quick ? 30 : 80 };
  const out: MicroResult[] = [];
  const add = (r: MicroResult): void => {
    out.push(r);
    o.log(`  ${r.name.padEnd(52)} ${String(r.medianNs).padStart(9)} ns/${r.unit}  (min ${r.minNs}, max ${r.maxNs})`);
  };
  const ticks10 = sampleTicks(10);
  const recs10 = records(ticks10);
  const frame10 = encodeUpdates(7, 1.7e12, ticks10);
  const frame1 = encodeUpdates(7, 1.7e12, sampleTicks(1));

  add(
    measure(
      'encode Updates from records (10 ticks)',
      'frame',
      (n) => {
        for (let i = 0; i < n; i++) sinkValue += encodeUpdatesFromRecords(7, 1.7e12 + i, recs10, 10).length;
      },
      cfg,
    ),
  );
  add(
    measure(
      'encode Updates from Tick objects (10 ticks)',
      'frame',
      (n) => {
        for (let i = 0; i < n; i++) sinkValue += encodeUpdates(7, 1.7e12 + i, ticks10).length;
      },
      cfg,
    ),
  );
  const scratch = emptyTick();
  const visit = (t: Tick): void => {
    sinkValue += t.seq;
  };
  add(
    measure(
      'decode Updates with visitTicks (10 ticks)',
      'frame',
      (n) => {
        for (let i = 0; i < n; i++) visitTicks(frame10, visit, scratch);
      },
      cfg,
    ),
  );
  add(
    measure(
      'decode Updates with decodeFrame (10 ticks, allocating)',
      'frame',
      (n) => {
        for (let i = 0; i < n; i++) {
          const r = decodeFrame(frame10);
          if (r.ok) sinkValue += r.value.type;
        }
      },
      cfg,
    ),
  );

  // Load generator: full accounting of one frame (header, visit, seq rules, two HDR records).
  const sink = new AccountingSink();
  const stream = new StreamAccounting(sink);
  const moving = new Uint8Array(frame10);
  const mview = new DataView(moving.buffer);
  let seq = 1000;
  add(
    measure(
      'loadtest accounting of one Updates frame (10 ticks)',
      'frame',
      (n) => {
        for (let i = 0; i < n; i++) {
          for (let k = 0; k < 10; k++) mview.setUint32(20 + k * TICK_RECORD_SIZE + 4, ++seq, true);
          stream.tickwireFrame(moving, 1.7e12 + 5);
        }
      },
      cfg,
    ),
  );
  sink.destroy();

  // SSE: the server base64-encodes each frame once per batch; clients decode per frame.
  const b64 = Buffer.from(frame10).toString('base64');
  add(
    measure(
      'SSE base64 encode, Buffer (server path, 10 ticks)',
      'frame',
      (n) => {
        for (let i = 0; i < n; i++) sinkValue += Buffer.from(frame10.buffer, frame10.byteOffset, frame10.byteLength).toString('base64').length;
      },
      cfg,
    ),
  );
  add(
    measure(
      'SSE base64 encode, protocol frameToBase64 (10 ticks)',
      'frame',
      (n) => {
        for (let i = 0; i < n; i++) sinkValue += frameToBase64(frame10).length;
      },
      cfg,
    ),
  );
  add(
    measure(
      'SSE base64 decode, Buffer.from (loadtest path)',
      'frame',
      (n) => {
        for (let i = 0; i < n; i++) sinkValue += Buffer.from(b64, 'base64').length;
      },
      cfg,
    ),
  );
  add(
    measure(
      'SSE base64 decode, protocol base64ToFrame',
      'frame',
      (n) => {
        for (let i = 0; i < n; i++) sinkValue += base64ToFrame(b64)?.length ?? 0;
      },
      cfg,
    ),
  );

  // Peer cost per tick: the JSON the ws-json peer builds for every tick, and parsing it on a client.
  const peerTick: PeerTick = { symbol: 'AAPL', seq: 1, eventTimeMs: 1.7e12, sendTimeMs: 1.7e12, price: 22_850, size: 100, bid: 22_849, ask: 22_851 };
  const peerText = JSON.stringify({ type: 'tick', ...peerTick });
  add(
    measure(
      'peer JSON.stringify of one tick',
      'tick',
      (n) => {
        for (let i = 0; i < n; i++) {
          peerTick.seq = i;
          sinkValue += JSON.stringify(peerTick).length;
        }
      },
      cfg,
    ),
  );
  add(
    measure(
      'peer JSON.parse of one tick (client side)',
      'tick',
      (n) => {
        for (let i = 0; i < n; i++) sinkValue += (JSON.parse(peerText) as PeerTick).seq;
      },
      cfg,
    ),
  );
  sinkValue += frame1.length;

  // Feed and batch building.
  const universe = defaultUniverse(50);
  const sim = new MarketSimulator({ seed: 1, instruments: universe, ticksPerSecond: 100_000, startTimeMs: 0 });
  let simT = 0;
  add(
    measure(
      'feed simulator advanceTo (100k ticks/s universe of 50)',
      'tick',
      (n) => {
        // 100 ticks per simulated ms: n iterations of 1000 ticks need n × 10 ms.
        const emitted = sim.advanceTo((simT += n * 10), (t) => (sinkValue += t.seq));
        sinkValue += emitted;
      },
      { ...cfg, unitsPerIteration: 1000 },
    ),
  );

  const fanout = new Fanout(universe, 7, 1000);
  const noop: FrameSink = { publish: (_id, frame) => (sinkValue += frame.length), endOfBatch: () => undefined };
  fanout.addSink(noop);
  const batch = sampleTicks(1000).map((t, i) => ({ ...t, symbolId: i % 50, seq: 0 }));
  const seqs = new Float64Array(50);
  let now = 1.7e12;
  add(
    measure(
      'server Fanout ingest + flush (1000-tick batch over 50 symbols)',
      'tick',
      (n) => {
        for (let i = 0; i < n; i++) {
          for (const t of batch) {
            t.seq = ++seqs[t.symbolId]!;
            t.eventTimeMs = now as EpochMs;
            fanout.ingest(t);
          }
          fanout.flush((now += 20));
        }
      },
      { ...cfg, unitsPerIteration: 1000 },
    ),
  );
  return out;
}

function waitForLine(child: ReturnType<typeof spawn>, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}`)), timeoutMs);
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (s: string) => {
      buffer += s;
      const line = buffer.split('\n').find((l) => pattern.test(l));
      if (line !== undefined) {
        clearTimeout(timer);
        resolve(line);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`subscriber process exited with ${code}`));
    });
  });
}

/**
 * The real publish path: an in-process Tickwire server (feed at 1 tick/s, so it stays out of the way),
 * N subscribers of one symbol in a child process, and timed fanout.ingest + flush calls. One unit is
 * one frame delivered to one subscriber (uWS copies the frame into each socket).
 */
export async function runFanoutBenchmarks(o: MicroOptions, subscriberScript: string): Promise<MicroResult[]> {
  const webDir = mkdtempSync(join(tmpdir(), 'tickwire-bench-web-'));
  writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>bench</title>');
  const server = await createServer({ port: 0, host: '127.0.0.1', tickRate: 1, warmupSec: 0, logLevel: 'silent', webDir, heartbeatMs: 60_000 });
  const out: MicroResult[] = [];
  const flushes = o.quick ? 50 : 100;
  const runs = o.quick ? 3 : 7;
  try {
    const cases: Array<[string, number]> = o.quick
      ? [
          ['ws', 100],
          ['ws', 1000],
          ['sse', 100],
        ]
      : [
          ['ws', 100],
          ['ws', 1000],
          ['sse', 100],
          ['sse', 1000],
        ];
    for (const [mode, n] of cases) {
      const child = spawn(process.execPath, [subscriberScript, server.url, String(n), mode, 'AAPL'], { stdio: ['ignore', 'pipe', 'inherit'] });
      try {
        await waitForLine(child, /"ready"/, 30_000);
        const tick = sampleTicks(10, 0);
        let seq = server.fanout.states[0]!.seq;
        const samples: number[] = [];
        for (let r = 0; r < runs + 1; r++) {
          const t0 = process.hrtime.bigint();
          for (let f = 0; f < flushes; f++) {
            for (const t of tick) {
              t.seq = ++seq;
              server.fanout.ingest(t);
            }
            server.fanout.flush(performance.timeOrigin + performance.now());
          }
          const ns = Number(process.hrtime.bigint() - t0) / (flushes * n);
          if (r > 0) samples.push(ns); // run 0 warms up
          // Let the subscribers drain so backpressure never builds across runs.
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
        samples.sort((a, b) => a - b);
        const median = samples[Math.floor(samples.length / 2)]!;
        const r: MicroResult = {
          name: `server fan-out via uWS: ${mode.toUpperCase()}, ${n} subscribers, 10-tick frame`,
          unit: 'delivered frame',
          medianNs: round(median),
          minNs: round(samples[0]!),
          maxNs: round(samples[samples.length - 1]!),
          runs,
          perSecond: Math.round(1e9 / median),
        };
        out.push(r);
        o.log(`  ${r.name.padEnd(52)} ${String(r.medianNs).padStart(9)} ns/${r.unit}  (min ${r.minNs}, max ${r.maxNs})`);
      } finally {
        child.kill('SIGTERM');
        await new Promise((resolve) => {
          const t = setTimeout(() => {
            child.kill('SIGKILL');
            resolve(null);
          }, 3_000);
          child.once('exit', () => {
            clearTimeout(t);
            resolve(null);
          });
        });
      }
    }
  } finally {
    await server.close();
  }
  return out;
}
