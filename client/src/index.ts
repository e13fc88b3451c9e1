// @tickwire/client: live Tickwire market data in browsers and Node 20. `connect()` is the API most users
// need (client/README.md); the lower levels — the connection manager, the ingest, the transports — are
// exported for those who build their own (the dashboard uses connect(); the load tester the transports, the
// backoff and Retry-After policy, and the resume and resync rules of continuity.ts).
export { connect, TickwireClient, type ConnectOptions, type ClientEvents, type SubscribeOptions, type SymbolState } from './client.js';
export { TickwireError, type TickwireErrorKind } from './errors.js';
export {
  fetchCandles,
  olderCandles,
  CandlesRequestError,
  HISTORY_INTERVALS,
  HISTORY_INTERVAL_LABELS,
  MAX_CANDLES_PER_PAGE,
  type CandleHistory,
  type FetchCandlesOptions,
  type HistoryInterval,
} from './history.js';
export type { PriceTick, PriceBar, SnapshotEvent } from './decoded.js';
export { RESYNC_AFTER_MS, ResyncGuard, resumeOffer, type ResumeEntry, type ResumeOffer } from './continuity.js';
export { MarketFeed, type FeedCounters, type FeedEvents, type FeedSymbol, type ResyncEvent, type ResyncReason, type StaleEvent } from './feed.js';
export {
  ConnectionManager,
  closeInWords,
  initialStatus,
  unreachable,
  type ConnState,
  type ConnectionStatus,
  type FrameSink,
  type Timers,
} from './connection.js';
export { FRESHNESS, type StaleReason, type Staleness } from './freshness.js';
export {
  AUTO_CHAIN,
  CONNECTION_DEFAULTS,
  MAX_RETRY_AFTER_MS,
  backoffDelay,
  serverRetryAfter,
  type ConnectionConfig,
  type TransportPreference,
} from './transport/policy.js';
export { createTransport, transportFactory } from './transport/factory.js';
export { FetchEventSource } from './transport/sse-reader.js';
export {
  TRANSPORT_KINDS,
  TRANSPORT_LABELS,
  type EventSourceConstructor,
  type FetchLike,
  type Transport,
  type TransportClose,
  type TransportDeps,
  type TransportFactory,
  type TransportHandlers,
  type TransportKind,
  type TransportOptions,
  type WebSocketConstructor,
} from './transport/types.js';
export { WsTransport } from './transport/ws.js';
export { SseTransport } from './transport/sse.js';
export { StreamTransport } from './transport/stream.js';
export { LongPollTransport } from './transport/longpoll.js';
export { ShortPollTransport } from './transport/poll.js';
export { ErrorCode, CloseCode } from '@tickwire/protocol/codes';
export type { InstrumentInfo } from '@tickwire/protocol/instruments';
export type { Tick, FrameHeader } from '@tickwire/protocol/messages';
