// The HTTP stream hub's own CPU per delivered update, without sockets: N SSE (or binary stream) clients
// of the real hub, subscriptions and fan-out, on responses that copy what they are given as uWS does
// (strings converted to UTF-8), driven by the seeded default feed at 20 ms batches. Several server builds
// (e.g. before and after an optimisation, each a server/dist directory) run in one process, interleaved,
// so the comparison does not depend on how busy the shared machine was. Prints a table; with --write, also
// bench/results/stream-hub-<transport>.md, which docs/benchmarks.md shows under "SSE and binary stream cost".
import { writeFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { pathToFileURL } from 'node:url';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { MarketSimulator } from '@tickwire/feeds/simulator';
import { defaultUniverse } from '@tickwire/feeds/universe';
import { Fanout } from '@tickwire/core/fanout';
import type { HttpStreamHub } from '@tickwire/server/http-stream';
import { SymbolPicker } from '@tickwire/loadtest/symbols';
import { REPO_ROOT } from './servers.js';
import { updateStreamCostDocs } from './stream-cost.js';

/** Copies every write into one sink, as uWS copies into its cork buffer. */
class CopyingResponse {
  static sink = Buffer.allocUnsafe(1 << 20);
  static bytes = 0;
  cork(fn: () => void): this {
    fn();
    return this;
  }
  write(chunk: string | Uint8Array): boolean {
    const sink = CopyingResponse.sink;
    if (typeof chunk === 'string') CopyingResponse.bytes += sink.write(chunk, 0, 'utf8');
    else {
      sink.set(chunk.length <= sink.length ? chunk : chunk.subarray(0, sink.length));
      CopyingResponse.bytes += chunk.length;
    }
    return true;
  }
  writeStatus(): this {
    return this;
  }
  writeHeader(): this {
    return this;
  }
  end(): this {
    return this;
  }
  onAborted(): this {
    return this;
  }
  getRemoteAddressAsText(): ArrayBuffer {
    return new TextEncoder().encode('127.0.0.1').buffer as ArrayBuffer;
  }
}

const request = (query: string) => {
  const params = new URLSearchParams(query);
  return { getHeader: () => '', getQuery: (name: string) => params.get(name) ?? undefined } as unknown as HttpRequest;
};

interface Bench {
  name: string;
  fanout: Fanout;
  sim: MarketSimulator;
  clock: number;
  hub: HttpStreamHub;
  /** Streams holding each symbol. */
  subscribers: number[];
}

/** One build's hub with `clients` streams, warmed up. */
async function setUp(dir: string, clients: number, transport: 'sse' | 'stream'): Promise<Bench> {
  const load = (file: string) => import(pathToFileURL(join(dir, file)).href);
  const [{ HttpStreamHub: Hub }, { Subscriptions }, { SessionRegistry }, { Metrics }, { Admission }] = await Promise.all([
    load('http-stream.js'),
    load('subscriptions.js'),
    load('sessions.js'),
    load('metrics.js'),
    load('admission.js'),
  ]);
  const universe = defaultUniverse(50);
  const start = 1_767_600_000_000;
  const fanout = new Fanout(universe, 7, 50, 4096);
  const sim = new MarketSimulator({ seed: 1, instruments: universe, ticksPerSecond: 1000, startTimeMs: start - 5000 });
  sim.advanceTo(start, (t) => fanout.ingest(t));
  fanout.absorb();
  const bench = { name: dir, fanout, sim, clock: start, subscribers: universe.map(() => 0) } as Bench;
  const now = () => bench.clock;
  const sessions = new SessionRegistry();
  const metrics = new Metrics(sessions);
  const subscriptions = new Subscriptions(fanout, { maxSymbols: 50, defaultHistory: 0, candleCapacity: 50, backlogBytes: 2 ** 30 }, now, metrics);
  const admission = new Admission({
    maxConnections: clients + 1,
    maxConnectionsPerIp: clients + 1,
    allowedOrigins: [],
    devOrigins: false,
    authSecret: null,
    maxTokenLifetimeSec: 3600,
    now,
  });
  bench.hub = new Hub({
    admission,
    sessions,
    subscriptions,
    metrics,
    epoch: () => fanout.epoch,
    seqOf: (id: number) => fanout.states[id]?.seq ?? 0,
    now,
    hello: { heartbeatMs: 1000, maxSymbols: 50, serverId: 'bench' },
    defaultHistory: 0,
    hardBytes: 2 ** 30,
  }) as HttpStreamHub;
  fanout.addSink(bench.hub);
  const picker = new SymbolPicker(
    universe.map((i) => ({ id: i.id, ticker: i.ticker })),
    'uniform',
  );
  for (let i = 0; i < clients; i++) {
    const picks = picker.pick(1, i, 5);
    for (const p of picks) bench.subscribers[p.id]!++;
    const symbols = picks.map((s) => s.ticker);
    bench.hub.open(new CopyingResponse() as unknown as HttpResponse, request(`symbols=${symbols.join(',')}&history=0`), transport);
  }
  batches(bench, 100);
  return bench;
}

/** Runs `count` 20 ms batches; returns the CPU µs spent in flush() and the updates it delivered. */
function batches(b: Bench, count: number): { cpuUs: number; updates: number } {
  let cpuUs = 0;
  let updates = 0;
  for (let i = 0; i < count; i++) {
    b.clock += 20;
    b.sim.advanceTo(b.clock, (t) => {
      b.fanout.ingest(t);
      updates += b.subscribers[t.symbolId]!;
    });
    const t0 = process.cpuUsage();
    b.fanout.flush(b.clock);
    const d = process.cpuUsage(t0);
    cpuUs += d.user + d.system;
  }
  return { cpuUs, updates };
}

async function main(): Promise<void> {
  const o = new Command('stream-hub')
    .description("The HTTP stream hub's CPU per delivered update, several server builds interleaved in one process")
    .requiredOption('--builds <dirs>', 'comma list of server dist directories (e.g. an older build, then server/dist)')
    .option('--labels <names>', 'comma list of names for the builds (default: their paths)')
    .option('--write', 'also write bench/results/stream-hub-<transport>.md', false)
    .option('--clients <n>', 'streams per build', (v) => Number.parseInt(v, 10), 1000)
    .option('--transport <t>', 'sse or stream', 'sse')
    .option('--rounds <n>', 'interleaved rounds', (v) => Number.parseInt(v, 10), 7)
    .option('--batches <n>', 'batches per round', (v) => Number.parseInt(v, 10), 200)
    .parse()
    .opts<{ builds: string; labels?: string; write: boolean; clients: number; transport: 'sse' | 'stream'; rounds: number; batches: number }>();
  const benches: Bench[] = [];
  const labels = o.labels?.split(',') ?? [];
  for (const [i, dir] of o.builds.split(',').entries()) {
    const bench = await setUp(resolve(dir), o.clients, o.transport);
    bench.name = labels[i] ?? dir;
    benches.push(bench);
  }
  const perUpdate = new Map<Bench, number[]>(benches.map((b) => [b, []]));
  for (let round = 0; round < o.rounds; round++) {
    for (const b of round % 2 === 0 ? benches : [...benches].reverse()) {
      const r = batches(b, o.batches);
      perUpdate.get(b)!.push((r.cpuUs * 1000) / r.updates);
    }
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  const title = `${o.transport}, ${o.clients.toLocaleString('en-US')} clients × 5 uniform symbols, default feed, ${o.rounds} interleaved rounds of ${o.batches} batches`;
  const lines = [
    `| build | ns of hub CPU per delivered update (median) | per round |`,
    '|---|---:|---|',
    ...benches.map(
      (b) =>
        `| ${b.name} | ${median(perUpdate.get(b)!).toFixed(0)} | ${perUpdate
          .get(b)!
          .map((x) => x.toFixed(0))
          .join(', ')} |`,
    ),
  ];
  console.log(`${title}\n${lines.join('\n')}`);
  if (o.write) {
    const command = `node bench/dist/stream-hub.js ${process.argv.slice(2).join(' ')}`;
    const text = [
      '**The hub alone** (no sockets, so independent of how busy the machine is): the CPU of `fanout.flush()` with the real stream hub, ' +
        'subscriptions and fan-out, on responses that copy each write as uWS does (strings converted to UTF-8), builds side by side in one ' +
        `process. ${title}. ${(cpus()[0]?.model ?? 'unknown').replace(/\s+\d+-Core Processor$/, '')}, Linux ${release()}, Node ${process.version}, ` +
        `${new Date().toISOString().slice(0, 10)}. Produced by \`${command}\`.`,
      '',
      ...lines,
      '',
    ].join('\n');
    writeFileSync(join(REPO_ROOT, `bench/results/stream-hub-${o.transport}.md`), text);
    updateStreamCostDocs();
  }
  for (const b of benches) b.hub.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
