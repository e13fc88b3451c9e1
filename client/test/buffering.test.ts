// BufferingDetector on scripted send/arrival times: a proxy releasing held frames in bursts is called
// buffering after two releases; a steady stream, a constant long delay, a thin link that spreads frames
// out, and a single hiccup are not.
import { describe, expect, it } from 'vitest';
import { BufferingDetector } from '../src/transport/buffering.js';

/** Frames sent every `everyMs` for `forMs`, starting at 1_000_000 (server clock). */
function sends(everyMs: number, forMs: number): number[] {
  return Array.from({ length: Math.floor(forMs / everyMs) }, (_, i) => 1_000_000 + i * everyMs);
}

/** Feeds the detector; arrival = f(send). Returns the index of the frame that flipped it, or -1. */
function run(sendTimes: number[], arrival: (send: number, i: number) => number, clockOffsetMs = 3_600_000): { flippedAt: number; reason: string } {
  const d = new BufferingDetector();
  let flippedAt = -1;
  sendTimes.forEach((s, i) => {
    if (d.observe(s, arrival(s, i) + clockOffsetMs) && flippedAt < 0) flippedAt = i;
  });
  return { flippedAt, reason: d.verdict().reason };
}

describe('BufferingDetector', () => {
  it('sees a proxy that releases a second of frames at once, after two releases', () => {
    // Held until the next whole second of the server clock, then delivered within 2 ms.
    const r = run(sends(20, 10_000), (s, i) => Math.ceil((s + 1) / 1000) * 1000 + (i % 3) * 0.5 + 5);
    expect(r.flippedAt).toBeGreaterThan(0);
    // Two releases of 50 frames each are needed: not before the third second's first frame.
    expect(r.flippedAt).toBeGreaterThanOrEqual(100);
    expect(r.flippedAt).toBeLessThan(200);
    expect(r.reason).toMatch(/buffers the stream/);
  });

  it('ignores a steady stream with jitter', () => {
    expect(run(sends(20, 20_000), (s, i) => s + 2 + ((i * 7) % 5)).flippedAt).toBe(-1);
  });

  it('ignores a constant long delay (slow, far network)', () => {
    expect(run(sends(20, 20_000), (s) => s + 900).flippedAt).toBe(-1);
  });

  it('ignores a thin link whose queue grows: frames arrive late but spread apart', () => {
    // Each 20 ms frame takes 30 ms to cross: arrivals are 30 ms apart and ever later.
    expect(run(sends(20, 10_000), (_s, i) => 1_000_000 + 5 + i * 30).flippedAt).toBe(-1);
  });

  it('ignores a single stall (one GC pause, one lost segment)', () => {
    const stallEnd = 1_003_000;
    expect(run(sends(20, 20_000), (s) => (s >= 1_002_000 && s < stallEnd ? stallEnd + 1 : s + 3)).flippedAt).toBe(-1);
  });
});
