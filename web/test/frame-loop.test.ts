// Render cadence (web/src/lib/frame-loop.ts): bursts of change signals collapse into one flush, and
// flushes are at least minIntervalMs apart.
import { describe, expect, it } from 'vitest';
import { FrameLoop } from '../src/lib/frame-loop.js';

function fakeClock() {
  let now = 0;
  const timers: Array<{ at: number; cb: () => void }> = [];
  return {
    now: () => now,
    setTimer: (cb: () => void, ms: number) => void timers.push({ at: now + ms, cb }),
    advance(ms: number) {
      const until = now + ms;
      for (;;) {
        timers.sort((a, b) => a.at - b.at);
        const next = timers[0];
        if (next === undefined || next.at > until) break;
        timers.shift();
        now = next.at;
        next.cb();
      }
      now = until;
    },
    pending: () => timers.length,
  };
}

describe('FrameLoop', () => {
  it('coalesces any number of requests into one flush', () => {
    const clock = fakeClock();
    const loop = new FrameLoop({ minIntervalMs: 50, now: clock.now, setTimer: clock.setTimer });
    const runs: number[] = [];
    loop.add((now) => runs.push(now));
    for (let i = 0; i < 1000; i++) loop.request();
    expect(clock.pending()).toBe(1);
    clock.advance(0);
    expect(runs).toEqual([0]);
  });

  it('keeps flushes at least minIntervalMs apart under a constant stream of changes', () => {
    const clock = fakeClock();
    const loop = new FrameLoop({ minIntervalMs: 50, now: clock.now, setTimer: clock.setTimer });
    const runs: number[] = [];
    loop.add((now) => runs.push(now));
    for (let t = 0; t < 1000; t += 1) {
      loop.request(); // a tick every millisecond
      clock.advance(1);
    }
    expect(runs.length).toBeGreaterThanOrEqual(19); // 1000 ms / 50 ms, give or take the edges
    expect(runs.length).toBeLessThanOrEqual(21);
    for (let i = 1; i < runs.length; i++) expect(runs[i]! - runs[i - 1]!).toBeGreaterThanOrEqual(50);
  });

  it('runs tasks in order and survives a failing one', () => {
    const clock = fakeClock();
    const loop = new FrameLoop({ minIntervalMs: 16, now: clock.now, setTimer: clock.setTimer });
    const seen: string[] = [];
    const errors = console.error;
    console.error = () => {};
    try {
      loop.add(() => seen.push('a'));
      const remove = loop.add(() => {
        throw new Error('boom');
      });
      loop.add(() => seen.push('c'));
      loop.request();
      clock.advance(0);
      remove();
      loop.request();
      clock.advance(100);
    } finally {
      console.error = errors;
    }
    expect(seen).toEqual(['a', 'c', 'a', 'c']);
  });
});
