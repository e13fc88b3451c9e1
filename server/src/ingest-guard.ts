// What every ingest door of the server shares: the Bearer check of the ingest credential, the per-producer
// rate budget (one bucket per producer across doors, so opening a second door does not double a rate),
// and the bookkeeping of a processed batch (metrics, and rejection logs bounded per reason).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IngestResult } from '@tickwire/core/ingest';
import { RefusalLog } from './admission.js';
import type { Metrics } from './metrics.js';
import type { Logger } from '@tickwire/core/log';

/** Producers whose rate buckets are remembered (the oldest is forgotten first). */
const MAX_PRODUCERS = 10_000;
/** A bucket may hold this many seconds of the rate: the burst. */
const BURST_SECONDS = 2;

const digest = (s: string) => createHash('sha256').update(s).digest();

/** `Authorization` header value → whether it carries the ingest token; constant time, length not leaked. */
export function bearerCheck(token: string): (authorization: string) => boolean {
  const expected = digest(`Bearer ${token}`);
  return (authorization) => timingSafeEqual(digest(authorization), expected);
}

/** Token bucket per producer that may go into debt: a batch is admitted while tokens remain, then charged its trades. */
export class ProducerBuckets {
  private readonly buckets = new Map<string, { tokens: number; atMs: number }>();
  constructor(readonly perSec: number) {}

  private refill(producer: string, nowMs: number): { tokens: number; atMs: number } {
    const cap = this.perSec * BURST_SECONDS;
    let b = this.buckets.get(producer);
    if (b === undefined) {
      if (this.buckets.size >= MAX_PRODUCERS) this.buckets.delete(this.buckets.keys().next().value!);
      b = { tokens: cap, atMs: nowMs };
      this.buckets.set(producer, b);
    }
    b.tokens = Math.min(cap, b.tokens + ((nowMs - b.atMs) / 1000) * this.perSec);
    b.atMs = nowMs;
    return b;
  }

  /** Milliseconds until the producer may send again; 0 = now. */
  waitMs(producer: string, nowMs: number): number {
    const b = this.refill(producer, nowMs);
    return b.tokens >= 1 ? 0 : Math.ceil(((1 - b.tokens) / this.perSec) * 1000);
  }

  charge(producer: string, trades: number, nowMs: number): void {
    this.refill(producer, nowMs).tokens -= trades;
  }
}

/** Counts a processed batch in /metrics and logs its rejections, at most once per reason per window. */
export function batchRecorder(metrics: Metrics, log: Logger): (r: IngestResult) => void {
  const note = rejectionLog(log);
  return (r) => {
    countBatch(metrics, r);
    note(r);
  };
}

/** A processed batch in /metrics: accepted trades (also feed ticks) and rejections by reason. */
export function countBatch(metrics: Metrics, r: IngestResult): void {
  if (r.accepted > 0) {
    metrics.ingestAccepted.inc(r.accepted);
    metrics.ticksIn.inc(r.accepted);
  }
  for (const [reason, n] of Object.entries(r.reasons)) metrics.ingestRejected.inc({ reason }, n);
}

/** Logs a batch's rejections with an example line, at most once per reason per window. */
export function rejectionLog(log: Logger): (r: IngestResult) => void {
  const lineLog = new RefusalLog(
    (fields) => log.warn({ reason: fields.reason, suppressed: fields.suppressed, example: fields.message }, 'ingest lines rejected'),
    () => Date.now(),
  );
  return (r) => {
    // One line per reason per window however many producers send it: a bad producer cannot flood the log.
    for (const reason of Object.keys(r.reasons)) {
      const example = r.errors.find((e) => e.reason === reason);
      lineLog.note({ status: 200, name: reason, message: example === undefined ? reason : `line ${example.line}: ${example.message}` });
    }
  };
}
