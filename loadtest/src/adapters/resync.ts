// Gap repair for the Tickwire adapters (protocol: "Gaps and heartbeats"): when the accounting sees ticks
// lost (a seq jump, or a heartbeat ahead of what arrived) the symbol is re-subscribed through the client
// transport's own control path (a WebSocket message, a session POST, or a cursor reset when polling),
// and its fresh Snapshot arrives in order. How often is the dashboard's rule (@tickwire/client
// ResyncGuard): one request in flight per symbol — losses seen before its snapshot lands are the same
// loss — repeated only if unanswered for RESYNC_AFTER_MS.
import { ResyncGuard } from '@tickwire/client/continuity';
import type { Transport } from '@tickwire/client/transport/types';
import { controlText } from '@tickwire/protocol/control';
import type { SymbolRef } from '../symbols.js';
import type { ClientHooks } from './types.js';

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
  // One guard per connection (each connection has its own accounting), as the dashboard clears its own per session.
  const guard = new ResyncGuard<number>();
  let requestId = 1;
  hooks.stream.onSnapshot = (symbolId) => guard.answered(symbolId);
  hooks.stream.onLoss = (symbolId) => {
    const ticker = tickerOf.get(symbolId);
    if (ticker === undefined || !guard.ask(symbolId, now())) return;
    counters.resyncs++;
    if (httpRequests) counters.requests++;
    transport.control(controlText('subscribe', [ticker], { id: ++requestId, history }));
  };
}
