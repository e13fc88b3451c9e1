// Capacity sweep: for one server, transport and client count, run the load tester at feed rates from a
// fixed ladder — climbing while steps pass, descending while they fail — and call the highest delivered
// updates/s of a passing step the capacity. A step passes when every client is connected and current,
// nothing is lost/duplicated/reordered, nobody was disconnected, and feed → client p99 ≤ 100 ms.
// Each step runs against a freshly started server process and is bounded in time.
import { availableParallelism } from 'node:os';
import { DEFAULTS, type LoadTestConfig, type TransportName } from '@tickwire/loadtest/config';
import { runLoadTest, type LoadTestResult } from '@tickwire/loadtest/run';
import { machineCpu } from '@tickwire/loadtest/proc';
import { startTarget, type ServerKind } from './servers.js';

/**
 * The box is shared: a step during which other processes used more than this (% of one core) and that
 * failed is run again, up to NOISY_RETRIES times, after waiting for the machine to quieten down.
 */
export const NOISE_LIMIT_PERCENT = 50;
export const NOISY_RETRIES = 2;
const QUIET_PERCENT = 50;
const QUIET_MAX_WAIT_MS = 45_000;

export const P99_LIMIT_MS = 100;
/** Feed rates tried, ticks/s over all symbols. */
export const RATE_LADDER = [100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000] as const;

export interface SeriesSpec {
  id: string;
  server: ServerKind;
  transport: TransportName;
  clients: number;
  /** Extra server flags for this series, and why (shown in the docs). */
  serverArgs?: string[];
  note?: string;
}

export interface SweepSettings {
  symbols: number;
  symbolsPerClient: number;
  seed: number;
  startRate: number;
  durationMs: number;
  /** One extra step at the geometric mean of the last pass and the first failure. */
  refine: boolean;
  /** Most steps per series (bounds the sweep's time). */
  maxSteps: number;
  /** performance.now() after which no new step starts (the whole sweep's time budget). */
  deadline: number;
  workers: number;
  nodeFlags: string[];
}

export interface StepResult {
  tickRate: number;
  pass: boolean;
  reasons: string[];
  updatesPerSec: number;
  framesPerSec: number;
  bytesPerSec: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  sendP99: number;
  missing: number;
  duplicates: number;
  outOfOrder: number;
  unexpectedCloses: number;
  connectFailures: number;
  readyAtEnd: number;
  serverCpu: number | null;
  serverPeakRssMiB: number | null;
  generatorCpu: number | null;
  workerCpu: (number | null)[];
  /** Machine busy % (of one core) in the steady window, and what processes other than server and generator took. */
  machineCpu: number | null;
  otherCpu: number | null;
  /** Runs it took (more than one when other processes disturbed it). */
  attempts: number;
  wallS: number;
}

export interface SeriesResult {
  spec: SeriesSpec;
  steps: StepResult[];
  /** The passing step with the highest delivered updates/s, if any. */
  capacity: StepResult | null;
}

/** Pure verdict on one load-test result (unit-tested). */
export function judgeStep(r: Pick<LoadTestResult, 'latency' | 'verdict' | 'connections' | 'timeline' | 'config'>): { pass: boolean; reasons: string[] } {
  const reasons: string[] = [];
  if (r.latency.event.count === 0) reasons.push('no updates received');
  if (r.latency.event.p99 > P99_LIMIT_MS) reasons.push(`p99 ${r.latency.event.p99} ms > ${P99_LIMIT_MS} ms`);
  if (r.verdict.missing > 0) reasons.push(`${r.verdict.missing} updates missing`);
  if (r.verdict.duplicates > 0) reasons.push(`${r.verdict.duplicates} duplicates`);
  if (r.verdict.outOfOrder > 0) reasons.push(`${r.verdict.outOfOrder} out of order`);
  if (r.verdict.decodeErrors > 0) reasons.push(`${r.verdict.decodeErrors} decode errors`);
  const closes = Object.values(r.connections.unexpectedCloses).reduce((a, b) => a + b, 0);
  if (closes > 0) reasons.push(`${closes} clients disconnected by the server (${JSON.stringify(r.connections.unexpectedCloses)})`);
  if (r.connections.failures > 0) reasons.push(`${r.connections.failures} connect failures`);
  if (r.verdict.maxStalled > 0) reasons.push(`up to ${r.verdict.maxStalled} connections stalled (silent ≥ 3 s)`);
  const last = r.timeline[r.timeline.length - 1];
  if (last !== undefined && last.ready < r.config.clients) reasons.push(`only ${last.ready}/${r.config.clients} clients ready at the end`);
  return { pass: reasons.length === 0, reasons };
}

export function stepFrom(tickRate: number, r: LoadTestResult, wallS: number): StepResult {
  const { pass, reasons } = judgeStep(r);
  const last = r.timeline[r.timeline.length - 1];
  return {
    tickRate,
    pass,
    reasons,
    updatesPerSec: r.rates.updatesPerSec,
    framesPerSec: r.rates.framesPerSec,
    bytesPerSec: r.rates.bytesPerSec,
    p50: r.latency.event.p50,
    p90: r.latency.event.p90,
    p99: r.latency.event.p99,
    p999: r.latency.event.p999,
    max: r.latency.event.max,
    sendP99: r.latency.send.p99,
    missing: r.verdict.missing,
    duplicates: r.verdict.duplicates,
    outOfOrder: r.verdict.outOfOrder,
    unexpectedCloses: Object.values(r.connections.unexpectedCloses).reduce((a, b) => a + b, 0),
    connectFailures: r.connections.failures,
    readyAtEnd: last?.ready ?? 0,
    serverCpu: r.server?.cpuPercent ?? null,
    serverPeakRssMiB: r.server === null ? null : Math.round(r.server.peakRssBytes / 104857.6) / 10,
    generatorCpu: r.generator.cpuPercent,
    workerCpu: r.generator.workerCpuPercent,
    machineCpu: r.machineLoad.busyPercent,
    otherCpu: r.machineLoad.busyPercent === null ? null : Math.max(0, r.machineLoad.busyPercent - (r.generator.cpuPercent ?? 0) - (r.server?.cpuPercent ?? 0)),
    attempts: 1,
    wallS: Math.round(wallS * 10) / 10,
  };
}

export function failedStep(tickRate: number, error: unknown, wallS: number): StepResult {
  return {
    tickRate,
    pass: false,
    reasons: [`step failed to run: ${error instanceof Error ? error.message.slice(0, 300) : String(error)}`],
    updatesPerSec: 0,
    framesPerSec: 0,
    bytesPerSec: 0,
    p50: 0,
    p90: 0,
    p99: 0,
    p999: 0,
    max: 0,
    sendP99: 0,
    missing: 0,
    duplicates: 0,
    outOfOrder: 0,
    unexpectedCloses: 0,
    connectFailures: 0,
    readyAtEnd: 0,
    serverCpu: null,
    serverPeakRssMiB: null,
    generatorCpu: null,
    workerCpu: [],
    machineCpu: null,
    otherCpu: null,
    attempts: 1,
    wallS,
  };
}

/** Ramp-up long enough that connecting is not itself the load: ~1,000 connects per second. */
export function rampFor(clients: number): number {
  return Math.max(2_000, Math.ceil(clients / 1_000) * 1_000);
}

export async function runStep(spec: SeriesSpec, tickRate: number, s: SweepSettings, log: (line: string) => void): Promise<StepResult> {
  const t0 = performance.now();
  let server;
  try {
    server = await startTarget(
      spec.server,
      { seed: s.seed, symbols: s.symbols, tickRate },
      { nodeFlags: spec.server === 'tickwire' ? s.nodeFlags : [], serverArgs: spec.serverArgs ?? [] },
    );
  } catch (error) {
    return failedStep(tickRate, error, (performance.now() - t0) / 1000);
  }
  const config: LoadTestConfig = {
    ...DEFAULTS,
    url: server.url,
    clients: spec.clients,
    transport: spec.transport,
    symbolsPerClient: s.symbolsPerClient,
    popularity: 'uniform',
    rampUpMs: rampFor(spec.clients),
    durationMs: s.durationMs,
    graceMs: 2_000,
    workers: s.workers,
    seed: s.seed,
    serverPid: server.pid,
    progressMs: 0,
    label: `${spec.id} @ ${tickRate} ticks/s`,
  };
  try {
    const result = await runLoadTest(config);
    const step = stepFrom(tickRate, result, (performance.now() - t0) / 1000);
    log(
      `    ${String(tickRate).padStart(7)} ticks/s → ${String(step.updatesPerSec).padStart(9)} upd/s  p50 ${step.p50} p99 ${step.p99} ms  ` +
        `server ${step.serverCpu ?? '?'}% ${step.serverPeakRssMiB ?? '?'} MiB  gen ${step.generatorCpu ?? '?'}%  other ${step.otherCpu ?? '?'}%  ` +
        `${step.pass ? 'PASS' : `FAIL: ${step.reasons.join('; ')}`}`,
    );
    return step;
  } catch (error) {
    log(`    ${tickRate} ticks/s → error: ${String(error)}`);
    return failedStep(tickRate, error, (performance.now() - t0) / 1000);
  } finally {
    await server.stop();
  }
}

/**
 * Climbs the ladder from startRate while steps pass; if the first step fails, descends until one
 * passes. Optionally refines between the last pass and the first failure. At most maxSteps steps.
 */
export async function runSeries(
  spec: SeriesSpec,
  s: SweepSettings,
  log: (line: string) => void,
  deps: { runStep: typeof runStep; waitForQuiet: typeof waitForQuiet } = { runStep, waitForQuiet },
): Promise<SeriesResult> {
  log(`  ${spec.id}: ${spec.clients} clients × ${s.symbolsPerClient} symbols over ${spec.transport} against ${spec.server}`);
  const ladder = [...RATE_LADDER];
  let index = Math.max(
    0,
    ladder.findIndex((r) => r >= s.startRate),
  );
  const steps: StepResult[] = [];
  const tried = new Map<number, StepResult>();
  const run = async (rate: number): Promise<StepResult> => {
    let step = await deps.runStep(spec, rate, s, log);
    for (
      let attempt = 2;
      attempt <= NOISY_RETRIES + 1 && !step.pass && (step.otherCpu ?? 0) > NOISE_LIMIT_PERCENT && performance.now() < s.deadline;
      attempt++
    ) {
      log(`    other processes used ${step.otherCpu}% of a core during that step: waiting for a quiet machine and running it again`);
      await deps.waitForQuiet(log);
      step = await deps.runStep(spec, rate, s, log);
      step.attempts = attempt;
    }
    steps.push(step);
    tried.set(rate, step);
    return step;
  };
  await deps.waitForQuiet(log);
  const first = await run(ladder[index]!);
  if (first.pass) {
    while (index + 1 < ladder.length && steps.length < s.maxSteps && performance.now() < s.deadline) {
      const step = await run(ladder[++index]!);
      if (!step.pass) break;
    }
  } else {
    while (index > 0 && steps.length < s.maxSteps && performance.now() < s.deadline) {
      const step = await run(ladder[--index]!);
      if (step.pass) break;
    }
  }
  if (s.refine && steps.length < s.maxSteps + 1 && performance.now() < s.deadline) {
    const passes = steps.filter((x) => x.pass).map((x) => x.tickRate);
    const fails = steps.filter((x) => !x.pass).map((x) => x.tickRate);
    const lo = passes.length ? Math.max(...passes) : 0;
    const hi = fails.filter((f) => f > lo);
    if (lo > 0 && hi.length > 0) {
      const mid = Math.round(Math.sqrt(lo * Math.min(...hi)) / 100) * 100;
      if (mid > lo && mid < Math.min(...hi) && !tried.has(mid)) await run(mid);
    }
  }
  steps.sort((a, b) => a.tickRate - b.tickRate);
  const passing = steps.filter((x) => x.pass);
  const capacity = passing.length === 0 ? null : passing.reduce((best, x) => (x.updatesPerSec > best.updatesPerSec ? x : best));
  return { spec, steps, capacity };
}

/**
 * Waits (at most QUIET_MAX_WAIT_MS) until the whole machine stays under QUIET_PERCENT of one core busy
 * for two consecutive seconds; nothing of ours runs meanwhile, so what it sees is other people's work.
 */
export async function waitForQuiet(log: (line: string) => void): Promise<void> {
  const deadline = performance.now() + QUIET_MAX_WAIT_MS;
  let quietSeconds = 0;
  let waited = false;
  let prev = machineCpu();
  if (prev === null) return;
  while (performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const cur = machineCpu();
    if (cur === null) return;
    const busy = cur.totalMs > prev.totalMs ? (100 * availableParallelism() * (cur.busyMs - prev.busyMs)) / (cur.totalMs - prev.totalMs) : 0;
    prev = cur;
    if (busy < QUIET_PERCENT) {
      if (++quietSeconds >= 2) {
        if (waited) log('    machine quiet again');
        return;
      }
    } else {
      quietSeconds = 0;
      if (!waited) log(`    machine busy (${Math.round(busy)}% of a core used by other processes): waiting up to ${QUIET_MAX_WAIT_MS / 1000} s`);
      waited = true;
    }
  }
  log('    machine still busy: measuring anyway (see the "other CPU" column)');
}

/** Runs the given feed rates as they are (for reproducing or probing single points). */
export async function runRates(spec: SeriesSpec, rates: readonly number[], s: SweepSettings, log: (line: string) => void): Promise<SeriesResult> {
  log(`  ${spec.id}: ${spec.clients} clients × ${s.symbolsPerClient} symbols over ${spec.transport} against ${spec.server} at ${rates.join(', ')} ticks/s`);
  const steps: StepResult[] = [];
  for (const rate of rates) {
    await waitForQuiet(log);
    steps.push(await runStep(spec, rate, s, log));
  }
  const passing = steps.filter((x) => x.pass);
  const capacity = passing.length === 0 ? null : passing.reduce((best, x) => (x.updatesPerSec > best.updatesPerSec ? x : best));
  return { spec, steps, capacity };
}
