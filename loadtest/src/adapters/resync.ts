// Gap repair for the Tickwire adapters (protocol: "Gaps and heartbeats"): when the accounting sees ticks
// lost (a seq jump, or a heartbeat ahead of what arrived) the symbol is re-subscribed through the client
// transport's own control path (a WebSocket message, a session POST, or a cursor reset when polling),
// and its fresh Snapshot arrives in order. One request per symbol per second at most: the losses seen
// before that snapshot lands are the same loss.
import { controlText } from '@tickwire/protocol/control';
import type { Transport } from '@tickwire/client/transport/types';
import type { SymbolRef } from '../symbols.js';
import type { ClientHooks } from './types.js';

export const RESYNC_MIN_INTERVAL_MS = 1_000;

/** `httpRequests`: each control is its own HTTP request (SSE and stream sessions), counted as such. */
export function installResync(
  hooks: ClientHooks,
  transport: Transport,
  symbols: readonly SymbolRef[],
  history: number,
  now: () => number,
  httpRequests: boolean,
): void {
  const counters = hooks.stream.sink.counters;
  const tickerOf = new Map(symbols.map((s) => [s.id, s.ticker]));
  const askedAt = new Map<number, number>();
  let requestId = 1;
  hooks.stream.onLoss = (symbolId) => {
    const ticker = tickerOf.get(symbolId);
    const t = now();
    if (ticker === undefined || t - (askedAt.get(symbolId) ?? -Infinity) < RESYNC_MIN_INTERVAL_MS) return;
    askedAt.set(symbolId, t);
    counters.resyncs++;
    if (httpRequests) counters.requests++;
    transport.control(controlText('subscribe', [ticker], { id: ++requestId, history }));
  };
}
