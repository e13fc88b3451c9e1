// The one seam between the connection manager and a wire. Every transport (WebSocket, SSE, binary HTTP
// stream, long and short polling) delivers the same binary frames (protocol/src/codec.ts), so the
// manager never branches on which one it is talking to; each implementation only knows how to open,
// carry control messages and report that it is gone.

export type TransportKind = 'ws' | 'sse' | 'stream' | 'longpoll' | 'poll';

export const TRANSPORT_KINDS: readonly TransportKind[] = ['ws', 'sse', 'stream', 'longpoll', 'poll'];

/** How the UI names each transport (connection panel, transport control, error messages). */
export const TRANSPORT_LABELS: Readonly<Record<TransportKind, string>> = {
  ws: 'WebSocket',
  sse: 'SSE',
  stream: 'HTTP stream',
  longpoll: 'Long poll',
  poll: 'Poll',
};

export function isTransportKind(value: unknown): value is TransportKind {
  return typeof value === 'string' && (TRANSPORT_KINDS as readonly string[]).includes(value);
}

export interface TransportOptions {
  /** Origin (and optional path prefix) of the Tickwire server, e.g. `location.origin`. */
  baseUrl: string;
  /** Symbols to subscribe as soon as the connection opens (WS: a subscribe message; HTTP: the URL). */
  symbols: readonly string[];
  /** Candles per interval wanted in snapshots. */
  history: number;
  /** Request id for the initial subscribe (echoed in its Ack or Error frame). */
  requestId: number;
  /**
   * Resume cursor (protocol/src/cursor.ts) of what the client already holds: symbols inside the server's
   * window get their missed ticks instead of a snapshot. WS: `resume` in the subscribe; HTTP: `cursor=`.
   */
  resume?: string;
  /** Access token for servers started with --auth-secret (`?token=` on the data endpoints). */
  token?: string;
  /** Ask for compact Updates (type 7): `compact: true` in the WS subscribe, `compact=1` in HTTP URLs. */
  compact?: boolean;
}

export interface TransportClose {
  /** Whether the connection ever opened (WS `open`, EventSource `open`, a 200 answer over HTTP). */
  opened: boolean;
  /**
   * Whether the server answered at all (any HTTP status, or the WebSocket opened). False is a network
   * failure — the server is down or unreachable — which says nothing about what the attempt asked for.
   */
  reached: boolean;
  /** WebSocket close code; null for the HTTP transports and for connections that never opened. */
  code: number | null;
  reason: string;
  /** A wait the server asked for (HTTP 503/429 Retry-After), when the transport could read one. */
  retryAfterMs?: number | null;
}

export interface TransportHandlers {
  /** The connection is open; frames may follow. */
  open(): void;
  /** One complete binary frame, not yet decoded. The transport does not keep or reuse the bytes. */
  frame(bytes: Uint8Array): void;
  /** The connection is gone for good. Called at most once, never after `close()`. */
  closed(info: TransportClose): void;
}

export interface Transport {
  readonly kind: TransportKind;
  /** Sends one JSON control message (subscribe/unsubscribe); queued until the transport can send it. */
  control(text: string): void;
  /** Tears the connection down without calling `closed` (the caller has already moved on). */
  close(): void;
}

/** fetch() as the HTTP transports use it (injectable for tests). */
export type FetchLike = (input: string | URL, init?: RequestInit) => Promise<Response>;

/** Late-bound, so a patched `fetch` is honoured and `this` is never wrong. */
export const browserFetch: FetchLike = (input, init) => fetch(input, init);

/**
 * The part of a WebSocket the transport uses, met by the browser's WebSocket and by the `ws` package's.
 * Handlers take `never`: each implementation declares its own event classes, and the transport reads
 * only the fields they share (`data`, `code`, `reason`).
 */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  onopen: ((event: never) => void) | null;
  onmessage: ((event: never) => void) | null;
  onclose: ((event: never) => void) | null;
  onerror: ((event: never) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** The part of an EventSource the SSE transport uses (the browser's, or the fetch-based reader for Node). */
export interface EventSourceLike {
  readonly readyState: number;
  onopen: ((event: never) => void) | null;
  onmessage: ((event: never) => void) | null;
  onerror: ((event: never) => void) | null;
  close(): void;
}

export type EventSourceConstructor = new (url: string) => EventSourceLike;

/** readyState values shared by WebSocket and EventSource (the constants are not globals in Node). */
export const ReadyState = { connecting: 0, open: 1, closed: 2 } as const;

/**
 * What a transport takes from its platform. Browsers need none of it; Node 20 has fetch but no
 * WebSocket or EventSource: pass `ws`'s WebSocket, and SSE falls back to the fetch-based reader.
 */
export interface TransportDeps {
  /** WebSocket constructor; default: the global one. */
  WebSocket?: WebSocketConstructor;
  /** EventSource constructor; default: the global one, else the fetch-based reader (transport/sse-reader.ts). */
  EventSource?: EventSourceConstructor;
  /** fetch for the HTTP transports and control POSTs; default: the global one (late-bound). */
  fetch?: FetchLike;
  /** Randomness and clock of the polling loop's backoff and synthesised frames (tests). */
  random?: () => number;
  now?: () => number;
}

export type TransportFactory = (kind: TransportKind, options: TransportOptions, handlers: TransportHandlers) => Transport;
