// Full-jitter exponential backoff: the one retry-spacing rule of the dashboard, the load tester and the
// server's NATS reconnects. Pure (the random source is injected) so every caller's tests can pin the draw.

/** Doubling stops here: base · 2^30 is past any sensible cap, and the product stays finite. */
const MAX_DOUBLINGS = 30;
/** Highest draw used, so a source returning exactly 1 still lands below the ceiling. */
const MAX_DRAW = 0.999_999;

export interface BackoffWindow {
  /** Ceiling of the first window (0 doublings), ms. */
  baseMs: number;
  /** The ceiling never grows past this, ms. */
  capMs: number;
  /** Lowest delay, ms (default 0: pure full jitter). */
  floorMs?: number;
}

/** Upper end of the window after `doublings` doublings: min(capMs, baseMs · 2^doublings). */
export function backoffCeilingMs(doublings: number, baseMs: number, capMs: number): number {
  return Math.min(capMs, baseMs * 2 ** Math.min(Math.max(0, doublings), MAX_DOUBLINGS));
}

/**
 * Full jitter (AWS architecture blog): uniform in [floorMs, min(capMs, baseMs · 2^doublings)). Spreading
 * retries over the whole window keeps the clients of a restarted server from knocking at once. Not
 * rounded: callers that need whole milliseconds floor or round the result.
 */
export function fullJitterMs(doublings: number, window: BackoffWindow, random: () => number = Math.random): number {
  const floor = window.floorMs ?? 0;
  const ceiling = backoffCeilingMs(doublings, window.baseMs, window.capMs);
  const draw = Math.min(Math.max(random(), 0), MAX_DRAW);
  return floor + draw * (ceiling - floor);
}
