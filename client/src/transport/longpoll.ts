// Long polling (RFC 6202 §2): each GET /poll is held by the server until a named symbol ticks or the
// wait passes, then answered with what the cursor lacks; the next request follows at once. Works
// through proxies that break streamed responses, which is why it ends the automatic fallback chain.
import { PollingTransport, type PollingDeps, type PollingMode } from './polling.js';
import type { TransportHandlers, TransportOptions } from './types.js';

/** Longest hold asked for; every server accepts it (its --poll-wait-ms is at least 1000). */
export const LONG_POLL_MAX_WAIT_MS = 1_000;

export const LONG_POLL: PollingMode = {
  // Held about one heartbeat, so even a quiet market answers (with a Heartbeat) as often as a stream
  // would beat: staleness and liveness need no special case for polling.
  waitMs: (beatMs) => Math.max(1, Math.min(beatMs, LONG_POLL_MAX_WAIT_MS)),
  // The answer came because there is news; ask again right away.
  intervalMs: () => 0,
};

export class LongPollTransport extends PollingTransport {
  readonly kind = 'longpoll' as const;

  constructor(options: TransportOptions, handlers: TransportHandlers, deps?: PollingDeps) {
    super(LONG_POLL, options, handlers, deps);
  }
}
