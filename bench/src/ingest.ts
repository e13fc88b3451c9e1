// Ingest throughput with clients attached: for each door × encoding (WebSocket /ingest/ws and NATS
// tickwire.ingest.*, 32-byte records and NDJSON) a producer process (bench/src/ingest-producer.ts) pushes
// trades for a generated file of ingest instruments at stepped rates and as fast as the door acks, while
// the load tester holds 1,000 subscribed WebSocket clients on the serving process. Per step: trades/s
// accepted into the core (WebSocket: the server's tickwire_ingest_trades_accepted_total; NATS: the feed's
// acks), server-side CPU from /proc/<pid>/stat (NATS: feed + gateway + nats-server), and ingest → client
// p50/p99 and loss from the load tester (the producer stamps each trade with its clock as event time).
// First, the ingest core alone in this process (no sockets). Medians over repetitions. Writes
// bench/results/ingest.{json,md} and the "## Ingest" section of docs/benchmarks.md (quick: ingest-quick.*).
// Loopback only, every wait bounded, only processes started here are stopped (by PID).
// Run: npm run build:node && node bench/dist/ingest.js [--quick] [--reps 3] [--series ws-bin,nats-json]
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Command } from 'commander';
import type { LoadTestResult } from '@tickwire/loadtest/run';
import { machineCpu, sampleProcess } from '@tickwire/loadtest/proc';
import { Fanout } from '@tickwire/core/fanout';
import { IngestCore, type IngestInstrument } from '@tickwire/core/ingest';
import { Route, routeUrl, webSocketUrl } from '@tickwire/protocol/routes';
import { spliceSection } from './compact.js';
import { Batcher, benchTicker, type ProducerProgress } from './ingest-producer.js';
import { summarizeProfile } from './profile.js';
import { freePort } from './proxies.js';
import { REPO_ROOT } from './servers.js';

export type Door = 'ws' | 'nats';
export type Encoding = 'bin' | 'json';
export interface Series {
  id: string;
  door: Door;
  encoding: Encoding;
}

export const SERIES: readonly Series[] = [
  { id: 'ws-bin', door: 'ws', encoding: 'bin' },
  { id: 'ws-json', door: 'ws', encoding: 'json' },
  { id: 'nats-bin', door: 'nats', encoding: 'bin' },
  { id: 'nats-json', door: 'nats', encoding: 'json' },
];

/** The issue's targets through the WebSocket door on this 2-core machine (trades/s accepted). */
export const TARGETS: Readonly<Record<Encoding, number>> = { bin: 200_000, json: 50_000 };
/** Clients count as served when loss-free, all connected and p99 ingest → client ≤ this (the capacity sweep's rule). */
export const P99_LIMIT_MS = 100;
/** Trades per batch window in the core bench: 200,000 trades/s × 20 ms. */
const CORE_PER_WINDOW = 4000;
/** A step holds its rate when the core accepted at least this share of it. */
const HELD_SHARE = 0.95;

const TOKEN = 'bench-ingest-token-0123456789abcdef';
const RAMP_S = 3;
/** The load tester settles 1 s after its ramp before its steady window. */
const SETTLE_S = 1;

export interface Settings {
  quick: boolean;
  clients: number;
  instruments: number;
  symbolsPerClient: number;
  durationS: number;
  reps: number;
  batch: number;
  window: number;
  /** Producer rates per encoding; 0 = as fast as the door acks. */
  rates: Record<Encoding, number[]>;
}

export interface Step {
  series: string;
  rep: number;
  /** Target trades/s (0: max). */
  rate: number;
  /** Trades/s the producer sent, and that acks reported accepted, over the steady window. */
  sentPerSec: number;
  ackedPerSec: number;
  /** Trades/s into the core by the server's own counter over the steady window. */
  acceptedPerSec: number;
  /** Trades in batches refused whole (whole run). */
  refused: number;
  rejected: number;
  updatesPerSec: number;
  /** Latency samples in the load tester's steady window: percentiles of none mean nothing. */
  samples: number;
  p50: number;
  p99: number;
  lossFree: boolean;
  missing: number;
  connected: number;
  /** Server-side CPU over the steady window, % of one core: the process(es) ingesting and serving. */
  serverCpu: number;
  /** µs of server-side CPU per accepted trade (fan-out to the clients included). */
  usPerTrade: number;
  producerCpu: number;
  generatorCpu: number;
  machineBusy: number | null;
}

// ---- The ingest core alone: no sockets, one thread --------------------------------------------------

export interface CoreResult {
  encoding: Encoding;
  trades: number;
  /** ns per trade in submit (decode, validate, append), and with the batch window's flush (state, candles, frames). */
  submitNs: number;
  withFlushNs: number;
  /** Trades/s one core sustains through submit + flush. */
  perCore: number;
}

/**
 * The door-independent part of ingest, in this process: the producer's own batches through IngestCore into a
 * Fanout (server defaults: 1,000 candles per interval, no sinks), flushed every `perWindow` trades as the
 * batch window would. Best of `runs` (the machine is shared: the least disturbed run is the code's cost).
 * The batches' event times are taken once, before the passes, so every pass is in time order.
 */
export function measureCore(encoding: Encoding, instruments: number, trades: number, batch: number, perWindow: number, runs: number): CoreResult {
  const list: IngestInstrument[] = Array.from({ length: instruments }, (_, id) => ({
    id,
    ticker: benchTicker(id),
    name: `Bench instrument ${id}`,
    assetClass: 'equity',
    priceScale: 2,
    sizeScale: 0,
    tickSize: 1,
    source: 'ingest',
  }));
  const batcher = new Batcher(instruments, encoding);
  const batches = Array.from({ length: Math.ceil(trades / batch) }, () => batcher.build(batch));
  /** One pass over the batches: ns per trade in submit calls, and in all (submit + flushes). */
  const pass = (): { submit: number; all: number } => {
    const fanout = new Fanout(list, 1, 1000, 0);
    const core = new IngestCore(list);
    core.start(fanout);
    const nowMs = Date.now() + 1000;
    let since = 0;
    let submitNs = 0n;
    const t0 = process.hrtime.bigint();
    for (const bytes of batches) {
      const s0 = process.hrtime.bigint();
      const r = encoding === 'bin' ? core.submitRecords(bytes, nowMs) : core.submit(bytes, nowMs);
      submitNs += process.hrtime.bigint() - s0;
      if (!r.ok || r.result.rejected > 0) throw new Error(`core bench: batch not applied whole: ${JSON.stringify(r)}`);
      since += batch;
      if (since >= perWindow) {
        fanout.flush(nowMs);
        core.windowClosed();
        since = 0;
      }
    }
    const n = batches.length * batch;
    return { submit: Number(submitNs) / n, all: Number(process.hrtime.bigint() - t0) / n };
  };
  pass(); // warm-up: JIT
  const samples = Array.from({ length: runs }, pass);
  const submitNs = Math.min(...samples.map((x) => x.submit));
  const withFlushNs = Math.min(...samples.map((x) => x.all));
  return { encoding, trades: batches.length * batch, submitNs, withFlushNs, perCore: 1e9 / withFlushNs };
}

// ---- Child processes ---------------------------------------------------------------------------

interface Proc {
  name: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}
const procs = new Set<Proc>();

function start(name: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(command, args, { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (s: string) => void (out = (out + s).slice(-65_536));
  child.stdout!.setEncoding('utf8').on('data', keep);
  child.stderr!.setEncoding('utf8').on('data', keep);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const proc: Proc = {
    name,
    child,
    output: () => out,
    async stop() {
      procs.delete(proc);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'), 8_000);
      await exited;
      clearTimeout(timer);
    },
  };
  procs.add(proc);
  return proc;
}

async function waitForLine(p: Proc, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = p
      .output()
      .split('\n')
      .find((l) => pattern.test(l));
    if (line !== undefined) return line;
    if (Date.now() > deadline || p.child.exitCode !== null) throw new Error(`${p.name}: no ${pattern} in time; output: ${p.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A counter's value in a Prometheus text page (labels ignored: the first series of that name). */
export function counterValue(text: string, name: string): number | null {
  const m = new RegExp(`^${name}(?:\\{[^}\\n]*\\})?[ \\t]+(\\S+)`, 'm').exec(text);
  return m === null ? null : Number(m[1]);
}

// ---- The stacks under test ----------------------------------------------------------------------

interface Stack {
  /** The serving process clients connect to. */
  url: string;
  servingPid: number;
  /** Where producers push: ws://…/ingest/ws or nats://… */
  ingestUrl: string;
  /** Processes whose CPU is the server side. */
  server: Proc[];
  /**
   * The counter on the serving process's /metrics that counts trades into the core; null: the producer's acks
   * (a gateway counts only the ticks of symbols its clients hold, and the feed process has no /metrics).
   */
  counter: string | null;
  stop(): Promise<void>;
}

function instrumentFile(dir: string, n: number): string {
  const instruments = Array.from({ length: n }, (_, id) => ({
    id,
    ticker: benchTicker(id),
    name: `Bench instrument ${id}`,
    assetClass: 'equity',
    priceScale: 2,
    sizeScale: 0,
    source: 'ingest',
  }));
  const path = join(dir, 'instruments.json');
  writeFileSync(path, JSON.stringify({ instruments }));
  return path;
}

function stubWebDir(dir: string): string {
  const web = join(dir, 'web');
  mkdirSync(web, { recursive: true });
  writeFileSync(join(web, 'index.html'), '<!doctype html><title>bench</title>');
  return web;
}

const serverJs = join(REPO_ROOT, 'server/dist/main.js');
const feedJs = join(REPO_ROOT, 'server/dist/feed-main.js');

async function startStack(door: Door, dir: string, instruments: string, nodeFlags: string[]): Promise<Stack> {
  const serving = ['--port', '0', '--host', '127.0.0.1', '--web-dir', stubWebDir(dir), '--listen-wait', '0', '--max-connections-per-ip', '100000'];
  const listening = async (p: Proc) => (JSON.parse(await waitForLine(p, /"msg":"listening"/)) as { url: string }).url;
  if (door === 'ws') {
    // The per-producer rate limit is lifted: the bench measures the door, not the guard against one producer.
    const server = start(
      'server',
      process.execPath,
      [...nodeFlags, serverJs, ...serving, '--instruments', instruments, '--feed', 'none', '--ingest-rate', '10000000'],
      {
        TICKWIRE_INGEST_TOKEN: TOKEN,
      },
    );
    const url = await listening(server);
    return {
      url,
      servingPid: server.child.pid!,
      ingestUrl: webSocketUrl(url, Route.ingestWs).href,
      server: [server],
      counter: 'tickwire_ingest_trades_accepted_total',
      stop: () => server.stop(),
    };
  }
  const port = await freePort();
  const nats = start('nats-server', 'nats-server', ['-a', '127.0.0.1', '-p', String(port)]);
  await waitForLine(nats, /Server is ready/);
  const natsUrl = `nats://127.0.0.1:${port}`;
  const feed = start('feed', process.execPath, [...nodeFlags, feedJs, '--nats', natsUrl, '--instruments', instruments, '--feed', 'none']);
  await waitForLine(feed, /"msg":"feed publishing"/);
  const gateway = start('gateway', process.execPath, [serverJs, ...serving, '--nats', natsUrl]);
  const url = await listening(gateway);
  return {
    url,
    servingPid: gateway.child.pid!,
    ingestUrl: natsUrl,
    server: [feed, gateway, nats],
    counter: null,
    async stop() {
      await gateway.stop();
      await feed.stop();
      await nats.stop();
    },
  };
}

async function scrape(url: string, counter: string | null): Promise<number> {
  if (counter === null) return 0;
  // A starved server answers late; the window is measured between the answers, so waiting costs nothing.
  const text = await (await fetch(routeUrl(url, Route.metrics), { signal: AbortSignal.timeout(20_000) })).text();
  const count = counterValue(text, counter);
  if (count === null) throw new Error(`${routeUrl(url, Route.metrics).href} has no ${counter}`);
  return count;
}

const cpuMs = (p: Proc) => sampleProcess(p.child.pid!)?.cpuMs ?? 0;
const lastProgress = (p: Proc): ProducerProgress | null => {
  const lines = p
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{"t"'));
  return lines.length === 0 ? null : (JSON.parse(lines[lines.length - 1]!) as ProducerProgress);
};

async function runStep(s: Series, stack: Stack, rate: number, rep: number, o: Settings, dir: string): Promise<Step> {
  const json = join(dir, `${s.id}-${rate}-${rep}.json`);
  const loadtest = start('loadtest', process.execPath, [
    join(REPO_ROOT, 'loadtest/dist/main.js'),
    ...['--url', stack.url, '--clients', String(o.clients), '--symbols-per-client', String(o.symbolsPerClient)],
    ...['--ramp-up', `${RAMP_S}s`, '--duration', `${o.durationS}s`, '--grace', '2s', '--progress', '0', '--json', json],
    ...['--server-pid', String(stack.servingPid), '--label', `${s.id} ${rate} ${rep}`, '--history', '0'],
  ]);
  const producer = start('producer', process.execPath, [
    join(REPO_ROOT, 'bench/dist/ingest-producer.js'),
    ...['--door', s.door, '--url', stack.ingestUrl, '--token', TOKEN, '--encoding', s.encoding],
    ...['--instruments', String(o.instruments), '--rate', String(rate), '--batch', String(o.batch), '--window', String(o.window)],
    ...['--seconds', String(RAMP_S + SETTLE_S + o.durationS + 0.5)],
  ]);
  const done = Promise.all([loadtest, producer].map((p) => new Promise<void>((r) => (p.child.exitCode !== null ? r() : p.child.once('exit', () => r())))));
  const hardStop = setTimeout(() => void Promise.all([loadtest.stop(), producer.stop()]), (RAMP_S + SETTLE_S + o.durationS) * 1000 + 60_000);
  try {
    // The steady window of the load tester: after its ramp and settle, until just before it ends.
    await sleep((RAMP_S + SETTLE_S) * 1000);
    const m0 = await scrape(stack.url, stack.counter);
    const c0 = stack.server.map(cpuMs);
    const p0 = lastProgress(producer);

    const machine0 = machineCpu();
    const t0 = performance.now();
    await sleep(o.durationS * 1000 - 500);
    const m1 = await scrape(stack.url, stack.counter);
    const c1 = stack.server.map(cpuMs);
    const p1 = lastProgress(producer);

    const machine1 = machineCpu();
    const wall = (performance.now() - t0) / 1000;
    await done;
    if (!existsSync(json)) throw new Error(`${s.id}: the load tester wrote no report: ${loadtest.output().slice(-2000)}`);
    if (producer.child.exitCode !== 0) throw new Error(`${s.id}: the producer exited with ${producer.child.exitCode}: ${producer.output().slice(-2000)}`);
    const r = JSON.parse(readFileSync(json, 'utf8')) as LoadTestResult;
    const fin = lastProgress(producer);
    const serverCpuMs = c1.reduce((sum, c, i) => sum + c - c0[i]!, 0);
    const acked = (p1?.accepted ?? 0) - (p0?.accepted ?? 0);
    // The producer's own clock between its two progress lines (they come once a second, not at our samples).
    const span = p0 !== null && p1 !== null && p1.t > p0.t ? p1.t - p0.t : wall;
    const per = (a: number | undefined, b: number | undefined) => ((a ?? 0) - (b ?? 0)) / span;
    // Per second over each count's own window; CPU per trade over the server's window.
    const acceptedPerSec = stack.counter === null ? acked / span : (m1 - m0) / wall;
    return {
      series: s.id,
      rep,
      rate,
      sentPerSec: per(p1?.sent, p0?.sent),
      ackedPerSec: per(p1?.accepted, p0?.accepted),
      acceptedPerSec,
      refused: fin?.refused ?? 0,
      rejected: fin?.rejected ?? 0,
      updatesPerSec: r.rates.updatesPerSec,
      samples: r.latency.event.count,
      p50: r.latency.event.count > 0 ? r.latency.event.p50 : NaN,
      p99: r.latency.event.count > 0 ? r.latency.event.p99 : NaN,
      lossFree: r.verdict.lossFree,
      missing: r.verdict.missing,
      connected: r.connections.opened,
      serverCpu: serverCpuMs / 10 / wall,
      usPerTrade: acceptedPerSec > 0 ? (serverCpuMs * 1000) / (acceptedPerSec * wall) : 0,
      producerCpu: per(p1?.cpuMs, p0?.cpuMs) / 10,
      generatorCpu: r.generator.cpuPercent ?? 0,
      machineBusy:
        machine0 === null || machine1 === null ? null : ((machine1.busyMs - machine0.busyMs) / (machine1.totalMs - machine0.totalMs)) * 100 * cpus().length,
    };
  } finally {
    clearTimeout(hardStop);
    await Promise.all([loadtest.stop(), producer.stop()]);
  }
}

// ---- Summary and report -------------------------------------------------------------------------

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length === 0 ? NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Clients were served: everyone connected, nothing lost, p99 within the limit. */
export const served = (x: Step, clients: number): boolean => x.connected >= clients && x.lossFree && x.samples > 0 && x.p99 <= P99_LIMIT_MS;
/** The core took the offered rate (a max-rate step always "holds" what it got). */
export const held = (x: Step): boolean => x.rate === 0 || x.acceptedPerSec >= HELD_SHARE * x.rate;

export interface Summary {
  series: string;
  rate: number;
  reps: number;
  acceptedPerSec: number;
  /** Accepted trades/s per server-side core: accepted ÷ (server CPU / 100). */
  perCore: number;
  p50: number;
  p99: number;
  serverCpu: number;
  usPerTrade: number;
  producerCpu: number;
  generatorCpu: number;
  machineBusy: number | null;
  updatesPerSec: number;
  /** Repetitions that held the rate with the clients served. */
  passed: number;
  lossFree: boolean;
  refused: number;
}

export function summarize(steps: readonly Step[], clients: number): Summary[] {
  const keys = [...new Set(steps.map((s) => `${s.series}\u0000${s.rate}`))];
  return keys.map((key) => {
    const g = steps.filter((s) => `${s.series}\u0000${s.rate}` === key);
    const m = (f: (s: Step) => number) => median(g.map(f));
    const busy = g.map((s) => s.machineBusy).filter((b): b is number => b !== null);
    // Percentiles only of repetitions whose clients got samples.
    const timed = g.filter((s) => s.samples > 0);
    return {
      series: g[0]!.series,
      rate: g[0]!.rate,
      reps: g.length,
      acceptedPerSec: m((s) => s.acceptedPerSec),
      perCore: m((s) => (s.serverCpu > 0 ? s.acceptedPerSec / (s.serverCpu / 100) : 0)),
      p50: median(timed.map((s) => s.p50)),
      p99: median(timed.map((s) => s.p99)),
      serverCpu: m((s) => s.serverCpu),
      usPerTrade: m((s) => s.usPerTrade),
      producerCpu: median(g.map((s) => s.producerCpu).filter(Number.isFinite)),
      generatorCpu: m((s) => s.generatorCpu),
      machineBusy: busy.length === 0 ? null : median(busy),
      updatesPerSec: m((s) => s.updatesPerSec),
      passed: g.filter((s) => held(s) && served(s, clients)).length,
      lossFree: g.every((s) => s.lossFree),
      refused: g.reduce((a, s) => a + s.refused, 0),
    };
  });
}

export interface IngestReport {
  date: string;
  machine: { cpu: string; nproc: number; kernel: string; node: string };
  command: string;
  settings: Settings;
  core: CoreResult[];
  steps: Step[];
  profiles?: Array<{ file: string; hot: Array<{ selfPercent: number; name: string; where: string }> }>;
  /** Hand-written paragraphs (e.g. a before/after of a change), kept across --render. */
  notes?: string[];
}

const fmt = (n: number, d = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }) : 'n/a');
const rateText = (rate: number) => (rate === 0 ? 'max' : fmt(rate));

export function renderSection(r: IngestReport): string {
  const o = r.settings;
  const rows = summarize(r.steps, o.clients);
  const out = ['## Ingest', ''];
  out.push(
    `Machine: ${r.machine.cpu} × ${r.machine.nproc}, Linux ${r.machine.kernel}, Node ${r.machine.node}; ${r.date}. Produced by \`${r.command}\` ` +
      `(raw: \`bench/results/${o.quick ? 'ingest-quick' : 'ingest'}.json\`)${o.quick ? ' — QUICK mode, indicative only' : ''}.`,
    '',
  );
  if (r.core.length > 0) {
    out.push(
      `**The ingest core alone** (no sockets, one thread, in the bench process): the producer's batches of ${fmt(o.batch)} through ` +
        `\`IngestCore\` into a \`Fanout\` (server defaults, no subscribers), flushed every ${fmt(CORE_PER_WINDOW)} trades as a 20 ms batch ` +
        'window at 200,000 trades/s would be; best of the runs (the least disturbed one is the cost of the code).',
      '',
      '| encoding | ns / trade in submit (decode, validate, queue) | ns / trade with flush (state, candles, frames) | trades/s per core |',
      '|---|---:|---:|---:|',
      ...r.core.map((c) => `| ${c.encoding === 'bin' ? 'binary records' : 'NDJSON'} | ${fmt(c.submitNs)} | ${fmt(c.withFlushNs)} | ${fmt(c.perCore)} |`),
      '',
    );
  }
  out.push(
    `A producer process (\`bench/src/ingest-producer.ts\`) pushes trades for ${fmt(o.instruments)} ingest instruments (round-robin, ` +
      `\`--feed none\`, no simulator) in batches of ${fmt(o.batch)} trades, at most ${o.window} batches unanswered (WebSocket: also nothing sent ` +
      "while the socket holds unsent bytes), without trade ids (no duplicate window), each trade stamped with the producer's clock as event time. " +
      '**ws**: one server (`server/dist/main.js --instruments … --feed none --ingest-token …`, per-producer rate limit lifted), producer on ' +
      '`/ingest/ws`. **nats**: nats-server + feed process (`feed-main.js --instruments … --feed none`) + one gateway; the producer sends each ' +
      'batch as a NATS request on `tickwire.ingest.rec|json` and counts the replies. ' +
      `${fmt(o.clients)} WebSocket clients (the load tester, its own process) × ${o.symbolsPerClient} uniform symbol(s) on the serving process; ` +
      `ramp ${RAMP_S} s + ${SETTLE_S} s settle + ${o.durationS} s steady per step, ${o.reps} repetition(s).`,
    '',
    "**accepted/s**: trades into the core over the steady window (ws: the server's own `tickwire_ingest_trades_accepted_total`; " +
      "nats: the feed's acks to the producer's requests — the feed process has no `/metrics`, and a gateway counts only the ticks of " +
      'symbols its clients hold). **per core**: accepted ÷ server-side CPU (ws: the ' +
      'server; nats: feed + gateway + nats-server), all of it, fan-out to the clients included. **p50/p99**: ingest → client (client receive time ' +
      `− the producer's timestamp). A step **passes** when the core took ≥ ${HELD_SHARE * 100} % of the rate, every client connected, nothing ` +
      `was lost and p99 ≤ ${P99_LIMIT_MS} ms (the capacity sweep's rule); "max" steps send as fast as answers return. Medians of the repetitions.`,
    '',
    '| series | rate (trades/s) | accepted/s | accepted/s per server core | server CPU % | server µs / trade | p50 / p99 ms | updates/s to clients | producer / generator CPU % | machine busy % | passed |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const x of rows) {
    out.push(
      `| ${x.series} | ${rateText(x.rate)} | ${fmt(x.acceptedPerSec)} | ${fmt(x.perCore)} | ${fmt(x.serverCpu)} | ${fmt(x.usPerTrade, 2)} | ` +
        `${fmt(x.p50, 1)} / ${fmt(x.p99, 1)} | ${fmt(x.updatesPerSec)} | ${fmt(x.producerCpu)} / ${fmt(x.generatorCpu)} | ` +
        `${x.machineBusy === null ? 'n/a' : fmt(x.machineBusy)} | ${x.passed}/${x.reps}${x.lossFree ? '' : ' (loss)'}${x.refused > 0 ? ` (${fmt(x.refused)} refused)` : ''} |`,
    );
  }
  out.push('');
  // Targets: the issue's, through the WebSocket door; ratios paired per repetition at max rate.
  const best = (series: string) => {
    const ok = rows.filter((x) => x.series === series && x.passed * 2 > x.reps);
    return ok.length === 0 ? null : ok.reduce((a, b) => (b.acceptedPerSec > a.acceptedPerSec ? b : a));
  };
  out.push('| target (WebSocket door, clients served) | best passing step | met? |', '|---|---|---|');
  for (const enc of ['bin', 'json'] as const) {
    const b = best(`ws-${enc}`);
    out.push(
      `| ≥ ${fmt(TARGETS[enc])} trades/s of ${enc === 'bin' ? 'binary records' : 'JSON'} | ${b === null ? 'none passed' : `${fmt(b.acceptedPerSec)} trades/s at rate ${rateText(b.rate)} (p99 ${fmt(b.p99, 1)} ms)`} | ` +
        `${b !== null && b.acceptedPerSec >= HELD_SHARE * TARGETS[enc] ? 'yes' : 'no'} |`,
    );
  }
  const maxOf = (series: string, rep: number) => r.steps.find((s) => s.series === series && s.rate === 0 && s.rep === rep)?.acceptedPerSec;
  const pairs = (a: string, b: string) =>
    [...new Set(r.steps.map((s) => s.rep))].flatMap((rep) => {
      const x = maxOf(a, rep);
      const y = maxOf(b, rep);
      return x !== undefined && y !== undefined && y > 0 ? [x / y] : [];
    });
  const ratioLines: string[] = [];
  for (const [a, b, what] of [
    ['ws-bin', 'ws-json', 'binary ÷ JSON, WebSocket door'],
    ['nats-bin', 'nats-json', 'binary ÷ JSON, NATS door'],
    ['nats-bin', 'ws-bin', 'NATS ÷ WebSocket, binary'],
    ['nats-json', 'ws-json', 'NATS ÷ WebSocket, JSON'],
  ] as const) {
    const q = pairs(a, b);
    if (q.length > 0) ratioLines.push(`${what} ${fmt(median(q), 2)}×`);
  }
  if (ratioLines.length > 0) out.push('', `Max-rate ratios (median of per-repetition ratios of accepted/s): ${ratioLines.join('; ')}.`);
  if (r.profiles !== undefined && r.profiles.length > 0) {
    out.push('', 'Hottest functions of the ingesting process under `--cpu-prof` (self time):', '');
    for (const p of r.profiles) out.push(`- ${p.file}: ${p.hot.map((h) => `${h.name} ${h.selfPercent}%`).join(', ')}`);
  }
  for (const note of r.notes ?? []) out.push('', note);
  out.push(
    '',
    "**Caution: the machine is shared.** Server, producer, load generator and other engineers' jobs run on the same 2 cores (the " +
      '"machine busy" column, % of one core, 200 = both busy); a step that misses its rate or latency may have been starved rather than ' +
      'slow. The per-core column is the steadier figure. To re-measure on a quiet machine: `npm run build:node && node bench/dist/ingest.js`.',
    '',
  );
  return out.join('\n');
}

async function main(): Promise<void> {
  const int = (v: string) => Number.parseInt(v, 10);
  const list = (v: string) => v.split(',').map((x) => (x.trim() === 'max' ? 0 : Number.parseInt(x, 10)));
  const o = new Command('ingest')
    .description('Ingest throughput and ingest → client latency through the WebSocket and NATS doors, binary and JSON')
    .option('--quick', 'a smoke run: 100 clients, one short step per series, no docs update', false)
    .option('--series <ids>', `comma list of ${SERIES.map((s) => s.id).join(', ')}`)
    .option('--clients <n>', 'subscribed WebSocket clients', int)
    .option('--reps <n>', 'repetitions of every step', int)
    .option('--duration <s>', 'steady seconds per step', int)
    .option('--bin-rates <list>', 'producer rates of binary series (trades/s; "max" = as fast as acked)', list)
    .option('--json-rates <list>', 'producer rates of JSON series', list)
    .option('--profile', 'run the ingesting process (server; NATS: feed) under --cpu-prof and print its hottest functions', false)
    .option('--no-docs', 'do not touch docs/benchmarks.md')
    .option('--render <json>', 'only re-render the section from a saved bench/results/ingest.json')
    .option('--out <json>', 'results file (default bench/results/ingest.json, quick: ingest-quick.json), its .md beside it')
    .parse()
    .opts<{
      quick: boolean;
      series?: string;
      clients?: number;
      reps?: number;
      duration?: number;
      binRates?: number[];
      jsonRates?: number[];
      profile: boolean;
      docs: boolean;
      render?: string;
      out?: string;
    }>();
  const docPath = join(REPO_ROOT, 'docs/benchmarks.md');
  const write = (report: IngestReport) => {
    const section = renderSection(report);
    const path = o.out ?? join(REPO_ROOT, 'bench/results', report.settings.quick ? 'ingest-quick.json' : 'ingest.json');
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(path.replace(/\.json$/, '') + '.md', section);
    if (!report.settings.quick && o.docs) writeFileSync(docPath, spliceSection(readFileSync(docPath, 'utf8'), section));
    return section;
  };
  if (o.render !== undefined) {
    write(JSON.parse(readFileSync(o.render, 'utf8')) as IngestReport);
    return;
  }
  const settings: Settings = {
    quick: o.quick,
    clients: o.clients ?? (o.quick ? 100 : 1000),
    instruments: 200,
    symbolsPerClient: 1,
    durationS: o.duration ?? (o.quick ? 3 : 8),
    reps: o.reps ?? (o.quick ? 1 : 3),
    batch: 500,
    window: 16,
    rates: {
      bin: o.binRates ?? (o.quick ? [20_000] : [100_000, 200_000, 0]),
      json: o.jsonRates ?? (o.quick ? [5_000] : [25_000, 50_000, 0]),
    },
  };
  const wanted = o.series === undefined ? SERIES : SERIES.filter((s) => o.series!.split(',').includes(s.id));
  if (wanted.length === 0) throw new Error(`no series matches --series ${o.series}`);
  for (const js of ['server/dist/main.js', 'server/dist/feed-main.js', 'loadtest/dist/main.js', 'bench/dist/ingest-producer.js']) {
    if (!existsSync(join(REPO_ROOT, js))) throw new Error(`${js} is missing: run "npm run build:node"`);
  }
  const core = (['bin', 'json'] as const).map((enc) => {
    const c = measureCore(enc, settings.instruments, o.quick ? 100_000 : 1_000_000, settings.batch, CORE_PER_WINDOW, o.quick ? 2 : 5);
    console.log(`core ${enc}: submit ${fmt(c.submitNs)} ns/trade, with flush ${fmt(c.withFlushNs)} ns/trade → ${fmt(c.perCore)} trades/s per core`);
    return c;
  });
  const dir = mkdtempSync(join(tmpdir(), 'tickwire-bench-ingest-'));
  const instruments = instrumentFile(dir, settings.instruments);
  const profileDir = join(dir, 'profiles');
  const nodeFlags = o.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const steps: Step[] = [];
  for (const s of wanted) {
    const stack = await startStack(s.door, dir, instruments, nodeFlags);
    try {
      // Repetitions outermost: drifting machine load hits every rate of the series alike.
      for (let rep = 1; rep <= settings.reps; rep++) {
        for (const rate of settings.rates[s.encoding]) {
          let step: Step;
          try {
            step = await runStep(s, stack, rate, rep, settings, dir);
          } catch (error) {
            // One disturbed step (a scrape that timed out on a starved machine) must not lose the others.
            console.log(`${s.id} rate ${rateText(rate)} rep ${rep}: FAILED, left out: ${error instanceof Error ? error.message : String(error)}`);
            continue;
          }
          steps.push(step);
          console.log(
            `${s.id} rate ${rateText(rate)} rep ${rep}: accepted ${fmt(step.acceptedPerSec)}/s (acked ${fmt(step.ackedPerSec)}/s, sent ${fmt(step.sentPerSec)}/s), ` +
              `server ${fmt(step.serverCpu)}% (${fmt(step.usPerTrade, 2)} µs/trade), p50/p99 ${fmt(step.p50, 1)}/${fmt(step.p99, 1)} ms, ` +
              `${step.connected} clients, ${step.lossFree ? 'loss-free' : `LOSS (${step.missing} missing)`}, producer ${fmt(step.producerCpu)}%, ` +
              `generator ${fmt(step.generatorCpu)}%, machine ${step.machineBusy === null ? 'n/a' : fmt(step.machineBusy)}%`,
          );
        }
      }
    } finally {
      await stack.stop();
    }
  }
  const profiles = o.profile && existsSync(profileDir) ? readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile')) : [];
  const report: IngestReport = {
    date: new Date().toISOString().slice(0, 10),
    machine: { cpu: (cpus()[0]?.model ?? 'unknown').replace(/\s+\d+-Core Processor$/, ''), nproc: cpus().length, kernel: release(), node: process.version },
    command: `node bench/dist/ingest.js${process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
    settings,
    core,
    steps,
    profiles: profiles.map((file) => ({ file, hot: summarizeProfile(join(profileDir, file), REPO_ROOT, 10).hot })),
  };
  console.log(`\n${write(report)}`);
}

// Interrupted: stop the children started here (by pid) before leaving.
const stopAll = () => Promise.all([...procs].map((p) => p.stop()));
if (import.meta.url === `file://${process.argv[1]}`) {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stopAll().finally(() => process.exit(130)));
  main().catch(async (error: unknown) => {
    console.error(error);
    await stopAll();
    process.exit(1);
  });
}
