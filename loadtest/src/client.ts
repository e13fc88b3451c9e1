// One simulated dashboard user across reconnects: connects through an adapter, reconnects with the
// dashboard's backoff and Retry-After rules (@tickwire/client policy) when the server drops it, and plays its role — a normal reader, a slow reader (token bucket
// that pauses the socket), or a churner that hangs up and comes back periodically.
import { CONNECTION_DEFAULTS, backoffDelay, serverRetryAfter } from '@tickwire/client/transport/policy';
import { StreamAccounting } from './accounting.js';
import type { AccountingSink } from './counters.js';
import type { Connect, Connection } from './adapters/types.js';
import { recordUs, newHistogram, type Histogram } from './histogram.js';
import type { SymbolRef } from './symbols.js';
import { carryResume, StormStats } from './reconnect.js';

export type ClientKind = 'normal' | 'slow' | 'churn';

/** Connection lifecycle of many clients (one per worker); times in µs histograms. */
export class LifecycleStats {
  attempts = 0;
  opened = 0;
  failures = 0;
  /** Closes of open connections the client did not ask for, by code ("1006", "4000", "200" = SSE ended…). */
  readonly unexpectedCloses: Record<string, number> = {};
  churnReconnects = 0;
  /** Connections open right now, and clients that have received their first snapshot or tick. */
  open = 0;
  ready = 0;
  readonly connectTime: Histogram = newHistogram();
  readonly firstDataTime: Histogram = newHistogram();
  /** A few distinct error messages, for the report. */
  readonly errors: string[] = [];
  /** Reconnect storm (--storm-at). */
  readonly storm = new StormStats();

  noteError(message: string): void {
    if (this.errors.length < 8 && !this.errors.includes(message)) this.errors.push(message);
  }

  destroy(): void {
    this.connectTime.destroy();
    this.firstDataTime.destroy();
    this.storm.destroy();
  }
}

export interface ClientSpec {
  index: number;
  kind: ClientKind;
  connect: Connect;
  base: URL;
  symbols: readonly SymbolRef[];
  history: number;
  localAddress: string | undefined;
  sink: AccountingSink;
  life: LifecycleStats;
  now: () => number;
  random: () => number;
  slowRateBps: number;
  churnIntervalMs: number;
  wsClient: 'raw' | 'ws';
  token: string | null;
  /** Polling adapters' interval and wait (ms). */
  poll?: { intervalMs: number; waitMs: number } | undefined;
  /** Reconnects present a resume cursor built from what the previous connection held (reconnect.ts). */
  resume?: boolean | undefined;
}

export class SimClient {
  readonly spec: ClientSpec;
  #conn: Connection | null = null;
  #stream: StreamAccounting | null = null;
  #stopped = false;
  /** Set while we close on purpose, so the resulting close/error is not counted against the server. */
  #closing = false;
  #isOpen = false;
  #ready = false;
  /** Ends since the last open: the n of the next backoff (1 right after a live connection dropped, as the dashboard). */
  #failedStreak = 0;
  /** When the current connection last delivered anything (or opened). */
  lastReceiveMs = 0;
  #attemptStart = 0;
  #timer: NodeJS.Timeout | null = null;
  // Slow-reader token bucket (bytes).
  #tokens = 0;
  #refillAt = 0;
  #paused = false;
  /** Set when a storm cut this client: the drop time, until the next connection delivers data. */
  #stormDropAt = Number.NaN;
  #stormCut = false;

  constructor(spec: ClientSpec) {
    this.spec = spec;
  }

  start(): void {
    if (this.#stopped) return;
    const s = this.spec;
    this.#closing = false;
    this.#isOpen = false;
    this.#ready = false;
    this.#attemptStart = s.now();
    this.#tokens = s.slowRateBps / 4;
    this.#refillAt = this.#attemptStart;
    const stream = new StreamAccounting(s.sink);
    const resume = s.resume === true ? carryResume(this.#stream, stream) : null;
    this.#stream = stream;
    s.life.attempts++;
    let ended = false;
    const conn = s.connect({
      base: s.base,
      symbols: s.symbols,
      history: s.history,
      localAddress: s.localAddress,
      now: s.now,
      wsClient: s.wsClient,
      token: s.token,
      poll: s.poll,
      resume: resume ?? undefined,
      hooks: {
        stream,
        opened: () => this.#opened(),
        received: (bytes) => this.#received(bytes),
        // Failures are counted once, when the attempt closes; here only the reason is kept.
        failed: (error) => {
          if (!ended && !this.#closing) s.life.noteError(error.message);
        },
        closed: (code, reason) => {
          if (ended) return;
          ended = true;
          this.#ended(code, reason);
        },
      },
    });
    this.#conn = conn;
  }

  /** Closes for good. */
  stop(graceful: boolean): void {
    this.#stopped = true;
    this.#clearTimer();
    if (this.#conn !== null) {
      this.#closing = true;
      this.#conn.close(graceful);
    }
  }

  /** Reconnect storm: cut the connection abruptly (no close frame), then reconnect with full jitter + resume. */
  storm(): void {
    if (this.#stopped) return;
    this.spec.life.storm.dropped++;
    this.#stormDropAt = this.spec.now();
    if (this.#conn === null) return; // between attempts: its scheduled reconnect stands
    this.#stormCut = true;
    this.#closing = true;
    this.#conn.close(false);
  }

  #opened(): void {
    const s = this.spec;
    this.#isOpen = true;
    this.lastReceiveMs = s.now();
    this.#failedStreak = 0;
    s.life.opened++;
    s.life.open++;
    recordUs(s.life.connectTime, (s.now() - this.#attemptStart) * 1000);
    if (s.kind === 'churn') {
      const lifetime = s.churnIntervalMs * (0.5 + s.random());
      this.#schedule(lifetime, () => {
        s.life.churnReconnects++;
        this.#closing = true;
        this.#conn?.close(true);
      });
    }
  }

  /** Open and silent for longer than `ms`: the server stopped sending to this client. */
  isStalled(now: number, ms: number): boolean {
    return this.#isOpen && now - this.lastReceiveMs > ms;
  }

  #received(bytes: number): void {
    const s = this.spec;
    this.lastReceiveMs = s.now();
    if (!this.#ready) {
      const first = this.#stream?.firstDataMs ?? Number.NaN;
      if (!Number.isNaN(first)) {
        this.#ready = true;
        s.life.ready++;
        recordUs(s.life.firstDataTime, (first - this.#attemptStart) * 1000);
        if (!Number.isNaN(this.#stormDropAt)) {
          s.life.storm.reconnected++;
          recordUs(s.life.storm.reconnectTime, Math.max(0, first - this.#stormDropAt) * 1000);
          this.#stormDropAt = Number.NaN;
        }
      }
    }
    if (s.kind !== 'slow') return;
    const t = s.now();
    const burst = s.slowRateBps / 4;
    this.#tokens = Math.min(burst, this.#tokens + ((t - this.#refillAt) / 1000) * s.slowRateBps);
    this.#refillAt = t;
    this.#tokens -= bytes;
    if (this.#tokens < 0 && !this.#paused && this.#conn !== null) {
      this.#paused = true;
      this.#conn.pause();
      const waitMs = Math.max(10, Math.ceil((-this.#tokens / s.slowRateBps) * 1000));
      setTimeout(() => {
        this.#paused = false;
        this.#conn?.resume();
      }, waitMs).unref();
    }
  }

  #ended(code: number, reason = ''): void {
    const s = this.spec;
    const wasOpen = this.#isOpen;
    if (wasOpen) s.life.open--;
    if (this.#ready) s.life.ready--;
    this.#isOpen = false;
    this.#ready = false;
    this.#conn = null;
    this.#clearTimer();
    if (this.#stopped) return;
    if (this.#stormCut) {
      // Storm: everyone comes back at once, spread only by full jitter.
      this.#stormCut = false;
      this.#failedStreak++;
      this.#schedule(backoffDelay(this.#failedStreak, CONNECTION_DEFAULTS, s.random), () => this.start());
      return;
    }
    if (this.#closing) {
      // Our own hang-up (churn): come back shortly.
      this.#schedule(50 + s.random() * 200, () => this.start());
      return;
    }
    if (wasOpen) {
      const key = String(code);
      s.life.unexpectedCloses[key] = (s.life.unexpectedCloses[key] ?? 0) + 1;
    } else {
      s.life.failures++;
    }
    this.#failedStreak++;
    // A restarting server says when to come back (1001 `retry-after-ms=N`); otherwise full-jitter backoff.
    const asked = serverRetryAfter({ code, reason });
    this.#schedule(asked ?? backoffDelay(this.#failedStreak, CONNECTION_DEFAULTS, s.random), () => this.start());
  }

  #schedule(ms: number, fn: () => void): void {
    this.#clearTimer();
    this.#timer = setTimeout(() => {
      this.#timer = null;
      fn();
    }, ms);
  }

  #clearTimer(): void {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
  }
}
