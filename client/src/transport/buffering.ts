// Tells a proxy that buffers a streamed response (RFC 6202 §3) from a slow network, from the frames'
// server send times (every frame header carries one) and their arrival times. A buffering proxy holds
// frames and releases them together: frames sent far apart arrive within a few milliseconds of each
// other, late. A slow network delays frames too, but keeps them apart as they were sent (a thin link
// even spreads them further). Pure: the connection manager feeds it and acts on the verdict.

export const BUFFERING_DEFAULTS = {
  /** Frames arriving within this many ms of the previous one belong to the same arrival burst. */
  burstGapMs: 15,
  /** A burst is a release from a buffer when its frames' send times span at least this much. */
  minSendSpreadMs: 400,
  /** … and when its first frame arrived at least this late compared with the best seen. */
  minExcessLagMs: 300,
  /** Releases needed within `windowMs` before the path is called buffering. */
  releases: 2,
  windowMs: 15_000,
} as const;

export type BufferingConfig = { -readonly [K in keyof typeof BUFFERING_DEFAULTS]: number };

export interface BufferingVerdict {
  buffering: boolean;
  /** Human-readable evidence, for the connection panel. */
  reason: string;
}

export class BufferingDetector {
  private readonly config: BufferingConfig;
  /** Smallest arrival − send seen: clock offset plus the path's base latency. */
  private baseLagMs = Infinity;
  private lastArrivalMs = -Infinity;
  private burstMinSendMs = 0;
  private burstMaxSendMs = 0;
  private burstFirstLagMs = 0;
  private burstFrames = 0;
  private releases: Array<{ atMs: number; spreadMs: number; lateMs: number; frames: number }> = [];

  constructor(config: Partial<BufferingConfig> = {}) {
    this.config = { ...BUFFERING_DEFAULTS, ...config };
  }

  /** Records one frame; true the first time the evidence says the path buffers. */
  observe(sendTimeMs: number, arrivalMs: number): boolean {
    const lag = arrivalMs - sendTimeMs;
    if (lag < this.baseLagMs) this.baseLagMs = lag;
    if (arrivalMs - this.lastArrivalMs > this.config.burstGapMs) {
      const before = this.verdict().buffering;
      this.closeBurst(this.lastArrivalMs);
      this.burstMinSendMs = sendTimeMs;
      this.burstMaxSendMs = sendTimeMs;
      this.burstFirstLagMs = lag;
      this.burstFrames = 1;
      this.lastArrivalMs = arrivalMs;
      return !before && this.verdict().buffering;
    }
    this.lastArrivalMs = arrivalMs;
    this.burstFrames++;
    if (sendTimeMs < this.burstMinSendMs) this.burstMinSendMs = sendTimeMs;
    if (sendTimeMs > this.burstMaxSendMs) this.burstMaxSendMs = sendTimeMs;
    return false;
  }

  private closeBurst(atMs: number): void {
    if (this.burstFrames < 2) return;
    const spreadMs = this.burstMaxSendMs - this.burstMinSendMs;
    const lateMs = this.burstFirstLagMs - this.baseLagMs;
    if (spreadMs >= this.config.minSendSpreadMs && lateMs >= this.config.minExcessLagMs) {
      this.releases.push({ atMs, spreadMs, lateMs, frames: this.burstFrames });
    }
    this.releases = this.releases.filter((r) => atMs - r.atMs <= this.config.windowMs);
  }

  verdict(): BufferingVerdict {
    const n = this.releases.length;
    if (n < this.config.releases) return { buffering: false, reason: '' };
    const last = this.releases[n - 1]!;
    return {
      buffering: true,
      reason: `a proxy on the path buffers the stream: ${n} releases of up to ${last.frames} frames sent over ${Math.round(last.spreadMs)} ms arrived at once, ${Math.round(last.lateMs)} ms late`,
    };
  }

  reset(): void {
    this.baseLagMs = Infinity;
    this.lastArrivalMs = -Infinity;
    this.burstFrames = 0;
    this.releases = [];
  }
}
