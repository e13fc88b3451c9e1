// The sweep's rules without servers: the step verdict, and the ladder walk (climb on pass, descend on
// failure, refine once between the last pass and the first failure, retry steps disturbed by others).
import { describe, expect, it } from 'vitest';
import { judgeStep, runSeries, type SeriesSpec, type StepResult, type SweepSettings } from '../src/sweep.js';
import { renderMarkdown, type BenchReport } from '../src/markdown.js';

type Judged = Parameters<typeof judgeStep>[0];

function result(over: { p99?: number; count?: number; missing?: number; closes?: Record<string, number>; failures?: number; ready?: number } = {}): Judged {
  return {
    config: { clients: 10 } as Judged['config'],
    latency: {
      event: { count: over.count ?? 100, p50: 5, p90: 8, p99: over.p99 ?? 20, p999: 30, max: 40, mean: 6 },
      send: { count: 100, p50: 1, p90: 1, p99: 2, p999: 3, max: 4, mean: 1 },
    },
    verdict: {
      missing: over.missing ?? 0,
      duplicates: 0,
      outOfOrder: 0,
      decodeErrors: 0,
      heartbeatAhead: 0,
      maxStalled: 0,
      lossFree: (over.missing ?? 0) === 0,
    },
    connections: {
      attempts: 10,
      opened: 10,
      failures: over.failures ?? 0,
      churnReconnects: 0,
      unexpectedCloses: over.closes ?? {},
      connectMs: { count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 },
      firstSnapshotMs: { count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 },
      errors: [],
    },
    timeline: [{ ready: over.ready ?? 10 } as Judged['timeline'][number]],
  };
}

describe('judgeStep', () => {
  it('passes a clean step and names every reason a step fails', () => {
    expect(judgeStep(result())).toEqual({ pass: true, reasons: [] });
    expect(judgeStep(result({ p99: 100 })).pass).toBe(true);
    expect(judgeStep(result({ p99: 100.5 })).reasons).toEqual(['p99 100.5 ms > 100 ms']);
    expect(judgeStep(result({ missing: 3 })).reasons).toEqual(['3 updates missing']);
    expect(judgeStep(result({ closes: { '4000': 2 } })).reasons[0]).toMatch(/2 clients disconnected/);
    expect(judgeStep(result({ failures: 1, ready: 9 })).reasons).toEqual(['1 connect failures', 'only 9/10 clients ready at the end']);
    expect(judgeStep(result({ count: 0 })).reasons).toEqual(['no updates received']);
  });
});

function fakeStep(tickRate: number, pass: boolean, otherCpu = 0): StepResult {
  return {
    tickRate,
    pass,
    reasons: pass ? [] : ['p99 too high'],
    updatesPerSec: tickRate * 100,
    framesPerSec: 0,
    bytesPerSec: 0,
    p50: 1,
    p90: 2,
    p99: pass ? 20 : 200,
    p999: 0,
    max: 0,
    sendP99: 0,
    missing: 0,
    duplicates: 0,
    outOfOrder: 0,
    unexpectedCloses: 0,
    connectFailures: 0,
    readyAtEnd: 10,
    serverCpu: 50,
    serverPeakRssMiB: 80,
    generatorCpu: 40,
    workerCpu: [40],
    machineCpu: 90,
    otherCpu,
    attempts: 1,
    wallS: 1,
  };
}

const spec: SeriesSpec = { id: 't', server: 'tickwire', transport: 'ws', clients: 10 };
const settings: SweepSettings = {
  symbols: 50,
  symbolsPerClient: 5,
  seed: 1,
  startRate: 1000,
  durationMs: 1000,
  refine: true,
  maxSteps: 8,
  deadline: Number.POSITIVE_INFINITY,
  workers: 1,
  nodeFlags: [],
};

async function walk(limit: number, opts: Partial<SweepSettings> = {}, noisyAt: number[] = []): Promise<number[]> {
  const rates: number[] = [];
  const noisy = new Set(noisyAt);
  const res = await runSeries(spec, { ...settings, ...opts }, () => undefined, {
    waitForQuiet: async () => undefined,
    runStep: async (_spec, rate) => {
      rates.push(rate);
      if (noisy.delete(rate)) return fakeStep(rate, false, 150);
      return fakeStep(rate, rate <= limit);
    },
  });
  expect(res.capacity?.tickRate ?? null).toBe(rates.filter((r) => r <= limit).sort((a, b) => b - a)[0] ?? null);
  return rates;
}

describe('runSeries ladder walk', () => {
  it('climbs from the start rate until a step fails, then refines once', async () => {
    expect(await walk(7_000)).toEqual([1_000, 2_000, 5_000, 10_000, 7_100]);
  });

  it('descends when the first step fails', async () => {
    expect(await walk(300)).toEqual([1_000, 500, 200, 300]);
  });

  it('reports no capacity when nothing holds, within maxSteps', async () => {
    expect(await walk(10)).toEqual([1_000, 500, 200, 100]);
    expect(await walk(10, { maxSteps: 3 })).toEqual([1_000, 500, 200]);
  });

  it('runs a disturbed failing step again', async () => {
    expect(await walk(2_000, { refine: false }, [2_000])).toEqual([1_000, 2_000, 2_000, 5_000]);
  });
});

describe('benchmarks.md', () => {
  it('has the sections the docs promise, ratios and the render-load placeholder', async () => {
    const series = await runSeries(spec, { ...settings, refine: false }, () => undefined, {
      waitForQuiet: async () => undefined,
      runStep: async (_s, rate) => fakeStep(rate, rate <= 5_000),
    });
    const peer = { ...series, spec: { id: 'p', server: 'socketio' as const, transport: 'socketio' as const, clients: 10 }, capacity: fakeStep(200, true) };
    const report: BenchReport = {
      formatVersion: 1,
      resultsFile: 'bench/results/quick.json',
      quick: true,
      command: 'npm run bench -- --quick',
      durationS: 60,
      settings: { seed: 1, symbols: 50, symbolsPerClient: 5, durationS: 3, ladder: '1' },
      machine: { nproc: 2, cpuModel: 'Test CPU', node: 'v20.20.0', platform: 'linux-x64', kernel: '6', date: '2026-01-01T00:00:00Z' },
      micro: [{ name: 'encode', unit: 'frame', medianNs: 100, minNs: 90, maxNs: 110, runs: 3, perSecond: 1e7 }],
      sweep: [series, peer],
      idle: [
        {
          server: 'tickwire',
          clients: 100,
          opened: 100,
          failures: 0,
          baselineRssMiB: 70,
          loadedRssMiB: 71,
          peakRssMiB: 71,
          bytesPerConnection: 4000,
          serverCpuIdlePercent: 1,
          connectSeconds: 1,
        },
      ],
    };
    const md = renderMarkdown(report, 'Hand-written analysis.');
    for (const heading of [
      '## Micro-benchmarks',
      '## Peer capacity',
      '## Idle-connection memory',
      '## Dashboard render load',
      '## How to reproduce',
      '## Analysis',
    ]) {
      expect(md).toContain(heading);
    }
    expect(md).toContain('| 10 | 25.0× |');
    expect(md).toContain('at 10,000 ticks/s: p99 too high');
    expect(md).toContain('`bench/results/quick.json`');
    expect(md).toContain('3.91 KiB');
    expect(md).toContain('Test CPU');
  });
});
