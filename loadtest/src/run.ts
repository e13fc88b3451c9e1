// The coordinator: fetches the symbol list, spreads clients over worker threads, asks every worker for a
// sample once a second (building the timeline and the progress line), then stops them and merges their
// counters and HDR histograms into one result. Bounded: a hard deadline terminates workers regardless.
import { availableParallelism, cpus, loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import { addCounters, subCounters, zeroCounters, type Counters } from './counters.js';
import { PEER_TRANSPORTS, hardDeadlineMs, parseTarget, validateConfig, type LoadTestConfig } from './config.js';
import { mergeEncoded, newHistogram, summarize, type LatencySummary } from './histogram.js';
import { ProcessWatcher, machineCpu } from './proc.js';
import { MetricsWatcher } from './server-metrics.js';
import { resumeSummary, type ResumeSummary, type StormSummary } from './report/storm.js';
import { fetchSymbols, type SymbolRef } from './symbols.js';
import type { FromWorker, LifeCounts, ToWorker, WorkerFinal, WorkerInit, WorkerSample } from './worker-messages.js';

export interface TimelinePoint {
  /** Seconds since the first client started. */
  t: number;
  steady: boolean;
  open: number;
  ready: number;
  updatesPerSec: number;
  bytesPerSec: number;
  framesPerSec: number;
  /** Feed → client latency percentiles of this second, ms (normal clients). */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Server → client (frame send time) p99 of this second, ms. */
  sendP99: number;
  /** Feed → client p99 over every second so far (ramp included), ms. */
  p99SoFar: number;
  missing: number;
  duplicates: number;
  outOfOrder: number;
  failures: number;
  /** Open connections that received nothing for 3 s. */
  stalled: number;
  /** Load generator CPU (whole process, % of one core) and, if known, the server's (see LoadTestResult.server). */
  generatorCpu: number | null;
  serverCpu: number | null;
  serverRssMiB: number | null;
}

export interface ConnectionSummary {
  attempts: number;
  opened: number;
  failures: number;
  churnReconnects: number;
  unexpectedCloses: Record<string, number>;
  connectMs: LatencySummary;
  firstSnapshotMs: LatencySummary;
  errors: string[];
}

export interface LoadTestResult {
  tool: 'tickwire-loadtest';
  formatVersion: 1;
  label: string;
  startedAt: string;
  machine: { nproc: number; cpuModel: string; node: string; platform: string };
  config: LoadTestConfig;
  symbolsAvailable: number;
  clients: WorkerFinal['clients'];
  window: { steadyStartS: number; steadyS: number };
  /** Whole-run counters of normal+churn clients and of slow clients. */
  counters: Counters;
  slowCounters: Counters;
  /** Counters of the steady window alone (all clients): the transport lab's wire bytes and requests per update. */
  steadyCounters: Counters;
  /** Steady-window rates over all clients (updates = ticks minus duplicates). */
  rates: { updatesPerSec: number; bytesPerSec: number; framesPerSec: number };
  /** Steady-window latency of normal+churn clients: feed → client and server → client. */
  latency: { event: LatencySummary; send: LatencySummary };
  slowLatency: { event: LatencySummary; send: LatencySummary };
  connections: ConnectionSummary;
  generator: { workers: number; cpuPercent: number | null; workerCpuPercent: (number | null)[]; peakRssBytes: number };
  /**
   * Whole machine during the steady window, in % of one core (200 = both cores of a 2-core box busy).
   * Minus server and generator, it shows what other processes took from the measurement.
   */
  machineLoad: { busyPercent: number | null; loadAverage1m: number };
  /**
   * The server's cost: from /proc with --server-pid, otherwise from a Tickwire server's own /metrics process
   * counters (null for peers without a pid, or when /metrics never answered).
   */
  server: { pid: number | null; source: 'proc' | 'metrics'; cpuPercent: number | null; peakRssBytes: number; lastRssBytes: number } | null;
  timeline: TimelinePoint[];
  /** Resume on reconnect and gap repair, whole run, all clients (see report/storm.ts). */
  resume?: ResumeSummary;
  /** The reconnect storm (--storm-at), or null without one. */
  storm?: StormSummary | null;
  /** Delivery problems in one place: nonzero anything here means updates were lost or mangled. */
  verdict: {
    missing: number;
    duplicates: number;
    outOfOrder: number;
    decodeErrors: number;
    heartbeatAhead: number;
    /** Most connections seen stalled (open, silent ≥ 3 s) at any sample. */
    maxStalled: number;
    lossFree: boolean;
  };
}

export interface RunHooks {
  /** Called after every one-second sample (the CLI prints the progress line from it). */
  onSample?: (point: TimelinePoint, totals: { clients: number; elapsedS: number; totalS: number }) => void;
  /** Known symbols, skipping GET /api/symbols (tests, bench). */
  symbols?: SymbolRef[];
}

const SAMPLE_MS = 1_000;
/** After the ramp, one second for the last clients' snapshots before the steady window opens. */
const SETTLE_MS = 1_000;

function machineInfo(): LoadTestResult['machine'] {
  return {
    nproc: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

function sumLife(lives: LifeCounts[]): LifeCounts {
  const out: LifeCounts = {
    attempts: 0,
    opened: 0,
    failures: 0,
    open: 0,
    ready: 0,
    churnReconnects: 0,
    unexpectedCloses: {},
    errors: [],
    stalled: 0,
  };
  for (const l of lives) {
    out.stalled += l.stalled;
    out.stormDropped = (out.stormDropped ?? 0) + (l.stormDropped ?? 0);
    out.stormReconnected = (out.stormReconnected ?? 0) + (l.stormReconnected ?? 0);
    out.attempts += l.attempts;
    out.opened += l.opened;
    out.failures += l.failures;
    out.open += l.open;
    out.ready += l.ready;
    out.churnReconnects += l.churnReconnects;
    for (const [code, n] of Object.entries(l.unexpectedCloses)) out.unexpectedCloses[code] = (out.unexpectedCloses[code] ?? 0) + n;
    for (const e of l.errors) if (out.errors.length < 8 && !out.errors.includes(e)) out.errors.push(e);
  }
  return out;
}

const delivered = (c: Counters): number => c.ticks - c.duplicates;

export async function runLoadTest(config: LoadTestConfig, hooks: RunHooks = {}): Promise<LoadTestResult> {
  validateConfig(config);
  const base = parseTarget(config.url, config.allowRemote);
  const symbols = hooks.symbols ?? (await fetchSymbols(base));
  const workers = Math.min(config.workers, config.clients);
  const startedAt = new Date();
  const startAtMs = Date.now() + 200;
  const steadyStartMs = Math.ceil((config.rampUpMs + SETTLE_MS) / SAMPLE_MS) * SAMPLE_MS;
  const steadyIntervals = Math.max(1, Math.ceil(config.durationMs / SAMPLE_MS));
  const totalIntervals = steadyStartMs / SAMPLE_MS + steadyIntervals;

  const threads: Worker[] = [];
  const latestSample: (WorkerSample | null)[] = new Array<WorkerSample | null>(workers).fill(null);
  const finals: (WorkerFinal | null)[] = new Array<WorkerFinal | null>(workers).fill(null);
  const workerErrors: string[] = [];
  let pendingSample: { seq: number; waiting: number; resolve: () => void } | null = null;
  let pendingFinal: { waiting: number; resolve: () => void } | null = null;

  const deadline = setTimeout(() => {
    for (const w of threads) void w.terminate();
  }, hardDeadlineMs(config));

  for (let i = 0; i < workers; i++) {
    const init: WorkerInit = { workerIndex: i, workers, config, symbols, startAtMs };
    const w = new Worker(new URL('./worker.js', import.meta.url), { workerData: init });
    w.on('message', (m: FromWorker) => {
      if (m.type === 'sample') {
        latestSample[m.worker] = m;
        if (pendingSample !== null && m.seq === pendingSample.seq && --pendingSample.waiting === 0) pendingSample.resolve();
      } else if (m.type === 'final') {
        finals[m.worker] = m;
        if (pendingFinal !== null && --pendingFinal.waiting === 0) pendingFinal.resolve();
      } else {
        workerErrors.push(`worker ${m.worker}: ${m.message}`);
      }
    });
    w.on('error', (error) => workerErrors.push(`worker ${i}: ${error.message}`));
    threads.push(w);
  }
  const send = (m: ToWorker): void => {
    for (const w of threads) w.postMessage(m);
  };

  const self = new ProcessWatcher('self');
  const server =
    config.serverPid !== null ? new ProcessWatcher(config.serverPid) : PEER_TRANSPORTS.includes(config.transport) ? null : new MetricsWatcher(base);
  self.sample();
  await server?.sample();
  const workerCpuAtSteady: (number | null)[] = new Array<number | null>(workers).fill(null);
  let machineAtSteady: { busyMs: number; totalMs: number } | null = null;
  let steadyWallStart = 0;
  let steadyWallEnd = 0;
  let steadyFirst: { all: Counters } | null = null;
  let steadyLast: { all: Counters } | null = null;
  const timeline: TimelinePoint[] = [];
  const soFar = newHistogram();
  let prev = { all: zeroCounters(), normal: zeroCounters(), t: performance.now(), failures: 0 };

  try {
    await sleepUntil(startAtMs);
    for (let k = 1; k <= totalIntervals; k++) {
      await sleepUntil(startAtMs + k * SAMPLE_MS);
      const steady = k * SAMPLE_MS > steadyStartMs;
      if (workerErrors.length > 0) throw new Error(workerErrors.join('; '));
      await new Promise<void>((resolve) => {
        pendingSample = { seq: k, waiting: workers, resolve };
        send({ type: 'sample', seq: k, steady });
        // A saturated worker may answer late; the coordinator never waits more than a few seconds. Not
        // unref'd: while a busy worker (e.g. in 1,000 TLS handshakes) is silent it is the only handle of the
        // main thread, and without it Node exited mid-run with code 0 and no report.
        setTimeout(resolve, 5_000);
      });
      pendingSample = null;
      const t = performance.now();
      const samples = latestSample.filter((s): s is WorkerSample => s !== null);
      const normal = samples.reduce((acc, s) => addCounters(acc, s.counters), zeroCounters());
      const all = samples.reduce((acc, s) => addCounters(addCounters(acc, s.counters), s.slowCounters), zeroCounters());
      const life = sumLife(samples.map((s) => s.life));
      const hist = newHistogram();
      const sendHist = newHistogram();
      for (const s of samples) {
        if (s.seq !== k) continue;
        mergeEncoded(hist, s.eventHist);
        mergeEncoded(sendHist, s.sendHist);
      }
      soFar.add(hist);
      const lat = summarize(hist);
      const sendLat = summarize(sendHist);
      hist.destroy();
      sendHist.destroy();
      const dt = (t - prev.t) / 1000;
      const genCpu = self.sample();
      const srvCpu = (await server?.sample()) ?? null;
      const point: TimelinePoint = {
        t: (k * SAMPLE_MS) / 1000,
        steady,
        open: life.open,
        ready: life.ready,
        updatesPerSec: Math.round((delivered(all) - delivered(prev.all)) / dt),
        bytesPerSec: Math.round((all.bytes - prev.all.bytes) / dt),
        framesPerSec: Math.round((all.frames - prev.all.frames) / dt),
        p50: lat.p50,
        p90: lat.p90,
        p99: lat.p99,
        max: lat.max,
        sendP99: sendLat.p99,
        p99SoFar: summarize(soFar).p99,
        missing: normal.missing,
        duplicates: normal.duplicates,
        outOfOrder: normal.outOfOrder,
        failures: life.failures,
        stalled: life.stalled,
        generatorCpu: genCpu === null ? null : Math.round(genCpu),
        serverCpu: srvCpu === null ? null : Math.round(srvCpu),
        serverRssMiB: server === null || server.lastRssBytes === 0 ? null : Math.round((server.lastRssBytes / 1048576) * 10) / 10,
      };
      timeline.push(point);
      if (!steady && (k + 1) * SAMPLE_MS > steadyStartMs) {
        // The next interval opens the steady window: remember where it starts.
        steadyFirst = { all };
        steadyWallStart = t;
        self.markWindow();
        server?.markWindow();
        machineAtSteady = machineCpu();
        samples.forEach((s) => (workerCpuAtSteady[s.worker] = s.threadCpuMs));
      }
      if (steady) {
        steadyLast = { all };
        steadyWallEnd = t;
      }
      prev = { all, normal, t, failures: life.failures };
      hooks.onSample?.(point, { clients: config.clients, elapsedS: (k * SAMPLE_MS) / 1000, totalS: (totalIntervals * SAMPLE_MS) / 1000 });
    }
  } finally {
    clearTimeout(deadline);
    soFar.destroy();
  }

  const machineEnd = machineCpu();
  const machineBusy =
    machineAtSteady !== null && machineEnd !== null && machineEnd.totalMs > machineAtSteady.totalMs
      ? Math.round((100 * availableParallelism() * (machineEnd.busyMs - machineAtSteady.busyMs)) / (machineEnd.totalMs - machineAtSteady.totalMs))
      : null;
  const loadAverage1m = Math.round(loadavg()[0]! * 100) / 100;
  const generatorCpu = self.windowPercent();
  const serverCpu = (await server?.windowPercent()) ?? null;
  const steadyWallS = (steadyWallEnd - steadyWallStart) / 1000;
  const workerCpuPercent = latestSample.map((s, i) => {
    const startCpu = workerCpuAtSteady[i];
    if (s === null || s.threadCpuMs === null || startCpu === null || startCpu === undefined || steadyWallS <= 0) return null;
    return Math.round((100 * (s.threadCpuMs - startCpu)) / (steadyWallS * 1000));
  });

  // Stop: every worker closes its clients and reports its steady-window histograms.
  const finalDeadline = setTimeout(() => {
    for (const w of threads) void w.terminate();
  }, config.graceMs + 10_000);
  await new Promise<void>((resolve) => {
    pendingFinal = { waiting: workers, resolve };
    send({ type: 'stop', graceMs: config.graceMs });
    setTimeout(resolve, config.graceMs + 8_000).unref();
  });
  clearTimeout(finalDeadline);
  await Promise.all(threads.map((w) => w.terminate()));
  const got = finals.filter((f): f is WorkerFinal => f !== null);
  if (got.length < workers) workerErrors.push(`${workers - got.length} worker(s) sent no final report (load generator overloaded?)`);
  if (got.length === 0) throw new Error(workerErrors.join('; '));

  const merge = (pick: (f: WorkerFinal) => string): LatencySummary => {
    const h = newHistogram();
    for (const f of got) mergeEncoded(h, pick(f));
    const s = summarize(h);
    h.destroy();
    return s;
  };
  const counters = got.reduce((acc, f) => addCounters(acc, f.counters), zeroCounters());
  const slowCounters = got.reduce((acc, f) => addCounters(acc, f.slowCounters), zeroCounters());
  const life = sumLife(got.map((f) => f.life));
  for (const e of workerErrors) if (!life.errors.includes(e)) life.errors.push(e);
  const clients: WorkerFinal['clients'] = { normal: 0, slow: 0, churn: 0, byAdapter: {} };
  for (const f of got) {
    clients.normal += f.clients.normal;
    clients.slow += f.clients.slow;
    clients.churn += f.clients.churn;
    for (const [a, n] of Object.entries(f.clients.byAdapter)) clients.byAdapter[a] = (clients.byAdapter[a] ?? 0) + n;
  }
  const first = steadyFirst?.all ?? zeroCounters();
  const last = steadyLast?.all ?? first;
  const rate = (n: number): number => (steadyWallS > 0 ? Math.round(n / steadyWallS) : 0);

  return {
    tool: 'tickwire-loadtest',
    formatVersion: 1,
    label: config.label,
    startedAt: startedAt.toISOString(),
    machine: machineInfo(),
    config,
    symbolsAvailable: symbols.length,
    clients,
    window: { steadyStartS: steadyStartMs / 1000, steadyS: Math.round(steadyWallS * 10) / 10 },
    counters,
    slowCounters,
    steadyCounters: subCounters(last, first),
    rates: {
      updatesPerSec: rate(delivered(last) - delivered(first)),
      bytesPerSec: rate(last.bytes - first.bytes),
      framesPerSec: rate(last.frames - first.frames),
    },
    latency: { event: merge((f) => f.eventHist), send: merge((f) => f.sendHist) },
    slowLatency: { event: merge((f) => f.slowEventHist), send: merge((f) => f.slowSendHist) },
    connections: {
      attempts: life.attempts,
      opened: life.opened,
      failures: life.failures,
      churnReconnects: life.churnReconnects,
      unexpectedCloses: life.unexpectedCloses,
      connectMs: merge((f) => f.connectHist),
      firstSnapshotMs: merge((f) => f.firstDataHist),
      errors: life.errors,
    },
    generator: {
      workers,
      cpuPercent: generatorCpu === null ? null : Math.round(generatorCpu),
      workerCpuPercent,
      peakRssBytes: self.peakRssBytes,
    },
    machineLoad: { busyPercent: machineBusy, loadAverage1m },
    server:
      server === null || (server instanceof MetricsWatcher && server.readings === 0)
        ? null
        : {
            pid: config.serverPid,
            source: server instanceof MetricsWatcher ? 'metrics' : 'proc',
            cpuPercent: serverCpu === null ? null : Math.round(serverCpu),
            peakRssBytes: server.peakRssBytes,
            lastRssBytes: server.lastRssBytes,
          },
    timeline,
    resume: resumeSummary(counters, slowCounters),
    storm:
      config.stormAtMs === undefined || config.stormAtMs === null
        ? null
        : {
            atS: config.stormAtMs / 1000,
            dropped: life.stormDropped ?? 0,
            reconnected: life.stormReconnected ?? 0,
            reconnectMs: merge((f) => f.stormHist ?? ''),
          },
    verdict: {
      missing: counters.missing,
      duplicates: counters.duplicates,
      outOfOrder: counters.outOfOrder,
      decodeErrors: counters.decodeErrors,
      heartbeatAhead: counters.heartbeatAhead,
      maxStalled: Math.max(0, ...timeline.map((p) => p.stalled)),
      lossFree: counters.missing === 0 && counters.duplicates === 0 && counters.outOfOrder === 0 && counters.decodeErrors === 0,
    },
  };
}

function sleepUntil(epochMs: number): Promise<void> {
  const ms = epochMs - Date.now();
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
