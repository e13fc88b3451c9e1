// Reconnect bookkeeping of the simulated clients: which adapters resume, carrying the previous connection's
// continuity into the next one, and what a reconnect storm (--storm-at: every client cut at once) measures.
// The rules themselves are the client library's, as the dashboard follows them: the resume cursor
// (@tickwire/client continuity.ts), full-jitter backoff and the server's Retry-After (transport/policy.ts).
import { resumeOffer } from '@tickwire/client/continuity';
import type { StreamAccounting } from './accounting.js';
import type { AdapterName } from './config.js';
import { newHistogram, type Histogram } from './histogram.js';

/** Adapters whose reconnects present a resume cursor (polling chains cursors inside one connection). */
export const RESUMING_ADAPTERS: ReadonlySet<AdapterName> = new Set(['tickwire-ws', 'tickwire-sse', 'tickwire-stream']);

/**
 * Carries the previous connection's continuity into a new one: the resume offer (epoch + last seq per
 * symbol of that epoch) seeds the new accounting, and its cursor is returned. Null when there is nothing to resume.
 */
export function carryResume(previous: StreamAccounting | null, next: StreamAccounting): string | null {
  if (previous === null) return null;
  const offer = resumeOffer(previous.epoch, previous.resumeEntries());
  if (offer === null) return null;
  next.seedResume(offer.epoch, offer.entries);
  return offer.cursor;
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
