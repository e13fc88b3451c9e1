// The adaptive batch window without a server or a real clock: BatchWindow fed made-up measurements (bounds,
// widening under sustained load, narrowing when idle, no reaction to one spike, no flapping, off when
// max = min), the self-scheduling loop under fake timers with an injected clock, and --batch-max-ms parsing.
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startBatchLoop } from '../src/batch-loop.js';
import { BatchWindow, NARROW_AFTER, WIDEN_AFTER, type BatchLoad } from '../src/batch-window.js';
import { DEFAULT_BATCH_MAX_MS, batchWindowBounds, parseConfig } from '../src/config.js';

const IDLE: BatchLoad = { utilization: 0.1, lateMs: 1, workMs: 0.5 };
/** Busy at any window up to 50 ms: the loop is running, and lateness and work together take more than half of the window. */
const BUSY: BatchLoad = { utilization: 0.95, lateMs: 20, workMs: 15 };

function feed(w: BatchWindow, load: BatchLoad, times: number): number[] {
  return Array.from({ length: times }, () => w.observe(load));
}

describe('BatchWindow', () => {
  it('starts at the minimum and widens only after sustained busy batches, up to the maximum', () => {
    const w = new BatchWindow({ minMs: 20, maxMs: 50 });
    expect(w.ms).toBe(20);
    expect(w.adaptive).toBe(true);
    expect(feed(w, BUSY, WIDEN_AFTER - 1)).toEqual(Array(WIDEN_AFTER - 1).fill(20));
    expect(w.observe(BUSY)).toBe(30);
    feed(w, BUSY, WIDEN_AFTER);
    expect(w.ms).toBe(45);
    feed(w, BUSY, WIDEN_AFTER);
    expect(w.ms).toBe(50);
    expect(Math.max(...feed(w, BUSY, 100))).toBe(50);
  });

  it('narrows back to the minimum once idle, and never below it', () => {
    const w = new BatchWindow({ minMs: 20, maxMs: 50 });
    feed(w, BUSY, 10 * WIDEN_AFTER);
    expect(w.ms).toBe(50);
    expect(feed(w, IDLE, NARROW_AFTER - 1).every((ms) => ms === 50)).toBe(true);
    expect(w.observe(IDLE)).toBe(40);
    const after = feed(w, IDLE, 10 * NARROW_AFTER);
    expect(w.ms).toBe(20);
    expect(Math.min(...after)).toBe(20);
    // Each step is a narrowing, never a jump back up.
    expect(after.every((ms, i) => i === 0 || ms <= after[i - 1]!)).toBe(true);
  });

  it('ignores a single spike, and spikes between quiet batches', () => {
    const w = new BatchWindow({ minMs: 20, maxMs: 50 });
    expect(w.observe({ utilization: 1, lateMs: 500, workMs: 300 })).toBe(20);
    for (let i = 0; i < 200; i++) w.observe(i % WIDEN_AFTER === 0 ? BUSY : IDLE);
    expect(w.ms).toBe(20);
    // Widened, one spike now and then keeps the window where it is rather than narrowing or widening it.
    feed(w, BUSY, 10 * WIDEN_AFTER);
    for (let i = 0; i < 200; i++) w.observe(i % (NARROW_AFTER - 1) === 0 ? BUSY : IDLE);
    expect(w.ms).toBe(50);
  });

  it('does not flap when the load falls with the window it causes', () => {
    // A batch costs the same whatever its window (one frame per symbol), and other I/O keeps the loop
    // running 30 % of the time. At 20 ms, 12 ms of work is busy (60 % of the window, loop 90 %); at 30 ms
    // it is 40 % (loop 70 %), in the band that holds. The window must settle, not swing.
    const w = new BatchWindow({ minMs: 20, maxMs: 50 });
    const load = (workMs: number) => ({ utilization: Math.min(1, 0.3 + workMs / w.ms), lateMs: 0, workMs });
    const seen: number[] = [];
    for (let i = 0; i < 2000; i++) seen.push(w.observe(load(12)));
    const changes = seen.filter((ms, i) => i > 0 && ms !== seen[i - 1]).length;
    expect(changes).toBe(1);
    expect(w.ms).toBe(30);
    // Load falling away: it narrows step by step (30 → 24 → 20) and never turns back up on the way.
    const back: number[] = [];
    for (let i = 0; i < 2000; i++) back.push(w.observe(load(3)));
    expect(back.every((ms, i) => i === 0 || ms <= back[i - 1]!)).toBe(true);
    expect(w.ms).toBe(20);
  });

  it('holds between the thresholds', () => {
    const w = new BatchWindow({ minMs: 20, maxMs: 50 });
    expect(Math.max(...feed(w, { utilization: 0.9, lateMs: 3, workMs: 4 }, 500))).toBe(20);
    feed(w, BUSY, 10 * WIDEN_AFTER);
    expect(Math.min(...feed(w, { utilization: 0.6, lateMs: 10, workMs: 5 }, 500))).toBe(50);
  });

  it('widens only when the loop is busy and the batches show it', () => {
    const w = new BatchWindow({ minMs: 20, maxMs: 50 });
    // Timers late on an idle loop: other processes hold the CPU; a wider window would not help.
    expect(Math.max(...feed(w, { utilization: 0.2, lateMs: 40, workMs: 1 }, 200))).toBe(20);
    // A loop kept running by work that yields often, batches on time: frames still leave when due.
    expect(Math.max(...feed(w, { utilization: 1, lateMs: 3, workMs: 1 }, 200))).toBe(20);
    // Late behind that work on a crowded core, but the batches are cheap: a wider window would save nothing.
    expect(Math.max(...feed(w, { utilization: 1, lateMs: 40, workMs: 1 }, 200))).toBe(20);
    // An idle loop narrows a widened window even while its timers run late.
    feed(w, BUSY, 10 * WIDEN_AFTER);
    expect(w.ms).toBe(50);
    feed(w, { utilization: 0.2, lateMs: 40, workMs: 1 }, NARROW_AFTER);
    expect(w.ms).toBe(40);
  });

  it('is off when max equals min', () => {
    const w = new BatchWindow({ minMs: 20, maxMs: 20 });
    expect(w.adaptive).toBe(false);
    expect(new Set(feed(w, BUSY, 100))).toEqual(new Set([20]));
    expect(new Set(feed(w, IDLE, 100))).toEqual(new Set([20]));
  });

  it('stays within its bounds whatever it is fed, and never throws', () => {
    const reading = fc.oneof(fc.double({ min: -1e6, max: 1e6 }), fc.constantFrom(Number.NaN, Infinity, -Infinity, 0));
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 0, max: 800 }),
        fc.array(fc.record({ utilization: reading, lateMs: reading, workMs: reading }), { maxLength: 300 }),
        (min, extra, loads) => {
          const w = new BatchWindow({ minMs: min, maxMs: min + extra });
          for (const load of loads) {
            const ms = w.observe(load);
            expect(Number.isInteger(ms)).toBe(true);
            expect(ms).toBeGreaterThanOrEqual(min);
            expect(ms).toBeLessThanOrEqual(min + extra);
          }
        },
      ),
    );
  });

  it('treats readings that are not numbers as no load (they never widen it)', () => {
    const w = new BatchWindow({ minMs: 20, maxMs: 50 });
    expect(Math.max(...feed(w, { utilization: 1, lateMs: Number.NaN, workMs: Infinity }, 50))).toBe(20);
    expect(Math.max(...feed(w, { utilization: Number.NaN, lateMs: 40, workMs: 40 }, 50))).toBe(20);
  });

  it('refuses bounds that make no window', () => {
    expect(() => new BatchWindow({ minMs: 0, maxMs: 50 })).toThrow(RangeError);
    expect(() => new BatchWindow({ minMs: 30, maxMs: 20 })).toThrow(RangeError);
    expect(() => new BatchWindow({ minMs: 20.5, maxMs: 50 })).toThrow(RangeError);
  });
});

describe('startBatchLoop', () => {
  let clock = 0;
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
    clock = 0;
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs one batch per window, widens it when batches run long, and stops', () => {
    const w = new BatchWindow({ minMs: 20, maxMs: 50 });
    const starts: number[] = [];
    const resized: number[] = [];
    let cost = 15;
    const loop = startBatchLoop(
      w,
      () => {
        starts.push(Date.now());
        clock += cost;
      },
      (ms) => resized.push(ms),
      { now: () => Date.now() + clock, utilization: () => 1 },
    );
    vi.advanceTimersByTime(20);
    expect(starts).toEqual([20]);
    // A batch due one window after the last one started: 15 ms of work leaves 5 ms of wait.
    vi.advanceTimersByTime(5);
    expect(starts).toEqual([20, 25]);
    vi.advanceTimersByTime(10);
    expect(resized).toEqual([30]);
    cost = 0;
    const before = starts.length;
    vi.advanceTimersByTime(30 * 5);
    // Idle batches at the widened window (narrowing takes NARROW_AFTER of them).
    expect(starts.length - before).toBeGreaterThanOrEqual(4);
    expect(starts.length - before).toBeLessThanOrEqual(6);
    loop.stop();
    const stopped = starts.length;
    vi.advanceTimersByTime(1000);
    expect(starts.length).toBe(stopped);
  });

  it('keeps batching after a batch threw (the exception still surfaces)', () => {
    const w = new BatchWindow({ minMs: 20, maxMs: 20 });
    let runs = 0;
    const loop = startBatchLoop(
      w,
      () => {
        runs++;
        if (runs === 1) throw new Error('boom');
      },
      () => undefined,
      { now: () => Date.now(), utilization: () => 0 },
    );
    expect(() => vi.advanceTimersByTime(20)).toThrow('boom');
    vi.advanceTimersByTime(40);
    expect(runs).toBe(3);
    loop.stop();
  });
});

describe('--batch-max-ms', () => {
  it(`defaults to ${DEFAULT_BATCH_MAX_MS} ms, or to --batch-ms when that is longer (then the window is fixed)`, () => {
    expect(batchWindowBounds(parseConfig([], {}))).toEqual({ minMs: 20, maxMs: DEFAULT_BATCH_MAX_MS });
    expect(batchWindowBounds(parseConfig(['--batch-ms', '80'], {}))).toEqual({ minMs: 80, maxMs: 80 });
  });

  it('takes the flag or TICKWIRE_BATCH_MAX_MS (the flag wins); equal to --batch-ms turns adaptation off', () => {
    expect(batchWindowBounds(parseConfig([], { TICKWIRE_BATCH_MAX_MS: '40' }))).toEqual({ minMs: 20, maxMs: 40 });
    expect(batchWindowBounds(parseConfig(['--batch-max-ms', '30'], { TICKWIRE_BATCH_MAX_MS: '40' }))).toEqual({ minMs: 20, maxMs: 30 });
    expect(new BatchWindow(batchWindowBounds(parseConfig(['--batch-max-ms', '20'], {}))).adaptive).toBe(false);
  });

  it('names the bad setting', () => {
    expect(() => parseConfig(['--batch-max-ms', '10'], {})).toThrow(/--batch-max-ms 10 is shorter than --batch-ms 20/);
    expect(() => parseConfig(['--batch-max-ms', '1001'], {})).toThrow(/--batch-max-ms.*integer from 1 to 1000/);
    expect(() => parseConfig(['--batch-max-ms', 'x'], {})).toThrow(/--batch-max-ms/);
    expect(() => parseConfig(['--batch-max-ms', '100', '--heartbeat-ms', '100'], {})).toThrow(/--batch-max-ms 100 must be below --heartbeat-ms 100/);
    expect(() => parseConfig(['--batch-ms', '100', '--batch-max-ms', '100', '--heartbeat-ms', '100'], {})).not.toThrow();
  });
});
