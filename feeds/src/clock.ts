// Where the live feed learns what time it is. Injected so tests can step time by hand and replay
// exactly the same ticks, while production reads the system clock with sub-millisecond resolution.

export interface Clock {
  /** Milliseconds since the Unix epoch; may carry a fraction. */
  now(): number;
}

/**
 * Wall clock with sub-millisecond resolution. performance.now() is monotonic, so the feed never sees
 * time step backwards when NTP adjusts the system clock; timeOrigin anchors it to the Unix epoch.
 */
export const systemClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
};

/** A clock that only moves when told to, for deterministic tests. */
export class ManualClock implements Clock {
  #ms: number;

  constructor(startMs = 0) {
    this.#ms = startMs;
  }

  now(): number {
    return this.#ms;
  }

  set(ms: number): void {
    if (!Number.isFinite(ms)) throw new RangeError(`clock time must be finite, got ${ms}`);
    this.#ms = ms;
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`clock can only advance by a finite ms >= 0, got ${ms}`);
    this.#ms += ms;
  }
}
