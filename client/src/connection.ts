// Connection manager: the policy half of the client's network layer. It opens one transport at a time
// (WebSocket first, then SSE, then long polling, each when the one before cannot open or stays silent;
// or the one transport the user forced), tags every attempt with an id so
// callbacks of dead connections are ignored, reconnects with full-jitter backoff, keeps the server's
// subscriptions equal to the watchlist, and hands every frame to a sink. Plain TypeScript with
// injectable transports, timers and randomness, so it is unit-tested; client.ts (connect) wires it to the
// ingest (feed.ts) behind the public API.
import { decodeFrame, decodeHeader } from '@tickwire/protocol/codec';
import { CloseCode, ErrorCode, retryAfterFromReason } from '@tickwire/protocol/codes';
import { controlText, type ControlOp } from '@tickwire/protocol/control';
import { FrameType, type FrameHeader, type HelloFrame } from '@tickwire/protocol/messages';
import {
  AUTO_CHAIN,
  CONNECTION_DEFAULTS,
  isStreamed,
  nextDelay,
  serverRetryAfter,
  nextTransport,
  type AttemptRecord,
  type ConnectionConfig,
  type StickyFallback,
  type TransportPreference,
} from './transport/policy.js';
import { BufferingDetector } from './transport/buffering.js';
import { TRANSPORT_LABELS, type Transport, type TransportClose, type TransportFactory, type TransportKind } from './transport/types.js';

export type ConnState = 'idle' | 'connecting' | 'live' | 'reconnecting' | 'fallback' | 'stopped';

export interface ConnectionStatus {
  state: ConnState;
  /** Transport of the current (or pending) attempt. */
  transport: TransportKind | null;
  preference: TransportPreference;
  /** Attempts started since the page loaded. */
  attempts: number;
  /** Times a live connection was re-established after one was lost. */
  reconnects: number;
  /** Why the last attempt or connection ended (kept while live: it explains a fallback). */
  lastError: string | null;
  serverId: string | null;
  sessionId: string | null;
  heartbeatMs: number | null;
  maxSymbols: number | null;
  /** Wall-clock time (ms) of the next attempt while waiting to reconnect. */
  retryAt: number | null;
  /**
   * Transports that failed since the last live connection, in the order tried (each once). When it holds
   * every transport the preference allows (unreachable()), nothing can connect right now.
   */
  tried: TransportKind[];
}

/** Where decoded-enough frames go (the market store). */
export interface FrameSink {
  /**
   * A resume cursor for `symbols` (what the client already holds), asked for when a connection starts;
   * null when there is nothing to resume.
   */
  resumeCursor?(symbols: readonly string[]): string | null;
  /**
   * A connection said Hello. Symbols offered in the cursor stay valid if the epoch still matches (missed
   * ticks or a snapshot follow); every other symbol is void until its snapshot arrives.
   */
  sessionStarted(hello: HelloFrame, resumed: boolean): void;
  frame(bytes: Uint8Array, header: FrameHeader): void;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface ConnectionOptions {
  baseUrl: string;
  /** Access token for servers that require one (`?token=`). */
  token?: string;
  /** Ask for compact Updates (type 7) on every subscribe and stream URL. */
  compact?: boolean;
  sink: FrameSink;
  createTransport: TransportFactory;
  preference?: TransportPreference;
  config?: Partial<ConnectionConfig>;
  random?: () => number;
  now?: () => number;
  timers?: Timers;
  onStatus?: (status: Readonly<ConnectionStatus>) => void;
  /** The server refused these symbols for good (unknown, over the limit). */
  onRejected?: (tickers: string[], message: string) => void;
  /** An Error frame that was not handled by a retry: its code (ErrorCode), message and the request's symbols. */
  onServerError?: (code: number, message: string, symbols: string[]) => void;
  /** An attempt or a live connection ended: why, and the WebSocket close code if there was one. */
  onConnectionLost?: (reason: string, closeCode: number | null) => void;
}

interface Attempt {
  id: number;
  kind: TransportKind;
  gotHello: boolean;
  /** The attempt offered a resume cursor. */
  resumed: boolean;
  /** Watches a streamed transport in auto mode for a buffering proxy; null otherwise. */
  buffering: BufferingDetector | null;
}

interface PendingRequest {
  op: ControlOp;
  symbols: string[];
  /** The subscribe carried a resume cursor. */
  resumed?: boolean;
}

export function initialStatus(preference: TransportPreference): ConnectionStatus {
  return {
    state: 'idle',
    transport: null,
    preference,
    attempts: 0,
    reconnects: 0,
    lastError: null,
    serverId: null,
    sessionId: null,
    heartbeatMs: null,
    maxSymbols: null,
    retryAt: null,
    tried: [],
  };
}

/** Every transport `status.preference` allows has failed since the last live connection (and none is live). */
export function unreachable(status: Readonly<ConnectionStatus>): boolean {
  if (status.state !== 'connecting' && status.state !== 'reconnecting') return false;
  const allowed = status.preference === 'auto' ? AUTO_CHAIN : [status.preference];
  return allowed.every((kind) => status.tried.includes(kind));
}

const defaultTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
};

export class ConnectionManager {
  readonly config: ConnectionConfig;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly timers: Timers;

  private current: Attempt | null = null;
  private transport: Transport | null = null;
  private attemptSeq = 0;
  private last: AttemptRecord | null = null;
  private failures = 0;
  private fallback: StickyFallback | null = null;
  private everLive = false;
  private stopped = true;
  /** The last attempt offered a cursor and never got going: the next one asks for plain snapshots. */
  private resumeBlocked = false;

  private helloTimer: unknown = null;
  private retryTimer: unknown = null;
  private staleTimer: unknown = null;
  private lastFrameAt = 0;

  private wanted: string[] = [];
  /** Symbols the current connection has been asked to carry. */
  private carried = new Set<string>();
  private readonly requests = new Map<number, PendingRequest>();
  private requestSeq = 0;

  private readonly status: ConnectionStatus;

  constructor(private readonly options: ConnectionOptions) {
    this.config = { ...CONNECTION_DEFAULTS, ...options.config };
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.timers = options.timers ?? defaultTimers;
    this.status = initialStatus(options.preference ?? 'auto');
  }

  get snapshot(): Readonly<ConnectionStatus> {
    return { ...this.status };
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect(nextTransport(this.decisionInput()));
  }

  /** While waiting to reconnect: try now instead of at `retryAt` (a user's "retry now"). */
  retryNow(): void {
    if (this.stopped || this.retryTimer === null) return;
    this.clearTimer('retryTimer');
    this.failures = 0;
    this.connect(nextTransport(this.decisionInput()));
  }

  stop(): void {
    this.stopped = true;
    this.dropAttempt();
    this.clearTimer('retryTimer');
    this.update({ state: 'stopped', retryAt: null });
  }

  /** The symbols the server should carry, in watchlist order. */
  setSymbols(tickers: readonly string[]): void {
    this.wanted = [...new Set(tickers)];
    if (this.current?.gotHello) this.syncSubscriptions();
  }

  /** The token for the next connection attempt (a live connection keeps the one it was opened with). */
  setToken(token: string | undefined): void {
    this.options.token = token;
  }

  /** Candles per interval asked for in snapshots from now on. */
  setHistory(history: number): void {
    this.config.history = history;
  }

  /** Switches transport policy and reconnects at once with it. */
  setPreference(preference: TransportPreference): void {
    if (preference === this.status.preference) return;
    this.status.preference = preference;
    this.fallback = null;
    this.last = null;
    this.failures = 0;
    this.update({});
    if (this.stopped) return;
    this.dropAttempt();
    this.clearTimer('retryTimer');
    this.connect(nextTransport(this.decisionInput()));
  }

  /**
   * Asks for fresh snapshots of these symbols on the live connection: subscribing a symbol already held
   * answers with a new Snapshot (then its Updates continue from there), no unsubscribe needed.
   */
  resync(tickers: readonly string[]): void {
    if (!this.current?.gotHello) return; // the next connection brings snapshots anyway
    const list = tickers.filter((t) => this.carried.has(t));
    if (list.length > 0) this.send('subscribe', list);
  }

  // -- attempts -----------------------------------------------------------------------------------

  private decisionInput() {
    return {
      preference: this.status.preference,
      last: this.last,
      fallback: this.fallback,
      now: this.now(),
      fallbackStickyMs: this.config.fallbackStickyMs,
    };
  }

  private connect(kind: TransportKind): void {
    this.retryTimer = null;
    if (this.stopped) return;
    const symbols = [...this.wanted];
    const resume = (!this.resumeBlocked && symbols.length > 0 ? this.options.sink.resumeCursor?.(symbols) : null) ?? undefined;
    const buffering = this.status.preference === 'auto' && isStreamed(kind) ? new BufferingDetector() : null;
    const attempt: Attempt = { id: ++this.attemptSeq, kind, gotHello: false, resumed: resume !== undefined, buffering };
    this.current = attempt;
    this.requests.clear();
    this.carried = new Set(symbols);
    const requestId = this.newRequest('subscribe', symbols, attempt.resumed);
    this.update({
      state: this.everLive ? 'reconnecting' : 'connecting',
      transport: kind,
      attempts: this.status.attempts + 1,
      retryAt: null,
    });
    const isCurrent = () => this.current === attempt;
    let transport: Transport;
    try {
      transport = this.options.createTransport(
        kind,
        {
          baseUrl: this.options.baseUrl,
          symbols,
          history: this.config.history,
          requestId,
          resume,
          token: this.options.token,
          ...(this.options.compact === true ? { compact: true } : {}),
        },
        {
          open: () => {},
          frame: (bytes) => {
            if (isCurrent()) this.onFrame(attempt, bytes);
          },
          closed: (info) => {
            if (!isCurrent()) return;
            const reason = describeClose(kind, info);
            this.options.onConnectionLost?.(reason, info.code);
            this.fail(reason, { retryAfterMs: serverRetryAfter(info), reached: info.reached });
          },
        },
      );
    } catch (error) {
      this.fail(`${kind} could not start: ${(error as Error).message}`);
      return;
    }
    if (!isCurrent()) {
      transport.close(); // it failed synchronously and the manager has moved on
      return;
    }
    this.transport = transport;
    this.helloTimer = this.timers.setTimeout(() => {
      this.helloTimer = null;
      if (isCurrent() && !attempt.gotHello) this.fail(`${label(kind)}: no Hello within ${this.config.helloTimeoutMs} ms`);
    }, this.config.helloTimeoutMs);
  }

  private onFrame(attempt: Attempt, bytes: Uint8Array): void {
    this.lastFrameAt = this.now();
    const head = decodeHeader(bytes);
    if (!head.ok) return; // the store counts decode errors of the frames it reads
    const header = head.value;
    const buffered = attempt.buffering?.observe(header.sendTimeMs, this.now()) === true;
    if (header.type === FrameType.Hello) {
      const hello = decodeFrame(bytes);
      if (hello.ok && hello.value.type === FrameType.Hello) this.onHello(attempt, hello.value);
    } else {
      if (header.type === FrameType.Ack || header.type === FrameType.Error) this.onReply(bytes);
      this.options.sink.frame(bytes, header);
    }
    // The frame was used: the long-poll attempt resumes from what the store holds, so nothing is lost.
    if (buffered && this.current === attempt) this.fail(attempt.buffering!.verdict().reason, { buffered: true });
  }

  private onHello(attempt: Attempt, hello: HelloFrame): void {
    if (attempt.gotHello) return;
    attempt.gotHello = true;
    this.clearTimer('helloTimer');
    // In auto mode anything but WebSocket is a fallback; it stays sticky for a while (policy.ts).
    const fellBack = this.status.preference === 'auto' && attempt.kind !== 'ws';
    if (fellBack && this.fallback?.kind !== attempt.kind) this.fallback = { kind: attempt.kind, since: this.now() };
    if (attempt.kind === 'ws') this.fallback = null;
    if (this.everLive) this.status.reconnects++;
    this.everLive = true;
    this.failures = 0;
    this.resumeBlocked = false;
    this.update({
      state: fellBack ? 'fallback' : 'live',
      tried: [],
      serverId: hello.serverId,
      sessionId: hello.sessionId,
      heartbeatMs: hello.heartbeatMs,
      maxSymbols: hello.maxSymbols,
    });
    this.options.sink.sessionStarted(hello, attempt.resumed);
    this.syncSubscriptions();
    this.armStaleCheck(attempt);
  }

  /** Liveness: a connection that delivers nothing (not even heartbeats) for a few beats is dead. */
  private armStaleCheck(attempt: Attempt): void {
    const beat = this.status.heartbeatMs ?? 1000;
    const limit = Math.max(this.config.staleMinMs, this.config.staleHeartbeats * beat);
    const check = () => {
      this.staleTimer = null;
      if (this.current !== attempt) return;
      const silent = this.now() - this.lastFrameAt;
      if (silent >= limit) this.fail(`no data for ${Math.round(silent)} ms`);
      else this.staleTimer = this.timers.setTimeout(check, Math.min(1000, limit - silent + 1));
    };
    this.staleTimer = this.timers.setTimeout(check, Math.min(1000, limit));
  }

  /**
   * Ends the current attempt and schedules the next. `retryAfterMs`: a wait the server asked for;
   * `buffered`: a proxy buffers this transport; `reached` (default true): the server answered the attempt
   * — false means down or unreachable, which is no fault of a resume cursor.
   */
  private fail(reason: string, how: { retryAfterMs?: number | null; buffered?: boolean; reached?: boolean } = {}): void {
    const { retryAfterMs = null, buffered = false, reached = true } = how;
    const attempt = this.current;
    if (attempt === null) return;
    this.last = { kind: attempt.kind, gotHello: attempt.gotHello, buffered };
    if (!attempt.gotHello) this.failures++;
    if (!attempt.gotHello && attempt.resumed && reached) this.resumeBlocked = true;
    this.dropAttempt();
    if (this.stopped) return;
    const next = nextTransport(this.decisionInput());
    const delay = retryAfterMs ?? nextDelay({ failures: this.failures, last: this.last, next, preference: this.status.preference }, this.config, this.random);
    this.update({
      state: this.everLive ? 'reconnecting' : 'connecting',
      transport: next,
      lastError: reason,
      retryAt: this.now() + delay,
      tried: this.status.tried.includes(attempt.kind) ? this.status.tried : [...this.status.tried, attempt.kind],
    });
    this.retryTimer = this.timers.setTimeout(() => this.connect(next), delay);
  }

  private dropAttempt(): void {
    this.current = null;
    this.clearTimer('helloTimer');
    this.clearTimer('staleTimer');
    const t = this.transport;
    this.transport = null;
    t?.close();
  }

  private clearTimer(name: 'helloTimer' | 'retryTimer' | 'staleTimer'): void {
    const handle = this[name];
    if (handle !== null) this.timers.clearTimeout(handle);
    this[name] = null;
  }

  // -- subscriptions ------------------------------------------------------------------------------

  private syncSubscriptions(): void {
    const want = new Set(this.wanted);
    const remove = [...this.carried].filter((t) => !want.has(t));
    const add = this.wanted.filter((t) => !this.carried.has(t));
    if (remove.length > 0) this.send('unsubscribe', remove);
    if (add.length > 0) this.send('subscribe', add);
  }

  private newRequest(op: ControlOp, symbols: string[], resumed = false): number {
    this.requestSeq = (this.requestSeq % 0xffff_fff0) + 1;
    if (symbols.length > 0) this.requests.set(this.requestSeq, { op, symbols, resumed });
    // Replies to old requests are not awaited forever: keep the map small.
    if (this.requests.size > 256) this.requests.delete(this.requests.keys().next().value as number);
    return this.requestSeq;
  }

  private send(op: ControlOp, symbols: string[]): void {
    if (this.transport === null || symbols.length === 0) return;
    for (const s of symbols) {
      if (op === 'subscribe') this.carried.add(s);
      else this.carried.delete(s);
    }
    const id = this.newRequest(op, symbols);
    // `compact` rides on every subscribe: a connection opened with no symbols learns it from the first one.
    const extra = op === 'subscribe' ? { id, history: this.config.history, ...(this.options.compact === true ? { compact: true } : {}) } : { id };
    this.transport.control(controlText(op, symbols, extra));
  }

  private onReply(bytes: Uint8Array): void {
    const decoded = decodeFrame(bytes);
    if (!decoded.ok) return;
    const frame = decoded.value;
    if (frame.type === FrameType.Ack) {
      this.requests.delete(frame.requestId);
      return;
    }
    if (frame.type !== FrameType.Error) return;
    const request = this.requests.get(frame.requestId);
    this.requests.delete(frame.requestId);
    if (request === undefined || request.op !== 'subscribe') {
      this.options.onServerError?.(frame.code, frame.message, request?.symbols ?? []);
      this.update({ lastError: frame.message });
      return;
    }
    // Nothing of a refused subscribe was applied. One bad ticker must not cost the others: retry them
    // one by one, so only the culprit ends up refused.
    for (const s of request.symbols) this.carried.delete(s);
    if (request.resumed && frame.code === ErrorCode.BadMessage) {
      // The server would not take our cursor: ask again for plain snapshots.
      this.send('subscribe', request.symbols);
      return;
    }
    if (frame.code === ErrorCode.UnknownSymbol && request.symbols.length > 1) {
      for (const s of request.symbols) this.send('subscribe', [s]);
      return;
    }
    if (frame.code === ErrorCode.UnknownSymbol || frame.code === ErrorCode.TooManySymbols) {
      this.options.onRejected?.(request.symbols, frame.message);
    }
    this.options.onServerError?.(frame.code, frame.message, request.symbols);
    this.update({ lastError: frame.message });
  }

  private update(patch: Partial<ConnectionStatus>): void {
    Object.assign(this.status, patch);
    this.options.onStatus?.({ ...this.status });
  }
}

const label = (kind: TransportKind): string => TRANSPORT_LABELS[kind];

function describeClose(kind: TransportKind, info: TransportClose): string {
  if (!info.opened) return `${label(kind)} could not connect`;
  return `${label(kind)}: ${closeInWords(info)}`;
}

/** Why a connection ended, in words a user can act on (codes from protocol/codes.ts; the raw reason only when nothing better is known). */
export function closeInWords(info: Pick<TransportClose, 'code' | 'reason'>): string {
  switch (info.code) {
    case CloseCode.GoingAway: {
      const ms = retryAfterFromReason(info.reason);
      return ms === null ? 'server restarting' : `server restarting, back in ${Math.max(1, Math.round(ms / 1000))} s`;
    }
    case CloseCode.SlowConsumer:
      return 'closed by the server: this client fell too far behind (reconnecting with fresh data)';
    case CloseCode.TokenExpired:
      return 'access token expired';
    case CloseCode.InternalError:
      return 'server error';
    case CloseCode.MessageTooBig:
    case CloseCode.ProtocolError:
    case CloseCode.InvalidPayload:
      return `the server refused a message (${info.code}${info.reason ? `: ${info.reason}` : ''})`;
    case 1006:
    case null:
      return info.reason && info.code === null ? info.reason : 'connection lost';
    default:
      return `closed (${info.code}${info.reason ? ` ${info.reason}` : ''})`;
  }
}
