// Builds any transport by kind with one set of platform dependencies: the connection manager asks for
// "the next transport" without knowing which runtime it runs in, and Node users (or the load tester)
// inject `ws` and fetch once, here.
import { LongPollTransport } from './longpoll.js';
import { ShortPollTransport } from './poll.js';
import { SseTransport } from './sse.js';
import { StreamTransport } from './stream.js';
import type { Transport, TransportDeps, TransportFactory, TransportHandlers, TransportKind, TransportOptions } from './types.js';
import { WsTransport } from './ws.js';

export function createTransport(kind: TransportKind, options: TransportOptions, handlers: TransportHandlers, deps: TransportDeps = {}): Transport {
  switch (kind) {
    case 'ws':
      return new WsTransport(options, handlers, deps);
    case 'sse':
      return new SseTransport(options, handlers, deps);
    case 'stream':
      return new StreamTransport(options, handlers, deps);
    case 'longpoll':
      return new LongPollTransport(options, handlers, deps);
    case 'poll':
      return new ShortPollTransport(options, handlers, deps);
  }
}

/** A TransportFactory bound to `deps` (what ConnectionManager takes). */
export function transportFactory(deps: TransportDeps = {}): TransportFactory {
  return (kind, options, handlers) => createTransport(kind, options, handlers, deps);
}
