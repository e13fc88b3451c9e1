import { describe, expect, it } from 'vitest';
import type { Tick } from '@tickwire/protocol/messages';
import { U32_MAX } from '@tickwire/protocol/units';
import { ManualClock, systemClock } from '../src/clock.js';
import { LiveFeed } from '../src/live-feed.js';
import { MarketSimulator } from '../src/simulator.js';
import { defaultUniverse } from '../src/universe.js';
import { START_MS, collect } from './helpers.js';

const universe = defaultUniverse(10);

function simulator(): MarketSimulator {
  return new MarketSimulator({ seed: 77, instruments: universe, ticksPerSecond: 5_000, startTimeMs: START_MS });
}

describe('ManualClock', () => {
  it('moves only when told to', () => {
    const clock = new ManualClock(1_000);
    expect(clock.now()).toBe(1_000);
    clock.advance(250.5);
    expect(clock.now()).toBe(1_250.5);
    clock.set(10);
    expect(clock.now()).toBe(10);
    expect(() => clock.advance(-1)).toThrow(RangeError);
    expect(() => clock.set(Number.NaN)).toThrow(RangeError);
  });
});

describe('systemClock', () => {
  it('tracks Date.now() with sub-millisecond resolution and never steps back', () => {
    expect(Math.abs(systemClock.now() - Date.now())).toBeLessThan(1_000);
    let prev = systemClock.now();
    for (let i = 0; i < 1_000; i++) {
      const now = systemClock.now();
      expect(now).toBeGreaterThanOrEqual(prev);
      prev = now;
    }
  });
});

describe('LiveFeed', () => {
  it('emits exactly the ticks up to the clock time on each poll', () => {
    const clock = new ManualClock(START_MS);
    const feed = new LiveFeed({ simulator: simulator(), clock, epoch: 7 });
    const expected = collect(simulator(), START_MS + 1_000);
    const got: Tick[] = [];
    const keep = (t: Tick): void => void got.push({ ...t });

    expect(feed.poll(keep)).toBe(0);
    clock.advance(400);
    const first = feed.poll(keep);
    expect(first).toBe(expected.filter((t) => t.eventTimeMs <= START_MS + 400).length);
    expect(got.every((t) => t.eventTimeMs <= START_MS + 400)).toBe(true);
    expect(feed.poll(keep)).toBe(0);

    clock.set(START_MS + 300); // backwards: nothing new, nothing repeated
    expect(feed.poll(keep)).toBe(0);
    clock.set(START_MS + 1_000);
    expect(feed.poll(keep)).toBe(expected.length - first);
    expect(got).toEqual(expected);
    expect(feed.epoch).toBe(7);
  });

  it('picks a random non-zero u32 epoch by default and validates a given one', () => {
    const clock = new ManualClock(START_MS);
    const epochs = new Set(Array.from({ length: 20 }, () => new LiveFeed({ simulator: simulator(), clock }).epoch));
    expect(epochs.size).toBeGreaterThan(15);
    for (const epoch of epochs) {
      expect(Number.isInteger(epoch)).toBe(true);
      expect(epoch).toBeGreaterThanOrEqual(1);
      expect(epoch).toBeLessThanOrEqual(U32_MAX);
    }
    for (const epoch of [0, -1, 1.5, U32_MAX + 1]) {
      expect(() => new LiveFeed({ simulator: simulator(), clock, epoch })).toThrow(RangeError);
    }
    expect(new LiveFeed({ simulator: simulator(), clock, epoch: U32_MAX }).epoch).toBe(U32_MAX);
  });
});
