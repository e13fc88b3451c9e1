// Reconnect policy and storm bookkeeping of the simulated clients: full-jitter exponential backoff, the
// server's own `retry-after-ms` on a 1001 close, resume cursors carried from one connection to the next,
// and what a reconnect storm (--storm-at: every client cut at once) measures.
import { fullJitterMs as sharedFullJitterMs } from '@tickwire/protocol/backoff';
import { formatCursor } from '@tickwire/protocol/cursor';
import { CloseCode, retryAfterFromReason } from '@tickwire/protocol/codes';
import type { StreamAccounting } from './accounting.js';
import type { AdapterName } from './config.js';
import { newHistogram, type Histogram } from './histogram.js';

export const BACKOFF_BASE_MS = 250;
export const BACKOFF_MAX_MS = 5_000;
/** A server asking for more than this is capped (a run must stay bounded). */
export const RETRY_AFTER_CAP_MS = 30_000;

/** Adapters whose reconnects present a resume cursor (polling chains cursors inside one connection). */
export const RESUMING_ADAPTERS: ReadonlySet<AdapterName> = new Set(['tickwire-ws', 'tickwire-sse', 'tickwire-stream']);

/** Full jitter (protocol/src/backoff.ts): uniform in [0, min(max, base × 2^streak)). */
export function fullJitterMs(streak: number, random: () => number): number {
  return sharedFullJitterMs(streak, { baseMs: BACKOFF_BASE_MS, capMs: BACKOFF_MAX_MS }, random);
}

/** The wait a close asks for: 1001 with `retry-after-ms=N` → N (capped); otherwise null (use backoff). */
export function retryAfterMs(code: number, reason: string): number | null {
  if (code !== CloseCode.GoingAway) return null;
  return retryAfterFromReason(reason, RETRY_AFTER_CAP_MS);
}

/**
 * Carries the previous connection's continuity into a new one: builds the cursor (epoch + last seq per
 * symbol of that epoch) and seeds the new accounting with it. Null when there is nothing to resume.
 */
export function carryResume(previous: StreamAccounting | null, next: StreamAccounting): string | null {
  if (previous === null || previous.epoch === null) return null;
  const entries = previous.resumeEntries();
  if (entries.length === 0) return null;
  next.seedResume(previous.epoch, entries);
  return formatCursor(previous.epoch, entries);
}

/** One worker's view of a reconnect storm. */
export class StormStats {
  /** Connections cut by the storm, and those that got data again afterwards. */
  dropped = 0;
  reconnected = 0;
  /** Drop → first data (replayed tick or snapshot) on the new connection, µs. */
  readonly reconnectTime: Histogram = newHistogram();

  destroy(): void {
    this.reconnectTime.destroy();
  }
}
