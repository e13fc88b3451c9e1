// Short polling: GET /poll with wait=0 on a fixed cadence; the server answers at once, possibly with
// nothing new. Strictly worse than long polling (more requests, up to one interval of extra delay), so
// it is never chosen automatically; it is here to compare transports and for hostile networks that
// time out held requests.
import { PollingTransport, type PollingDeps, type PollingMode } from './polling.js';
import type { TransportHandlers, TransportOptions } from './types.js';

/** Time between an answer and the next request: half a heartbeat, so answers also serve as beats. */
export const SHORT_POLL_INTERVAL_MS = 500;

export const SHORT_POLL: PollingMode = {
  waitMs: () => 0,
  intervalMs: (beatMs) => Math.min(SHORT_POLL_INTERVAL_MS, beatMs),
};

export class ShortPollTransport extends PollingTransport {
  readonly kind = 'poll' as const;

  constructor(options: TransportOptions, handlers: TransportHandlers, deps?: PollingDeps) {
    super(SHORT_POLL, options, handlers, deps);
  }
}
