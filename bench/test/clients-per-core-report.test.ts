// The clients-per-core rules without servers: which process saturated, CPU µs per update, the Tickwire ÷
// peer ratio with the bounds a walk leaves (ladder exhausted: ≥; peer failed its first step: >), and the
// walk itself (climb while passing, stop at the first failure or where the fd limit cannot hold the step).
import { describe, expect, it } from 'vitest';
import { SHAPES, runSeries, saturation, usPerUpdate, type CpcSeries, type CpcStep, type StepContext } from '../src/clients-per-core.js';
import { clientsRatio } from '../src/markdown.js';

const LADDER = [1_000, 2_000, 5_000, 10_000, 20_000];

function series(passes: number[], fails: number[] = []): CpcSeries {
  const step = (clients: number, pass: boolean) => ({ clients, pass }) as CpcStep;
  const steps = [...passes.map((c) => step(c, true)), ...fails.map((c) => step(c, false))];
  return {
    spec: { id: 'x', label: 'x', server: 'tickwire', transport: 'ws', design: 'tickwire' },
    steps,
    capacity: passes.length === 0 ? null : Math.max(...passes),
    stoppedBy: '',
  };
}

describe('clients-per-core verdicts', () => {
  it('names the process that filled its core', () => {
    expect(saturation(95, 40)).toBe('server');
    expect(saturation(40, 90)).toBe('generator');
    expect(saturation(99, 97)).toBe('both');
    expect(saturation(89.9, null)).toBe('neither');
  });

  it('turns CPU % of a core and updates/s into µs per update', () => {
    expect(usPerUpdate(50, 500_000)).toBe(1);
    expect(usPerUpdate(100, 300_000)).toBe(3.33);
    expect(usPerUpdate(null, 1_000)).toBeNull();
    expect(usPerUpdate(20, 0)).toBeNull();
  });

  it('states ratios with the bound each walk leaves', () => {
    expect(clientsRatio(series([1_000, 2_000, 5_000, 10_000], [20_000]), series([1_000], [2_000]), LADDER)).toBe('10.0×');
    expect(clientsRatio(series([1_000, 2_000, 5_000, 10_000, 20_000]), series([1_000, 2_000], [5_000]), LADDER)).toBe('≥ 10.0×');
    expect(clientsRatio(series([1_000, 2_000, 5_000], [10_000]), series([], [1_000]), LADDER)).toBe('> 5.0× (peer failed 1,000)');
    expect(clientsRatio(series([], [1_000]), series([2_000], [5_000]), LADDER)).toBe('< 0.5×');
    expect(clientsRatio(series([], [1_000]), series([], [1_000]), LADDER)).toBe('both failed the first step');
    expect(clientsRatio(undefined, series([1_000]), LADDER)).toBe('n/a');
  });
});

describe('clients-per-core walk', () => {
  const spec = { id: 'x', label: 'x', server: 'tickwire', transport: 'ws', design: 'tickwire' } as const;
  const ctx: StepContext = {
    shape: SHAPES[0]!,
    shapeArgs: [],
    plan: { pinned: false, reason: 'test' },
    seed: 1,
    durationMs: 1,
    workers: 1,
    waitQuiet: false,
    log: () => undefined,
  };
  const fake = (failFrom: number) => async (_: unknown, clients: number) =>
    ({ clients, pass: clients < failFrom, reasons: clients < failFrom ? [] : ['p99 200 ms > 100 ms'], saturated: 'server' }) as CpcStep;

  it('climbs while steps pass and stops at the first failure; capacity is the last pass', async () => {
    const r = await runSeries(spec, LADDER, null, ctx, fake(10_000));
    expect(r.steps.map((s) => s.clients)).toEqual([1_000, 2_000, 5_000, 10_000]);
    expect(r.capacity).toBe(5_000);
    expect(r.stoppedBy).toBe('at 10,000 clients: p99 200 ms > 100 ms (saturated: server)');
  });

  it('has no capacity when the first step fails, and a lower bound when the ladder runs out', async () => {
    expect((await runSeries(spec, LADDER, null, ctx, fake(1_000))).capacity).toBeNull();
    const all = await runSeries(spec, LADDER, null, ctx, fake(Infinity));
    expect(all.capacity).toBe(20_000);
    expect(all.stoppedBy).toMatch(/lower bound/);
  });

  it('does not run a step the file-descriptor limit cannot hold', async () => {
    const r = await runSeries(spec, LADDER, 20_000, ctx, fake(Infinity));
    expect(r.steps.map((s) => s.clients)).toEqual([1_000, 2_000, 5_000, 10_000]);
    expect(r.capacity).toBe(10_000);
    expect(r.stoppedBy).toMatch(/ulimit -n is 20000/);
  });
});
