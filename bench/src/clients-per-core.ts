// Clients per core: how many dashboards one server core serves at a realistic feed within p99 ≤ 100 ms,
// losing nothing. Feed fixed (two shapes), 5 symbols per client, clients walk a ladder (1k → 2k → 5k → 10k
// → 20k) until a step fails; the server is pinned to one core and the load generator (this process) to
// another, and every step records which of the two filled its core and the generator's CPU per update.
// Tickwire (WebSocket, SSE, compact frames when the load tester has them) against both kinds of peers —
// per-tick JSON and same-design batching — in the same run. Tickwire's adaptive batch window can be off,
// on, or both side by side (--adaptive) to measure what it gains. Entry: `npm run bench -- --clients-per-core`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DEFAULTS, type LoadTestConfig, type TransportName } from '@tickwire/loadtest/config';
import { runLoadTest } from '@tickwire/loadtest/run';
import { defaultUniverse } from '@tickwire/feeds/universe';
import { DEFAULT_BATCH_MAX_MS } from '@tickwire/server/config';
import { formatScaled } from '@tickwire/protocol/units';
import { planPinning, pinSelf, type PinningPlan } from './cpu-pinning.js';
import type { Machine } from './machine.js';
import { TICKWIRE_BATCH_MS, startTarget, type ServerKind } from './servers.js';
import { P99_LIMIT_MS, failedStep, rampFor, stepFrom, waitForQuiet, type StepResult } from './sweep.js';

export const CLIENT_LADDER = [1_000, 2_000, 5_000, 10_000, 20_000] as const;
/** Quick mode (CI smoke test of the harness): one tiny step per series and shape. */
export const QUICK_LADDER = [200] as const;
export const SYMBOLS_PER_CLIENT = 5;
/** A process whose CPU reached this share of its core (pinned) is called saturated. */
export const SATURATED_PERCENT = 90;
/** Tickwire's adaptive batch window: off (--batch-max-ms = --batch-ms), on (the server's default bound), or both series. */
export type AdaptiveMode = 'off' | 'on' | 'both';
export const ADAPTIVE_MODES: readonly AdaptiveMode[] = ['off', 'on', 'both'];
/** Sockets besides the clients' that a process needs (files, pipes, listeners). */
const FD_MARGIN = 512;

export interface FeedShape {
  id: 'default' | 'uniform';
  label: string;
  symbols: number;
  /** Ticks per second over all symbols. */
  tickRate: number;
  /** Every symbol equally active (an instrument file with popularity 1), instead of Zipf activity. */
  uniform: boolean;
}

export const SHAPES: readonly FeedShape[] = [
  { id: 'default', label: '50 symbols, 1,000 ticks/s, Zipf activity (the default feed)', symbols: 50, tickRate: 1_000, uniform: false },
  { id: 'uniform', label: '100 symbols × 20 ticks/s, uniform activity', symbols: 100, tickRate: 2_000, uniform: true },
];

export type Design = 'tickwire' | 'per-tick' | 'same-design';

export interface CpcSpec {
  id: string;
  label: string;
  server: ServerKind;
  transport: TransportName;
  design: Design;
  /** Compact Updates frames (needs the load tester's `compact` option). */
  compact?: boolean;
  /** Tickwire only: --batch-max-ms for the server (TICKWIRE_BATCH_MS = adaptation off). */
  batchMaxMs?: number;
}

export const CPC_SERIES: readonly CpcSpec[] = [
  { id: 'tw-ws', label: 'Tickwire WebSocket', server: 'tickwire', transport: 'ws', design: 'tickwire' },
  { id: 'tw-sse', label: 'Tickwire SSE', server: 'tickwire', transport: 'sse', design: 'tickwire' },
  { id: 'tw-ws-compact', label: 'Tickwire WebSocket, compact frames', server: 'tickwire', transport: 'ws', design: 'tickwire', compact: true },
  { id: 'sio', label: 'Socket.IO 4, JSON per tick', server: 'socketio', transport: 'socketio', design: 'per-tick' },
  { id: 'wsjson', label: 'plain ws, JSON per tick', server: 'ws-json', transport: 'ws-json', design: 'per-tick' },
  { id: 'sio-batch', label: 'Socket.IO 4, binary batch per symbol per 20 ms', server: 'socketio-batch', transport: 'socketio-batch', design: 'same-design' },
  { id: 'ws-batch', label: 'plain ws, binary batch per symbol per 20 ms', server: 'ws-batch', transport: 'ws-batch', design: 'same-design' },
];

export type Saturated = 'server' | 'generator' | 'both' | 'neither';

export interface CpcStep extends StepResult {
  clients: number;
  /** Feed → client latency samples in the steady window (percentiles mean nothing without them). */
  latencyCount: number;
  serverUsPerUpdate: number | null;
  generatorUsPerUpdate: number | null;
  saturated: Saturated;
}

export interface CpcSeries {
  spec: CpcSpec;
  steps: CpcStep[];
  /** Largest client count that passed; null when the first step failed. */
  capacity: number | null;
  /** Why the walk stopped: the first failing step's reasons, or that the ladder (or fd limit) ran out. */
  stoppedBy: string;
}

export interface CpcReport {
  formatVersion: 1;
  kind: 'clients-per-core';
  quick: boolean;
  machine: Machine;
  command: string;
  durationS: number;
  resultsFile: string;
  pinning: PinningPlan;
  /** `ulimit -n` of this process (the servers inherit it): a step needing more sockets is not run. */
  fdLimit: number | null;
  settings: {
    seed: number;
    symbolsPerClient: number;
    durationS: number;
    ladder: number[];
    workers: number;
    p99LimitMs: number;
    batchMs: number;
    /** Absent in reports from before the adaptive window (a fixed window then). */
    adaptive?: AdaptiveMode;
    batchMaxMs?: number;
  };
  /** Series not run, and why (e.g. compact frames without load-tester support). */
  skipped: Array<{ id: string; reason: string }>;
  shapes: Array<{ shape: FeedShape; series: CpcSeries[] }>;
}

export interface CpcOptions {
  quick: boolean;
  /** Series ids (default: all). */
  series?: string[];
  /** Shape ids (default: both). */
  shapes?: string[];
  ladder?: number[];
  durationS?: number;
  /** Generator worker threads (default 1 when pinned: the generator has one core). */
  workers?: number;
  /** Tickwire's adaptive batch window (default on, as the server ships). */
  adaptive?: AdaptiveMode;
  /** Where the caller writes the JSON (shown in the report). */
  resultsFile: string;
  command: string;
}

/** Id of the adaptive twin of a Tickwire series in an `--adaptive both` run. */
export function adaptiveId(id: string): string {
  return `${id}-adaptive`;
}

/**
 * Tickwire series with their batch window set: one each for off or on, two for both (the fixed one keeps
 * its id, the adaptive one is adaptiveId()). Peers have no adaptive window and stay as they are.
 */
export function withBatchWindows(series: readonly CpcSpec[], mode: AdaptiveMode): CpcSpec[] {
  const fixed = (s: CpcSpec): CpcSpec => ({ ...s, batchMaxMs: TICKWIRE_BATCH_MS });
  const adaptive = (s: CpcSpec): CpcSpec => ({ ...s, batchMaxMs: DEFAULT_BATCH_MAX_MS });
  return series.flatMap((s) => {
    if (s.server !== 'tickwire') return [s];
    if (mode === 'off') return [fixed(s)];
    if (mode === 'on') return [adaptive(s)];
    return [
      { ...fixed(s), label: `${s.label}, fixed ${TICKWIRE_BATCH_MS} ms window` },
      { ...adaptive(s), id: adaptiveId(s.id), label: `${s.label}, adaptive ${TICKWIRE_BATCH_MS}–${DEFAULT_BATCH_MAX_MS} ms window` },
    ];
  });
}

/** Whether the load tester can ask for compact frames (another change adds `compact` to its config). */
export function loadTesterHasCompact(): boolean {
  return 'compact' in DEFAULTS;
}

function fdLimit(): number | null {
  try {
    const n = Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

/** The uniform shape as an instrument file (Tickwire's --instruments format, which the peers read too). */
function uniformInstrumentFile(symbols: number): string {
  const instruments = defaultUniverse(symbols).map((i) => ({
    ticker: i.ticker,
    name: i.name,
    assetClass: i.assetClass,
    priceScale: i.priceScale,
    sizeScale: i.sizeScale,
    price: formatScaled(i.initialPrice, i.priceScale),
    annualVol: i.annualVol,
    spreadTicks: i.baseSpreadTicks,
    sizeSigma: Math.min(3, i.sizeSigma),
    popularity: 1,
  }));
  const path = join(mkdtempSync(join(tmpdir(), 'tickwire-cpc-')), `uniform-${symbols}.json`);
  writeFileSync(path, JSON.stringify({ instruments }));
  return path;
}

/** Which process filled its core during the step. */
export function saturation(serverCpu: number | null, generatorCpu: number | null): Saturated {
  const s = (serverCpu ?? 0) >= SATURATED_PERCENT;
  const g = (generatorCpu ?? 0) >= SATURATED_PERCENT;
  return s && g ? 'both' : s ? 'server' : g ? 'generator' : 'neither';
}

/** CPU µs per delivered update from a CPU % of one core and updates/s. */
export function usPerUpdate(cpuPercent: number | null, updatesPerSec: number): number | null {
  return cpuPercent === null || updatesPerSec <= 0 ? null : Math.round((cpuPercent * 10_000 * 100) / updatesPerSec) / 100;
}

export interface StepContext {
  shape: FeedShape;
  shapeArgs: string[];
  plan: PinningPlan;
  seed: number;
  durationMs: number;
  workers: number;
  /** Wait for other processes to calm down before each step (not in quick mode: a smoke test measures nothing). */
  waitQuiet: boolean;
  log: (line: string) => void;
}

async function runStep(spec: CpcSpec, clients: number, c: StepContext): Promise<CpcStep> {
  const t0 = performance.now();
  const extend = (step: StepResult, latencyCount: number): CpcStep => ({
    ...step,
    clients,
    latencyCount,
    serverUsPerUpdate: usPerUpdate(step.serverCpu, step.updatesPerSec),
    generatorUsPerUpdate: usPerUpdate(step.generatorCpu, step.updatesPerSec),
    saturated: saturation(step.serverCpu, step.generatorCpu),
  });
  let server;
  try {
    server = await startTarget(
      spec.server,
      { seed: c.seed, symbols: c.shape.symbols, tickRate: c.shape.tickRate },
      {
        serverArgs: [...c.shapeArgs, ...(spec.batchMaxMs !== undefined ? ['--batch-max-ms', String(spec.batchMaxMs)] : [])],
        ...(c.plan.pinned ? { cpus: c.plan.server } : {}),
      },
    );
  } catch (error) {
    return extend(failedStep(c.shape.tickRate, error, (performance.now() - t0) / 1000), 0);
  }
  const config = {
    ...DEFAULTS,
    url: server.url,
    clients,
    transport: spec.transport,
    symbolsPerClient: SYMBOLS_PER_CLIENT,
    popularity: 'uniform',
    rampUpMs: rampFor(clients),
    durationMs: c.durationMs,
    graceMs: 2_000,
    workers: c.workers,
    // Beyond ~28k ports per source/destination pair a second loopback source is needed; spread early.
    sourceAddresses: clients > 15_000 ? 2 : 1,
    seed: c.seed,
    serverPid: server.pid,
    progressMs: 0,
    label: `clients-per-core ${c.shape.id} ${spec.id} @ ${clients} clients`,
    ...(spec.compact === true ? { compact: true } : {}),
  } satisfies LoadTestConfig;
  try {
    const result = await runLoadTest(config);
    const step = extend(stepFrom(c.shape.tickRate, result, (performance.now() - t0) / 1000), result.latency.event.count);
    c.log(
      `    ${String(clients).padStart(6)} clients → ${String(step.updatesPerSec).padStart(9)} upd/s  p50 ${step.p50} p99 ${step.p99} ms  ` +
        `server ${step.serverCpu ?? '?'}% (${step.serverUsPerUpdate ?? '?'} µs/upd)  gen ${step.generatorCpu ?? '?'}% (${step.generatorUsPerUpdate ?? '?'} µs/upd)  ` +
        `saturated: ${step.saturated}  other ${step.otherCpu ?? '?'}%  ${step.pass ? 'PASS' : `FAIL: ${step.reasons.join('; ')}`}`,
    );
    return step;
  } catch (error) {
    c.log(`    ${clients} clients → error: ${String(error)}`);
    return extend(failedStep(c.shape.tickRate, error, (performance.now() - t0) / 1000), 0);
  } finally {
    await server.stop();
  }
}

/** Walks the client ladder for one series until a step fails (or the fd limit makes the next step impossible). */
export async function runSeries(
  spec: CpcSpec,
  ladder: readonly number[],
  limit: number | null,
  c: StepContext,
  step1: (spec: CpcSpec, clients: number, c: StepContext) => Promise<CpcStep> = runStep,
): Promise<CpcSeries> {
  c.log(`  ${spec.id} (${spec.label}), ${c.shape.id} feed:`);
  const steps: CpcStep[] = [];
  let stoppedBy = `every step passed (ladder ends at ${ladder[ladder.length - 1]?.toLocaleString('en-US')}): a lower bound`;
  for (const clients of ladder) {
    if (limit !== null && clients + FD_MARGIN > limit) {
      stoppedBy = `not run at ${clients.toLocaleString('en-US')} clients: ulimit -n is ${limit} (raise it to measure further)`;
      c.log(`    ${stoppedBy}`);
      break;
    }
    if (c.waitQuiet) await waitForQuiet(c.log);
    const step = await step1(spec, clients, c);
    steps.push(step);
    if (!step.pass) {
      stoppedBy = `at ${clients.toLocaleString('en-US')} clients: ${step.reasons.join('; ')} (saturated: ${step.saturated})`;
      break;
    }
  }
  const passing = steps.filter((s) => s.pass);
  return { spec, steps, capacity: passing.length === 0 ? null : Math.max(...passing.map((s) => s.clients)), stoppedBy };
}

export async function runClientsPerCore(o: CpcOptions, machine: Machine, log: (line: string) => void): Promise<CpcReport> {
  const started = performance.now();
  const plan = planPinning();
  const pinError = plan.pinned ? pinSelf(plan.generator) : null;
  const pinning: PinningPlan = pinError === null ? plan : { pinned: false, reason: pinError };
  log(pinning.pinned ? `pinning: server on CPU ${pinning.server}, load generator on CPU ${pinning.generator}` : `not pinned: ${pinning.reason}`);
  const limit = fdLimit();
  const skipped: CpcReport['skipped'] = [];
  const adaptive = o.adaptive ?? 'on';
  const selected = CPC_SERIES.filter((s) => o.series === undefined || o.series.includes(s.id)).filter((s) => {
    if (s.compact === true && !loadTesterHasCompact()) {
      skipped.push({ id: s.id, reason: 'the load tester has no compact-frames option yet' });
      return false;
    }
    return true;
  });
  const series = withBatchWindows(selected, adaptive);
  const shapes = SHAPES.filter((s) => o.shapes === undefined || o.shapes.includes(s.id));
  if (series.length === 0 || shapes.length === 0) throw new Error('no series or feed shape selected');
  const ladder = o.ladder ?? [...(o.quick ? QUICK_LADDER : CLIENT_LADDER)];
  // Quick steps keep 3 s: the load tester's steady window is whole seconds, and a 1-second one can miss its samples on a busy box.
  const durationS = o.durationS ?? (o.quick ? 3 : 10);
  const workers = o.workers ?? (pinning.pinned ? 1 : 2);
  const seed = 1;
  const out: CpcReport['shapes'] = [];
  for (const shape of shapes) {
    log(`clients per core, feed: ${shape.label}`);
    const shapeArgs = shape.uniform ? ['--instruments', uniformInstrumentFile(shape.symbols)] : [];
    const ctx: StepContext = { shape, shapeArgs, plan: pinning, seed, durationMs: durationS * 1000, workers, waitQuiet: !o.quick, log };
    const results: CpcSeries[] = [];
    for (const spec of series) {
      const r = await runSeries(spec, ladder, limit, ctx);
      log(`  ${spec.id}: ${r.capacity === null ? 'no step passed' : `${r.capacity.toLocaleString('en-US')} clients per core`} (${r.stoppedBy})`);
      results.push(r);
    }
    if (shape.uniform) rmSync(dirname(shapeArgs[1]!), { recursive: true, force: true });
    out.push({ shape, series: results });
  }
  const report: CpcReport = {
    formatVersion: 1,
    kind: 'clients-per-core',
    quick: o.quick,
    machine,
    command: o.command,
    durationS: Math.round((performance.now() - started) / 1000),
    resultsFile: o.resultsFile,
    pinning,
    fdLimit: limit,
    settings: {
      seed,
      symbolsPerClient: SYMBOLS_PER_CLIENT,
      durationS,
      ladder,
      workers,
      p99LimitMs: P99_LIMIT_MS,
      batchMs: TICKWIRE_BATCH_MS,
      adaptive,
      batchMaxMs: adaptive === 'off' ? TICKWIRE_BATCH_MS : DEFAULT_BATCH_MAX_MS,
    },
    skipped,
    shapes: out,
  };
  return report;
}
