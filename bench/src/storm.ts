// Reconnect storms: 5,000 WebSocket clients × 5 symbols on the default feed, all knocked off at once — by a
// network blip (every client cuts its socket and comes back within 1 s) and by a SIGTERM restart of the
// server (1001 with a retry hint, state file, same port) — and how long until every one of them is current
// again, what the server's core spent meanwhile, the feed → client p99 of the first updates after it, and
// whether any tick was lost across the resume. Entry: `npm run bench -- --storm [--quick]`.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '@tickwire/feeds/random';
import { FrameType } from '@tickwire/protocol/messages';
import { Route, routeUrl } from '@tickwire/protocol/routes';
import { StreamAccounting } from '@tickwire/loadtest/accounting';
import { ADAPTER_CONNECT } from '@tickwire/loadtest/adapters/index';
import type { Connect } from '@tickwire/loadtest/adapters/types';
import { LifecycleStats, SimClient } from '@tickwire/loadtest/client';
import { DEFAULTS } from '@tickwire/loadtest/config';
import { AccountingSink, type Counters } from '@tickwire/loadtest/counters';
import { newHistogram, recordUs, summarize, type Histogram, type LatencySummary } from '@tickwire/loadtest/histogram';
import { ProcessWatcher } from '@tickwire/loadtest/proc';
import { nowMs } from '@tickwire/loadtest/swarm';
import { fetchSymbols, SymbolPicker } from '@tickwire/loadtest/symbols';
import { SHAPES, SYMBOLS_PER_CLIENT } from './clients-per-core.js';
import { planPinning, pinSelf, type PinningPlan } from './cpu-pinning.js';
import type { Machine } from './machine.js';
import { startTarget, type RunningServer } from './servers.js';

export const STORM_CLIENTS = 5_000;
/** Quick mode (CI smoke test of the harness, under a minute). */
export const QUICK_STORM_CLIENTS = 500;
/** The issue's target: a 5,000-client storm fully current again within this. */
export const CURRENT_TARGET_MS = 5_000;
/** Feed → client latency of each client's first updates: those received in this long after it is current. */
export const AFTER_WINDOW_MS = 2_000;
/** The steady window before each storm whose latency is the "before" figure. */
export const BEFORE_WINDOW_MS = 2_000;
/** Bounds: connecting everyone, and waiting for everyone to be current after a storm. */
const CONNECT_BOUND_MS = 90_000;
const RECOVER_BOUND_MS = 60_000;
/** Clients started per ramp tick (every 20 ms): 5,000 in 2 s. */
const RAMP_GROUP = 50;

export type StormKind = 'blip' | 'restart';

export interface StormResult {
  kind: StormKind;
  clients: number;
  /** Clients current again within the bound (all of them when the storm recovered). */
  current: number;
  /** Storm start (cut, or SIGTERM) → the last client current again; null when some never were within the bound. */
  allCurrentMs: number | null;
  /** Per client: storm start → current again, ms. */
  perClientMs: LatencySummary;
  /** Restart only: SIGTERM → the new server listening, ms. */
  downMs: number | null;
  /** Server CPU, % of one core, from the storm start (restart: the new server's listen) to all current; and the highest 250 ms sample. */
  serverCpuPercent: number | null;
  serverCpuPeakPercent: number | null;
  /** The same process in the steady window before the storm (the feed's fan-out alone), for comparison. */
  serverCpuBeforePercent: number | null;
  generatorCpuPercent: number | null;
  /** Feed → client latency of live ticks: the steady window before, and each client's first AFTER_WINDOW_MS after. */
  latencyBefore: LatencySummary;
  latencyAfter: LatencySummary;
  /** Reconnects with a resume cursor; how many came back by replay, how many by snapshot (client side). */
  resumes: { attempts: number; replayed: number; snapshot: number; snapshotSameEpoch: number };
  /** Server side (/metrics tickwire_resumes_total of the serving process, during the storm). */
  serverResumes: { replay: number | null; snapshot: number | null };
  /** Loss across the storm: seqs missing, gaps after a resume, heartbeats ahead of what arrived, losses still open. */
  loss: { missing: number; gapEvents: number; gapsAfterResume: number; heartbeatAhead: number; openGaps: number };
  /** A few client-side errors, for the report. */
  errors: string[];
  pass: boolean;
  reasons: string[];
}

export interface StormReport {
  formatVersion: 1;
  kind: 'storm';
  quick: boolean;
  machine: Machine;
  /** 1, 5 and 15 min load averages when the run started (the machine is shared). */
  loadAverage: number[];
  command: string;
  durationS: number;
  resultsFile: string;
  pinning: PinningPlan;
  settings: { clients: number; symbolsPerClient: number; feed: string; seed: number; targetMs: number; afterWindowMs: number; beforeWindowMs: number };
  storms: StormResult[];
  /** Why the clients never got connected (no storm was run), with the server's and clients' CPU meanwhile; null when they did. */
  notConnected: { reason: string; serverCpuPercent: number | null; generatorCpuPercent: number | null } | null;
}

export interface StormOptions {
  quick: boolean;
  clients?: number;
  kinds?: StormKind[];
  resultsFile: string;
  command: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until `done()` holds, checking every 50 ms, at most `boundMs`; true when it held. */
async function until(done: () => boolean, boundMs: number, each?: () => void): Promise<boolean> {
  const end = performance.now() + boundMs;
  while (performance.now() < end) {
    each?.();
    if (done()) return true;
    await sleep(50);
  }
  return done();
}

/**
 * A free loopback port below the ephemeral range, as server/test/harness.ts freeFixedPort: the restarted
 * server must listen on the same port again, and a port picked by `--port 0` can sit in TIME_WAIT.
 */
async function freeFixedPort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const probe = createNetServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free port found in 20000..32000');
}

/** The load tester's sink, plus a histogram that the live ticks of chosen frames also go to. */
class StormSink extends AccountingSink {
  window: Histogram | null = null;
  override eventSample(ms: number, count: number): void {
    super.eventSample(ms, count);
    if (this.window !== null && ms >= 0) recordUs(this.window, ms * 1000, count);
  }
}

/** One client's view of the storm: its connections, and when it was current again. */
interface Tracker {
  /** Connection number (one per connect); the storm marks the one it interrupted. */
  conn: number;
  stormConn: number;
  /** The current connection received the Ack of its subscribe: every catch-up frame came before it. */
  acked: boolean;
  waiting: boolean;
  currentAt: number;
}

/**
 * "Current again": on a connection opened after the storm began, the client has received the Ack of its
 * subscribe — so every catch-up frame (the replayed ticks from its resume cursor, or a snapshot) came before
 * it, and it holds the server's published seq of each of its symbols with no gap (the accounting checks the
 * chain) — and then a live Updates frame, so delivery runs again.
 */
class StormSwarm {
  readonly sink = new StormSink();
  readonly life = new LifecycleStats();
  readonly clients: SimClient[] = [];
  readonly trackers: Tracker[] = [];
  before: Histogram = newHistogram();
  after: Histogram = newHistogram();
  recordBefore = false;
  stormAt = Number.NaN;
  current = 0;
  readonly perClient: Histogram = newHistogram();

  constructor(base: URL, picker: SymbolPicker, clients: number, seed: number) {
    const rng = new Rng(seed * 7919 + 1);
    const random = (): number => rng.uniform();
    for (let i = 0; i < clients; i++) {
      const tracker: Tracker = { conn: 0, stormConn: -1, acked: false, waiting: false, currentAt: Number.NaN };
      this.trackers.push(tracker);
      this.clients.push(
        new SimClient({
          index: i,
          kind: 'normal',
          connect: this.#connect(tracker),
          base,
          symbols: picker.pick(seed, i, SYMBOLS_PER_CLIENT),
          history: DEFAULTS.history,
          localAddress: undefined,
          sink: this.sink,
          life: this.life,
          now: nowMs,
          random,
          slowRateBps: 0,
          churnIntervalMs: 0,
          wsClient: 'raw',
          token: null,
          resume: true,
        }),
      );
    }
  }

  /** The load tester's Tickwire WebSocket adapter, with every frame seen first by the storm's bookkeeping. */
  #connect(t: Tracker): Connect {
    return (options) => {
      t.conn++;
      t.acked = false;
      const stream: StreamAccounting = options.hooks.stream;
      const account = stream.tickwireFrame.bind(stream);
      stream.tickwireFrame = (bytes, recvMs) => {
        const type = bytes[1];
        if (type === FrameType.Ack) t.acked = true;
        const live = type === FrameType.Updates && t.acked;
        if (live && t.waiting && t.conn !== t.stormConn) {
          t.waiting = false;
          t.currentAt = recvMs;
          this.current++;
          recordUs(this.perClient, Math.max(0, recvMs - this.stormAt) * 1000);
        }
        this.sink.window = !live ? null : this.recordBefore ? this.before : t.currentAt > 0 && recvMs - t.currentAt <= AFTER_WINDOW_MS ? this.after : null;
        const ok = account(bytes, recvMs);
        this.sink.window = null;
        return ok;
      };
      return ADAPTER_CONNECT['tickwire-ws'](options);
    };
  }

  async open(log: (line: string) => void): Promise<void> {
    const end = performance.now() + CONNECT_BOUND_MS;
    let said = performance.now();
    const progress = (): void => {
      if (performance.now() - said < 5_000) return;
      said = performance.now();
      log(`  connecting: ${this.life.opened} opened, ${this.life.ready} with data, ${this.life.failures} failed attempts`);
    };
    // A generator whose core is full starves its own timers: the ramp is bounded in time as well as count.
    for (let i = 0; i < this.clients.length; i += RAMP_GROUP) {
      if (performance.now() > end) {
        throw new Error(
          `only ${i} of ${this.clients.length} clients started within ${CONNECT_BOUND_MS / 1000} s (${this.life.ready} with data): ` +
            'the load generator could not keep up with the clients already connected (see its CPU)',
        );
      }
      for (const c of this.clients.slice(i, i + RAMP_GROUP)) c.start();
      progress();
      await sleep(20);
    }
    const ok = await until(() => this.trackers.every((t) => t.acked) && this.life.ready >= this.clients.length, Math.max(0, end - performance.now()), progress);
    if (!ok)
      throw new Error(
        `only ${this.life.ready} of ${this.clients.length} clients connected within ${CONNECT_BOUND_MS / 1000} s (errors: ${this.life.errors.join('; ')})`,
      );
  }

  /** Starts a storm's bookkeeping: every client waits to be current again from now. */
  mark(): void {
    this.stormAt = nowMs();
    this.current = 0;
    this.perClient.reset();
    this.after.reset();
    for (const t of this.trackers) {
      t.waiting = true;
      t.stormConn = t.conn;
      t.currentAt = Number.NaN;
    }
  }

  stop(): void {
    for (const c of this.clients) c.stop(false);
  }
}

/** tickwire_resumes_total by result, from the serving process's /metrics (null when unreadable). */
async function serverResumes(url: string): Promise<{ replay: number | null; snapshot: number | null }> {
  try {
    const text = await (await fetch(routeUrl(url, Route.metrics), { signal: AbortSignal.timeout(3_000) })).text();
    const read = (result: string): number => {
      const m = new RegExp(`^tickwire_resumes_total\\{[^}]*result="${result}"[^}]*\\}\\s+(\\S+)`, 'm').exec(text);
      return m === null ? 0 : Number(m[1]);
    };
    return { replay: read('replay'), snapshot: read('snapshot') };
  } catch {
    return { replay: null, snapshot: null };
  }
}

function diff(a: Counters, b: Counters, key: keyof Counters): number {
  return a[key] - b[key];
}

interface Recovery {
  recovered: boolean;
  cpu: number | null;
  peak: number | null;
  generator: number | null;
}

/** Waits (bounded) until every client is current, sampling the server's CPU every 250 ms. */
async function recover(swarm: StormSwarm, server: ProcessWatcher): Promise<Recovery> {
  const generator = new ProcessWatcher('self');
  generator.markWindow();
  server.markWindow();
  let peak: number | null = null;
  let last = performance.now();
  const recovered = await until(
    () => swarm.current >= swarm.clients.length,
    RECOVER_BOUND_MS,
    () => {
      if (performance.now() - last < 250) return;
      last = performance.now();
      const p = server.sample();
      if (p !== null) peak = Math.max(peak ?? 0, p);
    },
  );
  const cpu = server.windowPercent();
  return {
    recovered,
    cpu: cpu === null ? null : Math.round(cpu),
    peak: peak === null ? null : Math.round(peak),
    generator: roundOrNull(generator.windowPercent()),
  };
}

const roundOrNull = (x: number | null): number | null => (x === null ? null : Math.round(x));

function result(
  kind: StormKind,
  swarm: StormSwarm,
  r: Recovery & { before: number | null },
  counters: { before: Counters; after: Counters },
  downMs: number | null,
  resumes: StormResult['serverResumes'],
): StormResult {
  const c = (key: keyof Counters): number => diff(counters.after, counters.before, key);
  const perClient = summarize(swarm.perClient);
  const allCurrentMs = r.recovered ? perClient.max : null;
  const loss = {
    missing: c('missing'),
    gapEvents: c('gapEvents'),
    gapsAfterResume: c('gapsAfterResume'),
    heartbeatAhead: c('heartbeatAhead'),
    openGaps: counters.after.openGaps,
  };
  const reasons: string[] = [];
  if (allCurrentMs === null) reasons.push(`${swarm.clients.length - swarm.current} client(s) not current within ${RECOVER_BOUND_MS / 1000} s`);
  else if (allCurrentMs > CURRENT_TARGET_MS) reasons.push(`all current after ${(allCurrentMs / 1000).toFixed(2)} s > ${CURRENT_TARGET_MS / 1000} s`);
  if (loss.missing > 0 || loss.gapEvents > 0 || loss.heartbeatAhead > 0)
    reasons.push(`loss: ${loss.missing} seqs missing, ${loss.gapEvents} gaps, ${loss.heartbeatAhead} heartbeats ahead`);
  return {
    kind,
    clients: swarm.clients.length,
    current: swarm.current,
    allCurrentMs,
    perClientMs: perClient,
    downMs,
    serverCpuPercent: r.cpu,
    serverCpuPeakPercent: r.peak,
    serverCpuBeforePercent: r.before,
    generatorCpuPercent: r.generator,
    latencyBefore: summarize(swarm.before),
    latencyAfter: summarize(swarm.after),
    resumes: { attempts: c('resumeAttempts'), replayed: c('reconnectsReplayed'), snapshot: c('reconnectsSnapshot'), snapshotSameEpoch: c('resumeMissed') },
    serverResumes: resumes,
    loss,
    errors: [...swarm.life.errors],
    pass: reasons.length === 0,
    reasons,
  };
}

/** The steady window before a storm: its live ticks are the "before" latency. */
async function steady(swarm: StormSwarm, server: RunningServer): Promise<number | null> {
  const watcher = new ProcessWatcher(server.pid);
  watcher.markWindow();
  swarm.before.reset();
  swarm.recordBefore = true;
  await sleep(BEFORE_WINDOW_MS);
  swarm.recordBefore = false;
  return roundOrNull(watcher.windowPercent());
}

async function blip(swarm: StormSwarm, server: RunningServer, log: (line: string) => void): Promise<StormResult> {
  const cpuBefore = await steady(swarm, server);
  const before = { ...swarm.sink.counters };
  const resumes0 = await serverResumes(server.url);
  const watcher = new ProcessWatcher(server.pid);
  swarm.mark();
  for (const c of swarm.clients) c.storm();
  const r = await recover(swarm, watcher);
  await sleep(AFTER_WINDOW_MS);
  const resumes1 = await serverResumes(server.url);
  const sub = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : a - b);
  const res = result('blip', swarm, { ...r, before: cpuBefore }, { before, after: { ...swarm.sink.counters } }, null, {
    replay: sub(resumes1.replay, resumes0.replay),
    snapshot: sub(resumes1.snapshot, resumes0.snapshot),
  });
  log(line(res));
  return res;
}

async function restart(
  swarm: StormSwarm,
  server: RunningServer,
  startAgain: () => Promise<RunningServer>,
  log: (line: string) => void,
): Promise<{ res: StormResult; server: RunningServer }> {
  const cpuBefore = await steady(swarm, server);
  const before = { ...swarm.sink.counters };
  swarm.mark();
  const t0 = performance.now();
  const code = await server.stop();
  if (code !== 0) throw new Error(`the server exited with ${code} on SIGTERM; stderr: ${server.stderr()}`);
  const next = await startAgain();
  const downMs = Math.round(performance.now() - t0);
  const r = await recover(swarm, new ProcessWatcher(next.pid));
  await sleep(AFTER_WINDOW_MS);
  const res = result('restart', swarm, { ...r, before: cpuBefore }, { before, after: { ...swarm.sink.counters } }, downMs, await serverResumes(next.url));
  log(line(res));
  return { res, server: next };
}

function line(r: StormResult): string {
  const s = (ms: number | null): string => (ms === null ? '—' : `${(ms / 1000).toFixed(2)} s`);
  return (
    `  ${r.kind}: ${r.current}/${r.clients} current again, all after ${s(r.allCurrentMs)} (p50 ${s(r.perClientMs.p50)}, p99 ${s(r.perClientMs.p99)})` +
    `${r.downMs !== null ? `, server down ${s(r.downMs)}` : ''}; server ${r.serverCpuPercent ?? '?'}% (peak ${r.serverCpuPeakPercent ?? '?'}%, steady ${r.serverCpuBeforePercent ?? '?'}%), ` +
    `p99 before ${r.latencyBefore.p99} ms → after ${r.latencyAfter.p99} ms (${r.latencyAfter.count} ticks); ` +
    `resumed ${r.resumes.replayed} replay / ${r.resumes.snapshot} snapshot; missing ${r.loss.missing}, gaps ${r.loss.gapEvents}` +
    `${r.pass ? '  PASS' : `  FAIL: ${r.reasons.join('; ')}`}`
  );
}

export async function runStorms(o: StormOptions, machine: Machine, log: (line: string) => void): Promise<StormReport> {
  const started = performance.now();
  const loadAverage = loadavg().map((x) => Math.round(x * 100) / 100);
  const plan = planPinning();
  const pinError = plan.pinned ? pinSelf(plan.generator) : null;
  const pinning: PinningPlan = pinError === null ? plan : { pinned: false, reason: pinError };
  log(pinning.pinned ? `pinning: server on CPU ${pinning.server}, load generator on CPU ${pinning.generator}` : `not pinned: ${pinning.reason}`);
  const clients = o.clients ?? (o.quick ? QUICK_STORM_CLIENTS : STORM_CLIENTS);
  const kinds = o.kinds ?? ['blip', 'restart'];
  const shape = SHAPES[0]!;
  const seed = 1;
  const dir = mkdtempSync(join(tmpdir(), 'tickwire-storm-'));
  const port = await freeFixedPort();
  // The state file makes a SIGTERM restart continue the same stream (server/src/state-file.ts): clients resume.
  const serverArgs = ['--port', String(port), '--state-file', join(dir, 'state.json')];
  const start = (): Promise<RunningServer> =>
    startTarget(
      'tickwire',
      { seed, symbols: shape.symbols, tickRate: shape.tickRate },
      { serverArgs, startTimeoutMs: 90_000, ...(pinning.pinned ? { cpus: pinning.server } : {}) },
    );
  log(`reconnect storms: ${clients} WebSocket clients × ${SYMBOLS_PER_CLIENT} symbols, feed: ${shape.label}; load average ${loadAverage.join(' ')}`);
  let server = await start();
  let swarm: StormSwarm | null = null;
  const storms: StormResult[] = [];
  let notConnected: StormReport['notConnected'] = null;
  try {
    const symbols = await fetchSymbols(new URL(server.url));
    swarm = new StormSwarm(new URL(server.url), new SymbolPicker(symbols, 'uniform'), clients, seed);
    const serverCpu = new ProcessWatcher(server.pid);
    const generatorCpu = new ProcessWatcher('self');
    serverCpu.markWindow();
    generatorCpu.markWindow();
    try {
      await swarm.open(log);
    } catch (error) {
      // Recorded, not thrown: that this machine cannot hold the clients in steady state is the finding.
      notConnected = {
        reason: error instanceof Error ? error.message : String(error),
        serverCpuPercent: roundOrNull(serverCpu.windowPercent()),
        generatorCpuPercent: roundOrNull(generatorCpu.windowPercent()),
      };
      log(
        `  not connected: ${notConnected.reason}; server ${notConnected.serverCpuPercent ?? '?'}%, clients ${notConnected.generatorCpuPercent ?? '?'}% of a core`,
      );
    }
    if (notConnected === null) log(`  ${clients} clients connected and subscribed`);
    for (const kind of notConnected === null ? kinds : []) {
      if (kind === 'blip') storms.push(await blip(swarm, server, log));
      else {
        const r = await restart(swarm, server, start, log);
        server = r.server;
        storms.push(r.res);
      }
    }
  } finally {
    swarm?.stop();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    formatVersion: 1,
    kind: 'storm',
    quick: o.quick,
    machine,
    loadAverage,
    command: o.command,
    durationS: Math.round((performance.now() - started) / 1000),
    resultsFile: o.resultsFile,
    pinning,
    settings: {
      clients,
      symbolsPerClient: SYMBOLS_PER_CLIENT,
      feed: shape.label,
      seed,
      targetMs: CURRENT_TARGET_MS,
      afterWindowMs: AFTER_WINDOW_MS,
      beforeWindowMs: BEFORE_WINDOW_MS,
    },
    storms,
    notConnected,
  };
}

// ---- Markdown ----------------------------------------------------------------------------------

export const STORM_COMMAND = 'npm run bench -- --storm';
/** A 1-minute load average at or above this (on the shared 2-core box) marks a run as taken on a busy machine. */
export const BUSY_LOAD = 2;

const sec = (ms: number | null): string => (ms === null ? '—' : (ms / 1000).toFixed(2));
const pct = (x: number | null): string => (x === null ? '?' : `${x}`);

/** The "## Reconnect storms" section: the table of one run, what each column means, and how to reproduce it. */
export function renderStormSection(r: StormReport): string {
  const out: string[] = ['## Reconnect storms', ''];
  out.push(
    `${r.settings.clients.toLocaleString('en-US')} WebSocket clients × ${r.settings.symbolsPerClient} symbols (uniform pick), feed: ${r.settings.feed}; ` +
      `target: a ${STORM_CLIENTS.toLocaleString('en-US')}-client storm fully current again within ${r.settings.targetMs / 1000} s, losing nothing.`,
    '',
  );
  if (r.quick) {
    out.push(
      `**Smoke run (${r.settings.clients} clients, \`${r.command}\`), not the measurement.** ` +
        `The ${STORM_CLIENTS.toLocaleString('en-US')}-client table is not yet measured on a quiet machine: run \`${STORM_COMMAND}\` when \`uptime\` shows a load average below 2.`,
      '',
    );
  }
  const m = r.machine;
  out.push(
    `Run ${m.date.slice(0, 16).replace('T', ' ')} UTC on ${m.nproc} × ${m.cpuModel}, Node ${m.node}, ${m.platform}; load average at start ${r.loadAverage.join(' / ')}; ` +
      `${r.pinning.pinned ? `server pinned to CPU ${r.pinning.server}, clients (one thread) to CPU ${r.pinning.generator}` : `not pinned (${r.pinning.reason})`}. ` +
      `Command: \`${r.command}\`; raw results: \`${r.resultsFile}\`.`,
    '',
  );
  if (r.notConnected !== null) {
    const n = r.notConnected;
    out.push(
      `**Not measured: the ${r.settings.clients.toLocaleString('en-US')} clients never all got connected** — ${n.reason}. ` +
        `Over the attempt the server used ${pct(n.serverCpuPercent)} % and the clients ${pct(n.generatorCpuPercent)} % of their cores.`,
      '',
    );
  }
  const busy = r.loadAverage[0] ?? 0;
  if (busy >= BUSY_LOAD) {
    out.push(
      `_The machine was busy when this ran (load average ${busy} on ${m.nproc} cores): other processes took CPU from the server and the clients alike, ` +
        'so these figures show that the harness works, not what the server does._',
      '',
    );
  }
  if (r.storms.length > 0) {
    out.push(
      "| storm | clients current again | all current (s) | per client p50 / p99 (s) | server down (s) | server CPU %: storm mean / peak (steady before) | clients' CPU % | feed → client p99 before → after (ms) | resumed replay / snapshot | ticks lost | verdict |",
    );
    out.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const s of r.storms) {
      out.push(
        `| ${s.kind === 'blip' ? 'network blip (all cut, back within 1 s)' : 'SIGTERM restart (state file)'} | ${s.current.toLocaleString('en-US')} / ${s.clients.toLocaleString('en-US')} | ` +
          `${sec(s.allCurrentMs)} | ${sec(s.perClientMs.p50)} / ${sec(s.perClientMs.p99)} | ${sec(s.downMs)} | ${pct(s.serverCpuPercent)} / ${pct(s.serverCpuPeakPercent)} (${pct(s.serverCpuBeforePercent)}) | ${pct(s.generatorCpuPercent)} | ` +
          `${s.latencyBefore.p99} → ${s.latencyAfter.p99} | ${s.resumes.replayed.toLocaleString('en-US')} / ${s.resumes.snapshot.toLocaleString('en-US')} | ` +
          `${s.loss.missing + s.loss.heartbeatAhead === 0 ? 'none' : `${s.loss.missing} missing, ${s.loss.heartbeatAhead} heartbeats ahead`} | ${s.pass ? 'pass' : s.reasons.join('; ')} |`,
      );
    }
  }
  out.push('');
  out.push(
    '- **storm**: *network blip* — every client cuts its socket at once (no close frame) and reconnects after a full-jitter delay of 0–500 ms ' +
      "(the load tester's backoff, first attempt) with its resume cursor. *SIGTERM restart* — the server gets SIGTERM, tells every client 1001 with " +
      `a retry hint spread over 0–5 s, saves its state file and exits; a new server starts on the same port with that file (same epoch) and the clients resume. ` +
      "That spread (RECONNECT_SPREAD_MS in server/src/server.ts, there so a restart is no thundering herd) puts this storm's *all current* at about 5 s or more by design.",
    '- **clients current again / all current**: a client is *current again* when, on a connection opened after the storm began, it has received the Ack of ' +
      "its subscribe — every catch-up frame (the ticks replayed from its cursor, or a snapshot) comes before the Ack, so it then holds the server's published " +
      'seq of each of its symbols, the accounting having checked the chain tick by tick — and then one live Updates frame. *All current* is the storm start ' +
      '(the cut, or the SIGTERM) to the last client current again; per client p50 / p99 likewise.',
    '- **server down**: SIGTERM → the new process listening (shutdown, state file saved and loaded, start-up).',
    "- **server CPU**: the serving process from /proc/<pid>/stat, % of one core, from the storm start (restart: the new process listening) until all current; peak = highest 250 ms sample; in brackets the serving process (restart: the old one) over the steady window before the storm (the feed's fan-out alone). The feed keeps running throughout, so storm CPU includes that fan-out.",
    "- **clients' CPU**: the load generator (this process, every client on one thread, pinned to the other core) over the same recovery window: near 100 % means the clients, not the server, set the pace.",
    `- **feed → client p99**: feed event time → client receive time of live ticks (replayed catch-up ticks excluded): *before* = the ${BEFORE_WINDOW_MS / 1000} s steady window before the storm, ` +
      `*after* = each client's first ${AFTER_WINDOW_MS / 1000} s of live updates once current again.`,
    '- **resumed replay / snapshot**: reconnects whose cursor was answered with the missed ticks for every symbol, or with a snapshot for at least one (outside the resume window).',
    "- **ticks lost**: seqs that never arrived (a jump in a symbol's chain) plus heartbeats naming a seq above the one held; a snapshot fallback is counted under resumed, not here.",
    '',
  );
  return `${out.join('\n').trimEnd()}\n`;
}
