// Fault test: slow and stalled readers with tiny socket receive buffers (a Python client: Node cannot set
// SO_RCVBUF) against the built server. They must enter conflation, receive conflated records with no
// unexplained seq jump, be closed with 4000 when they stay behind, while the server's memory stays
// bounded and a healthy client's latency barely moves.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FrameType } from '@tickwire/protocol/messages';
import { connectWs, httpJson, settledRss, startServerProcess, waitFor, type ServerProcess, type WsClient } from './harness.js';

const READER = join(import.meta.dirname, 'fixtures/slow_reader.py');
interface ReaderStats {
  eof: boolean;
  frames: number;
  ticks: number;
  conflated: number;
  violations: number;
  closeCode: number | null;
  bytes: number;
}

let server: ServerProcess;
const RSS_BOUND_MIB = 16;
let symbols = '';

function reader(transport: 'ws' | 'sse', args: string[]): Promise<ReaderStats> {
  return new Promise((resolve, reject) => {
    execFile(
      'python3',
      [READER, '--transport', transport, '--port', String(server.port), '--symbols', symbols, ...args],
      { timeout: 30_000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`slow reader failed: ${error.message} ${stderr}`));
        else resolve(JSON.parse(stdout) as ReaderStats);
      },
    );
  });
}

function rssBytes(): number {
  const status = readFileSync(`/proc/${server.child.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

/** Sum of a metric's samples; `name` is a regex source that may include a label set. */
function metric(text: string, name: string): number {
  return [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)`, 'gm'))].reduce((sum, m) => sum + Number(m[1]), 0);
}

/** Latencies (receive − server send time) of a healthy client over a window. */
async function latencies(c: WsClient, ms: number): Promise<number[]> {
  const samples: number[] = [];
  const onMessage = () => {
    const last = c.frames.at(-1);
    if (last?.frame.type === FrameType.Updates) samples.push(Date.now() - last.frame.sendTimeMs);
  };
  c.ws.on('message', onMessage);
  await new Promise((r) => setTimeout(r, ms));
  c.ws.off('message', onMessage);
  return samples.sort((a, b) => a - b);
}
/** p99 of a sample that must not be empty (an empty one would read as a perfect 0). */
function p99(xs: number[]): number {
  expect(xs.length, 'latency sample is empty: the healthy client received nothing').toBeGreaterThan(0);
  return xs[Math.floor(xs.length * 0.99)]!;
}

/** RSS growth bound while three slow readers are held (hard limit 1 MiB each plus churn; ~3.5 MiB seen here). */
const RSS_GROWTH_BOUND_BYTES = RSS_BOUND_MIB * 1024 * 1024;

/** Samples the server's RSS every 100 ms until `until` settles; returns the largest value seen. */
async function peakRss(until: Promise<unknown>): Promise<{ peak: number; samples: number }> {
  let peak = rssBytes();
  let samples = 1;
  let done = false;
  void until.finally(() => (done = true));
  while (!done) {
    await new Promise((r) => setTimeout(r, 100));
    if (server.child.exitCode !== null) break;
    peak = Math.max(peak, rssBytes());
    samples++;
  }
  return { peak, samples };
}

beforeAll(async () => {
  server = await startServerProcess(['--tick-rate', '50000', '--slow-soft-bytes', '65536', '--slow-hard-bytes', '1048576', '--slow-lag-ms', '3000']);
  const res = await httpJson(server.url, '/api/symbols');
  symbols = (res.body as { symbols: Array<{ ticker: string }> }).symbols.map((s) => s.ticker).join(',');
  // The background history generation both grows memory and takes CPU: measure after it.
  await settledRss(server.child.pid!);
});

afterAll(async () => {
  await server?.stop('SIGKILL');
});

it.each(['ws', 'sse'] as const)(
  '%s: conflates slow readers, closes stalled ones, keeps memory bounded and healthy clients fast',
  async (transport) => {
    const healthy = await connectWs(server.url);
    healthy.send(JSON.stringify({ op: 'subscribe', symbols: ['AAPL', 'MSFT', 'EURUSD', 'BTCUSD', 'NVDA'], history: 0 }));
    await healthy.waitFor(FrameType.Updates);
    const baseline = await latencies(healthy, 1500);
    const baselineRate = baseline.length / 1500;
    const rssBefore = rssBytes();
    const metricsBefore = (await httpJson(server.url, '/metrics')).text;

    const readers = Promise.all([
      // Stops reading long enough to fall behind, then reads at full speed: conflation, then recovery.
      reader(transport, ['--mode', 'stall', '--stall', '4', '--seconds', '9']),
      // Never reads within the lag limit: must be closed.
      reader(transport, ['--mode', 'stall', '--stall', '9', '--seconds', '11']),
      // Reads far slower than its symbols tick.
      reader(transport, ['--mode', 'slow', '--rate', '40000', '--seconds', '9']),
      (async () => {
        await new Promise((r) => setTimeout(r, 2500));
        const during = await latencies(healthy, 4000);
        // The healthy client keeps receiving at close to its own baseline rate, and its tail barely moves.
        expect(during.length / 4000).toBeGreaterThan(0.7 * baselineRate);
        expect(p99(during)).toBeLessThan(Math.max(3 * p99(baseline), p99(baseline) + 60));
      })(),
    ]);
    const [rss, [recovering, stalled, slow]] = await Promise.all([peakRss(readers), readers]);
    // Sampled all along (not once): memory stays within the bound at every point while the readers lag.
    expect(rss.samples).toBeGreaterThan(50);
    expect(rss.peak - rssBefore).toBeLessThan(RSS_GROWTH_BOUND_BYTES);
    console.log(
      `${transport}: peak RSS growth ${((rss.peak - rssBefore) / 1048576).toFixed(1)} MiB over ${rss.samples} samples; healthy baseline ${baseline.length} updates/1.5 s`,
    );

    // Conflated records explain every seq jump; nothing else skips.
    for (const r of [recovering, stalled, slow]) expect(r.violations).toBe(0);
    expect(recovering.conflated).toBeGreaterThan(0);
    expect(recovering.closeCode).toBeNull();
    // The stalled reader, once it reads again, finds the backlog it was allowed (≤ hard limit plus what the
    // kernel held) followed by the end: a 4000 close on WebSocket, the end of the response on SSE.
    expect(stalled.eof).toBe(true);
    if (transport === 'ws') expect(stalled.closeCode).toBe(4000);
    // The slow reader only ever got what it could read; it never saw a gap.
    expect(slow.ticks).toBeGreaterThan(0);

    // Deltas over this test only. SSE has no close frame on the wire: the server's slow-consumer close (code
    // 4000) is seen as the response ending plus this counter, which counts 4000 closes and nothing else.
    const metricsAfter = (await httpJson(server.url, '/metrics')).text;
    const label = `\\{transport="${transport}"\\}`;
    const delta = (name: string) => metric(metricsAfter, name) - metric(metricsBefore, name);
    expect(delta(`tickwire_conflations_total${label}`)).toBeGreaterThanOrEqual(2);
    expect(delta(`tickwire_slow_consumer_disconnects_total${label}`)).toBeGreaterThanOrEqual(1);
    // Healthy client still receives in order.
    expect(healthy.decodeErrors).toEqual([]);
    await waitFor(() => healthy.ws.readyState === healthy.ws.OPEN, { what: 'healthy still open' });
    healthy.close();
  },
  40_000,
);
