// Is what the screen shows still current? Two questions, kept apart because a trader must tell "data
// frozen" from "market quiet": has any frame vouched for a symbol lately (its snapshot, a tick, a
// heartbeat naming it) — if not, its numbers are stale whatever the market does; and has the feed (all
// of it, or one symbol that normally trades — one producer of ingested data may stop while the others go
// on) stopped trading while the server keeps beating — then those prices are frozen at the source. Plain
// arithmetic over timestamps the store records, so the rules are unit-tested with a fake clock.

export const FRESHNESS = {
  /** A symbol is stale after this many heartbeat intervals without a frame covering it (docs/protocol.md). */
  staleHeartbeats: 3,
  /** Shortest silence of trades that counts as a stalled feed... */
  feedStallMinMs: 5_000,
  /** ...and at least this many typical gaps between trades, so a quiet watchlist or symbol is not called stalled. */
  feedStallGaps: 10,
  /** Trades seen before silence can mean a stall: the feed must normally tick. */
  feedWarmTrades: 20,
  /** Weight of a new gap in the typical gap between trades (exponential smoothing). */
  gapSmoothing: 0.05,
  /** How long the mark of a repair or a conflated jump stays on a row. */
  markMs: 4_000,
} as const;

export type StaleReason = 'silent' | 'feed';

export interface Staleness {
  /** 'silent': nothing reached us for the symbol; 'feed': the feed, or the symbol's own source, stopped trading (server still beats). */
  reason: StaleReason;
  /** For how long, ms. */
  forMs: number;
}

export function staleAfterMs(heartbeatMs: number): number {
  return FRESHNESS.staleHeartbeats * heartbeatMs;
}

/**
 * Staleness of one symbol, null when fresh. `coveredAt` is when a frame last vouched for it;
 * `feedStalledForMs` comes from FeedWatch. Silence on the symbol wins: it says more (nothing reaches us).
 */
export function symbolStaleness(coveredAt: number, now: number, heartbeatMs: number, feedStalledForMs: number | null): Staleness | null {
  const silent = now - coveredAt;
  if (silent >= staleAfterMs(heartbeatMs)) return { reason: 'silent', forMs: silent };
  if (feedStalledForMs !== null) return { reason: 'feed', forMs: feedStalledForMs };
  return null;
}

/** Whole seconds of a duration, as shown ("no data for 7 s"). */
export function wholeSeconds(ms: number): number {
  return Math.max(0, Math.floor(ms / 1000));
}

/**
 * How often something (the whole feed, or one symbol) trades, and whether its silence now is unusual:
 * it must have traded normally (enough trades seen) and be silent for several of its typical gaps.
 */
export class TradeRhythm {
  private tradeAt = -Infinity;
  private trades = 0;
  /** Smoothed gap between trading moments, ms. */
  private typicalGapMs = 0;

  /** It traded at `now`; several trades at one moment (one frame) count once. */
  traded(now: number): void {
    if (now === this.tradeAt) return;
    if (this.trades > 0) {
      // A long silence counts as one long gap, not as the new normal.
      const gap = Math.min(now - this.tradeAt, FRESHNESS.feedStallMinMs);
      this.typicalGapMs = this.trades === 1 ? gap : this.typicalGapMs + (gap - this.typicalGapMs) * FRESHNESS.gapSmoothing;
    }
    this.tradeAt = now;
    this.trades++;
  }

  /** Silence that counts as stalled, given how it has been trading. */
  stallAfterMs(): number {
    return Math.max(FRESHNESS.feedStallMinMs, FRESHNESS.feedStallGaps * this.typicalGapMs);
  }

  /** ms since the last trade while that is unusually long, else null. */
  stalledFor(now: number): number | null {
    if (this.trades < FRESHNESS.feedWarmTrades) return null;
    const silent = now - this.tradeAt;
    return silent >= this.stallAfterMs() ? silent : null;
  }
}

/**
 * Trades and heartbeats of the connection as a whole. The feed counts as stalled when heartbeats still
 * arrive (the server is there and says nothing moved) but no watched symbol has traded for a while,
 * although trades normally flow: the connection is fine, the source is not.
 */
export class FeedWatch {
  private heartbeatAt = -Infinity;
  private readonly rhythm = new TradeRhythm();

  heartbeat(now: number): void {
    this.heartbeatAt = now;
  }

  /** A frame with at least one applied trade arrived. */
  traded(now: number): void {
    this.rhythm.traded(now);
  }

  /** Silence the feed must reach to count as stalled, given how it has been trading. */
  stallAfterMs(): number {
    return this.rhythm.stallAfterMs();
  }

  /** Heartbeats arrive: the server is there, so silence in trades is the source's. */
  beating(now: number, heartbeatMs: number): boolean {
    return now - this.heartbeatAt < staleAfterMs(heartbeatMs);
  }

  /** ms since the last trade while the feed looks stalled, else null. */
  stalledFor(now: number, heartbeatMs: number): number | null {
    // No heartbeats either: the connection or the server is stuck, which symbols show as 'silent'.
    return this.beating(now, heartbeatMs) ? this.rhythm.stalledFor(now) : null;
  }
}
