// The status bar's numbers: the client's feed counters (snapshots, gaps, resyncs, conflations…) plus what
// only the screen can measure — feed → screen and server → screen latency when a tick was painted, and
// updates per second. Samples are buffered allocation-free per tick and folded once per render flush.
import type { FeedCounters } from '@tickwire/client';
import { RateCounter, SampleWindow } from './metrics.js';

export interface FeedStats extends FeedCounters {
  /** Median now − tick eventTimeMs when the tick reached the screen (render flush), last 5 s: feed → screen. */
  feedToScreenP50: number | null;
  /** Median now − frame sendTimeMs (server → screen), last 5 s. */
  serverToScreenP50: number | null;
  updatesPerSec: number;
}

export function emptyStats(): FeedStats {
  return {
    feedToScreenP50: null,
    serverToScreenP50: null,
    updatesPerSec: 0,
    snapshots: 0,
    duplicates: 0,
    gaps: 0,
    resyncs: 0,
    conflations: 0,
    epochChanges: 0,
    decodeErrors: 0,
  };
}

const LATENCY_WINDOW_MS = 5_000;
/** Pending latency samples kept between frames; a background tab (no frames) drops the rest. */
const PENDING_CAPACITY = 16_384;

export class ScreenLatency {
  private readonly pendingEvent = new Float64Array(PENDING_CAPACITY);
  private readonly pendingSend = new Float64Array(PENDING_CAPACITY);
  private pendingCount = 0;
  private readonly feedLatency = new SampleWindow();
  private readonly serverLatency = new SampleWindow();
  private readonly rate = new RateCounter(5);
  private statsAt = 0;
  private feedP50: number | null = null;
  private serverP50: number | null = null;
  private perSec = 0;

  /** An applied trade (not conflated: its trade may be old) waiting to be painted. */
  trade(eventTimeMs: number, sendTimeMs: number, now: number): void {
    if (this.pendingCount < PENDING_CAPACITY) {
      this.pendingEvent[this.pendingCount] = eventTimeMs;
      this.pendingSend[this.pendingCount] = sendTimeMs;
      this.pendingCount++;
    }
    this.rate.add(now);
  }

  /** Turns ticks shown by this flush into latency samples and refreshes the rolling figures. */
  sampleFrame(now: number): void {
    for (let i = 0; i < this.pendingCount; i++) {
      this.feedLatency.push(now, now - (this.pendingEvent[i] as number));
      this.serverLatency.push(now, now - (this.pendingSend[i] as number));
    }
    this.pendingCount = 0;
    if (now - this.statsAt >= 500) {
      this.statsAt = now;
      const since = now - LATENCY_WINDOW_MS;
      this.feedP50 = this.feedLatency.quantileSince(since, 0.5);
      this.serverP50 = this.serverLatency.quantileSince(since, 0.5);
      this.perSec = this.rate.rate(now);
    }
  }

  stats(counters: Readonly<FeedCounters>): FeedStats {
    return { ...counters, feedToScreenP50: this.feedP50, serverToScreenP50: this.serverP50, updatesPerSec: this.perSec };
  }
}
