// Polling transports (GET /poll, long and short): a loop of plain HTTP requests, never two at a time,
// each answered with the length-prefixed frames that bring the client from its cursor to now. The
// server keeps no session, so this side owns what a socket would: the cursor chain (X-Tickwire-Cursor
// → next request; a failed request is repeated with the same cursor and loses nothing), the symbol list
// (controls edit it), and the Hello and Heartbeats the manager and store expect of every transport.
import { Route, routeUrl } from '@tickwire/protocol/routes';
import { decodeFrame, decodeHeader, encodeError, encodeHeartbeat, encodeHello } from '@tickwire/protocol/codec';
import { ErrorCode } from '@tickwire/protocol/codes';
import { parseControl } from '@tickwire/protocol/control';
import { formatCursor, parseCursor, type Cursor } from '@tickwire/protocol/cursor';
import { splitFrames } from '@tickwire/protocol/framing';
import { FrameType } from '@tickwire/protocol/messages';
import { backoffDelay } from './policy.js';
import { retryAfterMs } from './retry-after.js';
import { browserFetch, type FetchLike, type Transport, type TransportDeps, type TransportHandlers, type TransportOptions } from './types.js';

export const POLLING_DEFAULTS = {
  /** Failed requests in a row a working poll absorbs (same cursor, backoff) before it reports closed. */
  maxFailures: 3,
  /** Full-jitter backoff between those retries. */
  retryBaseMs: 250,
  retryCapMs: 2_000,
  /** Longest Retry-After (503) waited out in place; a longer one hands the decision to the manager. */
  maxRetryAfterMs: 5_000,
  /** Heartbeat interval assumed until a Hello from the server says otherwise. */
  beatMs: 1_000,
} as const;

/** Symbol lists and cursors are bounded by the server's limit; this only bounds parsing work. */
const PARSE_LIMIT = 0xffff;

export interface PollingMode {
  /**
   * How long the server may hold a request (`wait`), given the heartbeat interval: 0 is short polling.
   * Long polls are held at most about one heartbeat, so an answer (or its Heartbeat) arrives at least
   * that often and staleness and liveness rules stay the same as on the streaming transports.
   */
  waitMs(beatMs: number): number;
  /** Pause after an answer before the next request. */
  intervalMs(beatMs: number): number;
}

/** Polling uses fetch, randomness and the clock of TransportDeps. */
export type PollingDeps = Pick<TransportDeps, 'fetch' | 'random' | 'now'>;

/** Symbols added by one subscribe, until an answer confirms them (or the server refuses them). */
interface PendingGroup {
  requestId: number;
  symbols: string[];
}

/** What the loop does after a request. */
type Outcome =
  | { next: 'answered' }
  /** Ask again at once (the list changed mid-request, or a subscribe was refused and dropped). */
  | { next: 'again' }
  | { next: 'failed'; reason: string; retryAfterMs: number | null }
  | { next: 'stop' };

export function pollUrl(
  baseUrl: string,
  q: { symbols: readonly string[]; history: number; waitMs: number; cursor: string | null; token?: string; compact?: boolean },
): string {
  const url = routeUrl(baseUrl, Route.poll);
  // Commas stay literal: the server splits the list on them.
  const parts = [`symbols=${q.symbols.map(encodeURIComponent).join(',')}`, `history=${q.history}`, `wait=${q.waitMs}`];
  if (q.cursor !== null) parts.push(`cursor=${encodeURIComponent(q.cursor)}`);
  if (q.compact === true) parts.push('compact=1');
  if (q.token) parts.push(`token=${encodeURIComponent(q.token)}`);
  url.search = parts.join('&');
  return url.toString();
}

export abstract class PollingTransport implements Transport {
  abstract readonly kind: 'longpoll' | 'poll';

  /** Symbols confirmed by an answer, in order. */
  private confirmed: string[] = [];
  /** Subscribes not yet confirmed; only the first one rides along with a request (see requestSymbols). */
  private groups: PendingGroup[] = [];
  /** The chain: what the client holds, as the server last stated it. */
  private cursor: string | null;
  private epoch = 0;
  /** Ticker → symbol id, learnt from snapshots (a resubscribe drops the symbol from the cursor). */
  private readonly ids = new Map<string, number>();
  private beatMs: number = POLLING_DEFAULTS.beatMs;
  private helloSent = false;
  private opened = false;
  /** Some request got a response (any status): see TransportClose.reached. */
  private reached = false;
  private failures = 0;
  private done = false;

  /** The request being awaited (fetch and body): a kick aborts it. */
  private inFlight: AbortController | null = null;
  /** The in-flight request was aborted because the symbol list changed: ask again at once. */
  private restarting = false;
  /** The list changed since the last request was sent: skip the pause before the next one. */
  private kicked = false;
  private wake: (() => void) | null = null;
  private readonly fetchImpl: FetchLike;
  private readonly random: () => number;
  private readonly now: () => number;

  constructor(
    private readonly mode: PollingMode,
    private readonly options: TransportOptions,
    private readonly handlers: TransportHandlers,
    deps: PollingDeps = {},
  ) {
    this.fetchImpl = deps.fetch ?? browserFetch;
    this.random = deps.random ?? Math.random;
    this.now = deps.now ?? Date.now;
    this.cursor = options.resume ?? null;
    const initial = [...new Set(options.symbols)];
    if (initial.length > 0) this.groups.push({ requestId: options.requestId, symbols: initial });
    // Started from a microtask, so the constructor returns (and the manager holds the transport) first.
    void Promise.resolve().then(() => this.loop());
  }

  /** The polling loop keeps no connection open: a control edits the list the next request names. */
  control(text: string): void {
    if (this.done) return;
    const parsed = parseControl(text, PARSE_LIMIT);
    if (!parsed.ok) return;
    const { op, symbols, requestId } = parsed.message;
    if (op === 'unsubscribe') {
      const gone = new Set(symbols);
      this.confirmed = this.confirmed.filter((t) => !gone.has(t));
      for (const g of this.groups) g.symbols = g.symbols.filter((t) => !gone.has(t));
      this.groups = this.groups.filter((g) => g.symbols.length > 0);
      return; // answers for them are harmless until the next request drops them
    }
    const held = symbols.filter((t) => this.confirmed.includes(t));
    const added = symbols.filter((t) => !this.confirmed.includes(t) && !this.groups.some((g) => g.symbols.includes(t)));
    // Subscribing a symbol already held asks for a fresh snapshot, as on a WebSocket.
    if (held.length > 0) this.forgetInCursor(held);
    if (added.length > 0) this.groups.push({ requestId, symbols: added });
    if (held.length > 0 || added.length > 0) this.kick();
  }

  close(): void {
    if (this.done) return;
    this.done = true;
    this.inFlight?.abort();
    this.wake?.();
  }

  // -- the loop -----------------------------------------------------------------------------------

  private async loop(): Promise<void> {
    while (!this.done) {
      const group = this.groups[0];
      const symbols = this.requestSymbols(group);
      if (symbols.length === 0) {
        await this.pause(Infinity, true); // nothing to ask for until a subscribe
        continue;
      }
      const outcome = await this.request(symbols, group);
      if (this.done) return;
      if (outcome.next === 'answered') {
        await this.pause(this.mode.intervalMs(this.beatMs), true);
      } else if (outcome.next === 'failed') {
        if (!(await this.retryAfterFailure(outcome.reason, outcome.retryAfterMs))) return;
      } else if (outcome.next === 'stop') {
        return;
      }
    }
  }

  /**
   * Confirmed symbols plus the first pending subscribe only: if the server refuses a request (unknown
   * ticker, limit), exactly one subscribe is to blame and gets the Error frame.
   */
  private requestSymbols(group: PendingGroup | undefined): string[] {
    if (group === undefined) return [...this.confirmed];
    return [...this.confirmed, ...group.symbols.filter((t) => !this.confirmed.includes(t))];
  }

  private async request(symbols: string[], group: PendingGroup | undefined): Promise<Outcome> {
    const controller = new AbortController();
    this.inFlight = controller;
    this.kicked = false;
    const url = pollUrl(this.options.baseUrl, {
      symbols,
      history: this.options.history,
      waitMs: this.mode.waitMs(this.beatMs),
      cursor: this.cursor,
      token: this.options.token,
      compact: this.options.compact === true,
    });
    let status: number;
    let body: Uint8Array;
    let headers: Headers;
    try {
      const response = await this.fetchImpl(url, { signal: controller.signal, cache: 'no-store' });
      status = response.status;
      headers = response.headers;
      this.reached = true;
      body = new Uint8Array(await response.arrayBuffer());
    } catch (error) {
      if (this.done) return { next: 'stop' };
      if (this.restarting) return { next: 'again' };
      return { next: 'failed', reason: `request failed (${(error as Error).message})`, retryAfterMs: null };
    } finally {
      this.inFlight = null;
      this.restarting = false;
    }
    if (this.done) return { next: 'stop' };
    if (status === 200) return this.answered(body, headers.get('X-Tickwire-Cursor'), group);
    if (status === 503 || status === 429) return { next: 'failed', reason: `answered ${status}`, retryAfterMs: retryAfterMs(headers.get('Retry-After')) };
    if (status >= 400 && status < 500) return this.refused(status, body, group);
    return { next: 'failed', reason: `answered ${status}`, retryAfterMs: null };
  }

  private answered(body: Uint8Array, cursorText: string | null, group: PendingGroup | undefined): Outcome {
    const frames = splitFrames(body);
    const cursor = cursorText === null ? null : parseCursor(cursorText, PARSE_LIMIT);
    if (!frames.ok) return { next: 'failed', reason: `corrupt answer: ${frames.error}`, retryAfterMs: null };
    if (cursor === null || !cursor.ok) return { next: 'failed', reason: 'answer without a usable cursor', retryAfterMs: null };
    this.cursor = cursorText;
    this.epoch = cursor.value.epoch;
    this.failures = 0;
    if (group !== undefined) {
      // Symbols unsubscribed while the request ran stay out.
      for (const t of group.symbols) if (!this.confirmed.includes(t)) this.confirmed.push(t);
      this.groups = this.groups.filter((g) => g !== group);
    }
    if (!this.opened) {
      this.opened = true;
      this.handlers.open();
    }
    this.deliver(frames.value, cursor.value);
    return { next: this.done ? 'stop' : 'answered' };
  }

  /**
   * Hands the frames on. The server says Hello only to a request without a cursor, so a poll that
   * resumes announces the session itself (the epoch from the cursor, this loop's beat). And the
   * cursor of every answer is a heartbeat in all but name — the latest seq of every named symbol,
   * stated after the frames it covers — so when the answer holds no Heartbeat frame it becomes one.
   */
  private deliver(frames: Uint8Array[], cursor: Cursor): void {
    let hello: Uint8Array | null = null;
    let heartbeat = false;
    for (const bytes of frames) {
      const head = decodeHeader(bytes);
      if (!head.ok) continue;
      if (head.value.type === FrameType.Heartbeat) heartbeat = true;
      else if (head.value.type === FrameType.Hello) hello = bytes;
      else if (head.value.type === FrameType.Snapshot) this.learnId(bytes);
    }
    if (hello !== null) {
      const decoded = decodeFrame(hello);
      if (decoded.ok && decoded.value.type === FrameType.Hello) this.beatMs = decoded.value.heartbeatMs;
    } else if (!this.helloSent) {
      this.emit(encodeHello(cursor.epoch, this.now(), { heartbeatMs: this.beatMs, maxSymbols: 0, sessionId: '', serverId: '' }));
    }
    this.helloSent = true;
    for (const bytes of frames) if (!this.emit(bytes)) return;
    if (!heartbeat) {
      this.emit(
        encodeHeartbeat(
          cursor.epoch,
          this.now(),
          [...cursor.seqs].map(([symbolId, seq]) => ({ symbolId, seq })),
        ),
      );
    }
  }

  /** Passes one frame on; false once the transport was closed from inside a handler. */
  private emit(bytes: Uint8Array): boolean {
    if (this.done) return false;
    this.handlers.frame(bytes);
    return !this.done;
  }

  /** 4xx: the request itself is wrong. Blame the pending subscribe if there is one, else give up. */
  private refused(status: number, body: Uint8Array, group: PendingGroup | undefined): Outcome {
    let code: number = ErrorCode.BadMessage;
    let message = `answered ${status}`;
    try {
      const json = JSON.parse(new TextDecoder().decode(body)) as { error?: { code?: unknown; message?: unknown } };
      if (typeof json.error?.code === 'number') code = json.error.code;
      if (typeof json.error?.message === 'string') message = json.error.message;
    } catch {
      // Not the server's JSON (a proxy's page): the status says enough.
    }
    // A cursor the server cannot use is dropped: the next answer brings snapshots instead.
    if (this.cursor !== null && code === ErrorCode.BadMessage) this.cursor = null;
    if (group === undefined || !this.groups.includes(group)) return { next: 'failed', reason: message, retryAfterMs: null };
    this.groups = this.groups.filter((g) => g !== group);
    // The manager reads the refusal as on any other transport (and retries the symbols one by one).
    return this.emit(encodeError(this.epoch, this.now(), code, group.requestId, message)) ? { next: 'again' } : { next: 'stop' };
  }

  /**
   * After a failed request. Before the first answer the manager decides what happens next (retry,
   * another transport); afterwards the same cursor is asked for again, after Retry-After or a jittered
   * backoff, a few times. Returns false when the transport gave up (and reported closed).
   */
  private async retryAfterFailure(reason: string, retryAfter: number | null): Promise<boolean> {
    this.failures++;
    const backoff = { backoffBaseMs: POLLING_DEFAULTS.retryBaseMs, backoffCapMs: POLLING_DEFAULTS.retryCapMs };
    const delay = retryAfter ?? backoffDelay(this.failures, backoff, this.random);
    if (!this.opened || this.failures > POLLING_DEFAULTS.maxFailures || delay > POLLING_DEFAULTS.maxRetryAfterMs) {
      this.finish(reason);
      return false;
    }
    await this.pause(delay, false);
    return !this.done;
  }

  // -- helpers ------------------------------------------------------------------------------------

  /** The list changed: cut a held long poll or the pause short, so the change takes effect now. */
  private kick(): void {
    this.kicked = true;
    if (this.inFlight !== null) {
      this.restarting = true;
      this.inFlight.abort();
    }
    this.wake?.();
  }

  /** Waits `ms`, or less: until close(), or (when `wakeable`) until the list changes. */
  private pause(ms: number, wakeable: boolean): Promise<void> {
    if (this.done || ms <= 0 || (wakeable && this.kicked)) return Promise.resolve();
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const end = () => {
        clearTimeout(timer);
        if (this.wake === wake) this.wake = null;
        resolve();
      };
      const wake = () => {
        if (wakeable || this.done) end();
      };
      if (Number.isFinite(ms)) timer = setTimeout(end, ms);
      this.wake = wake;
    });
  }

  private learnId(bytes: Uint8Array): void {
    const decoded = decodeFrame(bytes);
    if (decoded.ok && decoded.value.type === FrameType.Snapshot) this.ids.set(decoded.value.ticker, decoded.value.symbolId);
  }

  /** Drops symbols from the cursor so the server answers them with snapshots. */
  private forgetInCursor(tickers: readonly string[]): void {
    if (this.cursor === null) return;
    const parsed = parseCursor(this.cursor, PARSE_LIMIT);
    const ids = tickers.map((t) => this.ids.get(t));
    if (!parsed.ok || ids.some((id) => id === undefined)) {
      // A symbol resumed without a snapshot has no known id here: start the chain afresh (all snapshots).
      this.cursor = null;
      return;
    }
    for (const id of ids) parsed.value.seqs.delete(id as number);
    this.cursor = formatCursor(parsed.value.epoch, parsed.value.seqs);
  }

  private finish(reason: string): void {
    if (this.done) return;
    this.done = true;
    this.inFlight?.abort();
    this.handlers.closed({ opened: this.opened, reached: this.reached, code: null, reason });
  }
}
