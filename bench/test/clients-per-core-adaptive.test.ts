// The clients-per-core bench's adaptive-window hook without servers: which series --adaptive off|on|both
// runs with which --batch-max-ms (peers untouched), the gain with the bounds a walk leaves, and the
// markdown that puts the fixed and adaptive series side by side.
import { describe, expect, it } from 'vitest';
import { DEFAULT_BATCH_MAX_MS } from '@tickwire/server/config';
import { CPC_SERIES, SHAPES, adaptiveId, withBatchWindows, type CpcReport, type CpcSeries, type CpcSpec, type CpcStep } from '../src/clients-per-core.js';
import { adaptiveGain, renderClientsPerCore } from '../src/markdown.js';
import { TICKWIRE_BATCH_MS } from '../src/servers.js';

const LADDER = [1_000, 2_000, 5_000, 10_000, 20_000];
const tickwire = CPC_SERIES.filter((s) => s.server === 'tickwire');
const peers = CPC_SERIES.filter((s) => s.server !== 'tickwire');

function series(spec: CpcSpec, passes: number[], fails: number[] = [], p99 = 30): CpcSeries {
  const step = (clients: number, pass: boolean) =>
    ({
      clients,
      pass,
      reasons: pass ? [] : ['p99 > 100 ms'],
      p50: p99 / 2,
      p99,
      updatesPerSec: clients * 100,
      latencyCount: 1000,
      serverCpu: 50,
      generatorCpu: 40,
      otherCpu: 5,
      serverUsPerUpdate: 1.5,
      generatorUsPerUpdate: 1.2,
      saturated: 'neither',
    }) as unknown as CpcStep;
  return {
    spec,
    steps: [...passes.map((c) => step(c, true)), ...fails.map((c) => step(c, false))],
    capacity: passes.length === 0 ? null : Math.max(...passes),
    stoppedBy: '',
  };
}

describe('--adaptive series', () => {
  it('off and on run each Tickwire series once, at --batch-max-ms = --batch-ms or the server default', () => {
    for (const [mode, max] of [
      ['off', TICKWIRE_BATCH_MS],
      ['on', DEFAULT_BATCH_MAX_MS],
    ] as const) {
      const out = withBatchWindows(CPC_SERIES, mode);
      expect(out.map((s) => s.id)).toEqual(CPC_SERIES.map((s) => s.id));
      for (const s of out) expect(s.batchMaxMs, `${mode} ${s.id}`).toBe(s.server === 'tickwire' ? max : undefined);
      expect(out.map((s) => s.label)).toEqual(CPC_SERIES.map((s) => s.label));
    }
  });

  it('both runs every Tickwire series fixed (its own id) and adaptive (its twin), peers once', () => {
    const out = withBatchWindows(CPC_SERIES, 'both');
    expect(out).toHaveLength(2 * tickwire.length + peers.length);
    for (const s of tickwire) {
      expect(out.find((x) => x.id === s.id)?.batchMaxMs).toBe(TICKWIRE_BATCH_MS);
      expect(out.find((x) => x.id === adaptiveId(s.id))?.batchMaxMs).toBe(DEFAULT_BATCH_MAX_MS);
    }
    for (const s of peers) expect(out.find((x) => x.id === s.id)).toEqual(s);
    expect(new Set(out.map((s) => s.label)).size).toBe(out.length);
  });
});

describe('adaptive gain', () => {
  const spec = tickwire[0]!;
  it('states the gain with the bound each walk leaves', () => {
    expect(adaptiveGain(series(spec, [1_000, 2_000], [5_000]), series(spec, [1_000, 2_000, 5_000], [10_000]), LADDER)).toBe('2.50×');
    expect(adaptiveGain(series(spec, [1_000, 2_000, 5_000], [10_000]), series(spec, LADDER), LADDER)).toBe('≥ 4.00×');
    expect(adaptiveGain(series(spec, LADDER), series(spec, [1_000, 2_000, 5_000], [10_000]), LADDER)).toBe('≤ 0.25×');
    expect(adaptiveGain(series(spec, LADDER), series(spec, LADDER), LADDER)).toBe('both passed every step');
    expect(adaptiveGain(series(spec, [], [1_000]), series(spec, [1_000], [2_000]), LADDER)).toBe('fixed failed 1,000, adaptive passed');
    expect(adaptiveGain(series(spec, [1_000], [2_000]), series(spec, [], [1_000]), LADDER)).toBe('adaptive failed 1,000, fixed passed');
    expect(adaptiveGain(series(spec, [], [1_000]), series(spec, [], [1_000]), LADDER)).toBe('both failed the first step');
  });
});

describe('clients-per-core markdown with --adaptive both', () => {
  const specs = withBatchWindows(
    CPC_SERIES.filter((s) => s.id === 'tw-ws' || s.id === 'ws-batch'),
    'both',
  );
  const byId = (id: string) => specs.find((s) => s.id === id)!;
  const report: CpcReport = {
    formatVersion: 1,
    kind: 'clients-per-core',
    quick: false,
    machine: { nproc: 2, cpuModel: 'test CPU', node: 'v20', platform: 'linux', kernel: '6', date: '2026-12-05' },
    command: 'npm run bench -- --clients-per-core --adaptive both',
    durationS: 60,
    resultsFile: 'bench/results/x.json',
    pinning: { pinned: false, reason: 'test' },
    fdLimit: null,
    settings: {
      seed: 1,
      symbolsPerClient: 5,
      durationS: 10,
      ladder: LADDER,
      workers: 1,
      p99LimitMs: 100,
      batchMs: TICKWIRE_BATCH_MS,
      adaptive: 'both',
      batchMaxMs: DEFAULT_BATCH_MAX_MS,
    },
    skipped: [],
    shapes: [
      {
        shape: SHAPES[0]!,
        series: [
          series(byId('tw-ws'), [1_000, 2_000, 5_000], [10_000], 31),
          series(byId(adaptiveId('tw-ws')), [1_000, 2_000, 5_000, 10_000], [20_000], 33),
          series(byId('ws-batch'), [1_000], [2_000]),
        ],
      },
    ],
  };

  it('puts the fixed and adaptive series side by side, with the gain and p99 at the lightest step', () => {
    const md = renderClientsPerCore(report);
    expect(md).toContain(`with a fixed ${TICKWIRE_BATCH_MS} ms window and with its adaptive window`);
    expect(md).toContain(`| ${byId('tw-ws').label} |`);
    expect(md).toContain(`| ${byId(adaptiveId('tw-ws')).label} |`);
    expect(md).toMatch(/\| Tickwire \| clients per core, fixed → adaptive \| gain \|/);
    expect(md).toContain('| tw-ws | 5,000 → 10,000 | 2.00× | 31.0 / 33.0 | 31.0 / 33.0 | 1.5 / 1.5 |');
  });

  it('has no side-by-side table when only one window ran', () => {
    const single: CpcReport = {
      ...report,
      settings: { ...report.settings, adaptive: 'on' },
      shapes: [{ shape: SHAPES[0]!, series: [series({ ...byId(adaptiveId('tw-ws')), id: 'tw-ws' }, [1_000], [2_000])] }],
    };
    const md = renderClientsPerCore(single);
    expect(md).not.toContain('fixed → adaptive');
    expect(md).toContain(`Tickwire batches over its adaptive window (${TICKWIRE_BATCH_MS} ms, widened up to ${DEFAULT_BATCH_MAX_MS} ms`);
  });
});
