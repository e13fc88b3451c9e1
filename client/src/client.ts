// connect(): the public face of the client. One object that keeps a set of symbols subscribed on a
// Tickwire server whatever happens to the connection — transport fallback, reconnects with resume, gap
// repair — and tells its user what changed through events. It composes the two halves below it, both
// exported for users who need less: ConnectionManager (transports, fallback, backoff, attempt ids) and
// MarketFeed (seq/epoch rules, gaps, resume cursors, staleness).
import { CloseCode } from '@tickwire/protocol/codes';
import type { InstrumentInfo } from '@tickwire/protocol/instruments';
import { ConnectionManager, type ConnectionStatus, type Timers } from './connection.js';
import { Emitter } from './emitter.js';
import { TickwireError } from './errors.js';
import { MarketFeed, type FeedCounters, type FeedEvents, type FeedSymbol } from './feed.js';
import type { Staleness } from './freshness.js';
import type { ConnectionConfig, TransportPreference } from './transport/policy.js';
import { transportFactory } from './transport/factory.js';
import type { EventSourceConstructor, FetchLike, TransportFactory, TransportKind, WebSocketConstructor } from './transport/types.js';

export interface ConnectOptions {
  /** 'auto' (default: WebSocket, then SSE, then long polling) or one transport kind, forced. */
  transports?: TransportPreference;
  /** Access token for servers started with --auth-secret. */
  token?: string;
  /** Symbols to subscribe from the first connection on (same as calling subscribe() at once). */
  symbols?: readonly string[];
  /** Candles per interval in snapshots (default 500). */
  history?: number;
  /**
   * Ask for compact Updates frames (protocol type 7: varint deltas, about half the bytes per update) on
   * every transport. Off by default; decoding both encodings is always on.
   */
  compact?: boolean;
  /** WebSocket class: the platform's by default; in Node 20 pass `ws`'s (`import WebSocket from 'ws'`). */
  WebSocket?: WebSocketConstructor;
  /** EventSource class: the platform's by default; absent (Node) → a fetch-based SSE reader. */
  EventSource?: EventSourceConstructor;
  /** fetch for the HTTP transports (default: the global one). */
  fetch?: FetchLike;
  /** Reconnect and liveness timings (backoff, Hello timeout, staleness); see CONNECTION_DEFAULTS. */
  config?: Partial<ConnectionConfig>;
  /** How often staleness is re-checked while nothing arrives, ms (default 1000). */
  staleCheckMs?: number;
  /** Do not connect until open() is called (e.g. until the symbol list is known). Default false. */
  lazy?: boolean;
  /** Lower level, for tests and custom transports: builds the transport of each attempt. */
  createTransport?: TransportFactory;
  random?: () => number;
  now?: () => number;
  timers?: Timers;
  /** Where a throwing event listener is reported (default console.error). */
  onListenerError?: (error: unknown) => void;
}

export interface ClientEvents extends FeedEvents {
  status: (status: Readonly<ConnectionStatus>) => void;
  error: (error: TickwireError) => void;
}

export interface SubscribeOptions {
  /** Candles per interval in the snapshots asked for from now on. */
  history?: number;
}

/** What a subscribed symbol looks like to the client right now. */
export interface SymbolState {
  ticker: string;
  /** A snapshot was applied on this connection and nothing has voided it since. */
  ready: boolean;
  epoch: number;
  /** Seq of the last tick applied. */
  seq: number;
  priceScale: number;
  sizeScale: number;
  rejected: string | null;
  stale: Staleness | null;
}

export class TickwireClient {
  /** The ingest half (lower level): seq rules, resume, gaps, staleness, counters. */
  readonly feed: MarketFeed;
  /** The connection half (lower level): transports, fallback, backoff. */
  readonly connection: ConnectionManager;
  private readonly events: Emitter<ClientEvents>;
  private wanted: string[] = [];
  private readonly staleTimer: ReturnType<typeof setInterval>;
  private started = false;
  private closed = false;

  constructor(url: string, options: ConnectOptions = {}) {
    const now = options.now ?? (() => Date.now());
    this.events = new Emitter<ClientEvents>(options.onListenerError);
    this.feed = new MarketFeed({ requestResync: (tickers) => this.connection.resync(tickers), now, onListenerError: options.onListenerError });
    this.connection = new ConnectionManager({
      baseUrl: url,
      token: options.token,
      compact: options.compact === true,
      sink: this.feed,
      createTransport: options.createTransport ?? transportFactory({ WebSocket: options.WebSocket, EventSource: options.EventSource, fetch: options.fetch }),
      preference: options.transports ?? 'auto',
      config: { ...options.config, ...(options.history !== undefined ? { history: options.history } : {}) },
      random: options.random,
      now,
      timers: options.timers,
      onStatus: (status) => this.events.emit('status', status),
      onRejected: (tickers, message) => this.feed.reject(tickers, message),
      onServerError: (code, message, symbols) => this.events.emit('error', new TickwireError('refused', message, { code, symbols })),
      onConnectionLost: (reason, code) => {
        if (this.closed) return;
        const byServer = code !== null && code !== CloseCode.Normal && code !== CloseCode.GoingAway;
        this.events.emit('error', new TickwireError(byServer ? 'closed' : 'transport', reason, { code: byServer ? code : null }));
      },
    });
    this.staleTimer = setInterval(() => this.feed.checkStaleness(), options.staleCheckMs ?? 1000);
    if (options.symbols !== undefined) this.wanted = [...new Set(options.symbols)];
    this.feed.setSymbols(this.wanted);
    this.connection.setSymbols(this.wanted);
    // Started after the caller's synchronous setup (subscribe, on), so the first attempt carries it all.
    if (options.lazy !== true) queueMicrotask(() => this.open());
  }

  /**
   * Listens to an event; returns the function that stops listening. Events: 'snapshot', 'ticks',
   * 'record' (raw, hot path), 'status', 'stale', 'resync', 'error'.
   */
  on<K extends keyof ClientEvents>(event: K, listener: ClientEvents[K]): () => void {
    if (event === 'status' || event === 'error') return this.events.on(event, listener);
    return this.feed.on(event as keyof FeedEvents, listener as FeedEvents[keyof FeedEvents]);
  }

  /** Adds symbols; each arrives as a snapshot, then ticks. Subscribing a held symbol asks for a fresh snapshot. */
  subscribe(symbols: readonly string[], options: SubscribeOptions = {}): void {
    if (options.history !== undefined) this.connection.setHistory(options.history);
    const held = symbols.filter((t) => this.wanted.includes(t));
    this.setSymbols([...this.wanted, ...symbols]);
    if (held.length > 0) this.connection.resync(held);
  }

  unsubscribe(symbols: readonly string[]): void {
    const gone = new Set(symbols);
    this.setSymbols(this.wanted.filter((t) => !gone.has(t)));
  }

  /** Replaces the subscribed set (in order): what is new is subscribed, what is gone unsubscribed. */
  setSymbols(symbols: readonly string[]): void {
    this.wanted = [...new Set(symbols)];
    this.feed.setSymbols(this.wanted);
    this.connection.setSymbols(this.wanted);
  }

  /** The subscribed symbols, in order. */
  symbols(): string[] {
    return [...this.wanted];
  }

  symbol(ticker: string): SymbolState | undefined {
    const s: Readonly<FeedSymbol> | undefined = this.feed.symbol(ticker);
    if (s === undefined) return undefined;
    const { ready, epoch, seq, priceScale, sizeScale, rejected } = s;
    return { ticker, ready, epoch, seq, priceScale, sizeScale, rejected, stale: this.feed.staleness(ticker) };
  }

  /** Instruments (`/api/symbols`) known ahead of snapshots: ids for resume and repair before the first snapshot. */
  setInstruments(list: readonly InstrumentInfo[]): void {
    this.feed.setInstruments(list);
  }

  get status(): Readonly<ConnectionStatus> {
    return this.connection.snapshot;
  }

  get counters(): Readonly<FeedCounters> {
    return { ...this.feed.counters };
  }

  /** Is the symbol's data current? null: fresh (or nothing to judge yet). */
  staleness(ticker: string): Staleness | null {
    return this.feed.staleness(ticker);
  }

  /** ms the feed has not traded while the server still beats (stalled at the source), else null. */
  feedStalledFor(): number | null {
    return this.feed.feedStalledFor();
  }

  /** Switches transport ('auto' or one kind) and reconnects with it at once. */
  setTransport(preference: TransportPreference): void {
    this.connection.setPreference(preference);
  }

  /** While waiting to reconnect (status.retryAt set): try at once instead of after the backoff. */
  retryNow(): void {
    this.connection.retryNow();
  }

  /** A fresh token for the next connection (e.g. after an 'error' with tokenExpired). */
  setToken(token: string | undefined): void {
    this.connection.setToken(token);
  }

  /** The transport in use (or being tried). */
  get transport(): TransportKind | null {
    return this.connection.snapshot.transport;
  }

  /** Ends the connection for good and drops every listener. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.staleTimer);
    this.connection.stop();
    this.events.clear();
    this.feed.clearListeners();
  }

  /** Starts connecting (only needed with `lazy: true`; connect() does it otherwise). */
  open(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.connection.start();
  }
}

/** Connects to the Tickwire server at `url` (its origin, e.g. `https://prices.example.com`). */
export function connect(url: string, options: ConnectOptions = {}): TickwireClient {
  return new TickwireClient(url, options);
}
