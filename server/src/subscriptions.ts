// Control-message handling shared by every transport: parse, validate atomically (unknown symbols or a
// breached limit apply nothing), send snapshots, start delivery, acknowledge. Re-subscribing a symbol
// already held sends a fresh snapshot: that is how a client repairs a gap without reconnecting. Snapshots
// come from a shared cache (snapshot-cache.ts) and every connection has a budget of catch-up bytes
// (snapshot-budget.ts): a subscribe whose replies would exceed it is refused whole with RateLimited.
// A subscribe's `compact` picks the connection's Updates encoding (replayed ticks included) once it applies.
import { TICK_RECORD_SIZE, encodeAck, encodeCompactUpdatesFromRecords, encodeError, encodeUpdatesFromRecords } from '@tickwire/protocol/codec';
import { ERROR_NAMES, ErrorCode } from '@tickwire/protocol/codes';
import { parseControl, peekRequestId } from '@tickwire/protocol/control';
import { parseCursor, type Cursor } from '@tickwire/protocol/cursor';
import { AckOp } from '@tickwire/protocol/messages';
import type { Fanout } from '@tickwire/core/fanout';
import type { Metrics } from './metrics.js';
import type { Session } from './sessions.js';
import { AddressBudgets, ByteBudget, DEFAULT_SNAPSHOT_BUDGET, type SnapshotBudgetLimits } from './snapshot-budget.js';
import { SnapshotCache } from '@tickwire/core/snapshot-cache';

/** Control messages a connection may send at once, and per second after that. */
export const CONTROL_BURST = 20;
export const CONTROL_PER_SECOND = 10;
/** Bytes of a binary control message decoded to look for its request id. */
const PEEK_BYTES = 4096;

/** A symbol's catch-up frame (null: up to date) and how a resume cursor was answered (metrics). */
interface CatchUp {
  frame: Uint8Array | null;
  resume: 'replay' | 'snapshot' | null;
}

export interface SubscriptionLimits {
  maxSymbols: number;
  defaultHistory: number;
  candleCapacity: number;
  /** Catch-up bytes per connection (default: DEFAULT_SNAPSHOT_BUDGET). */
  snapshotBudget?: SnapshotBudgetLimits;
  /** A connection whose unsent backlog is above this gets no catch-up until it drains (the slow-consumer soft limit). */
  backlogBytes: number;
}

export interface ControlOutcome {
  ok: boolean;
  code?: number;
  message?: string;
}

/**
 * Whether a symbol's published state can be served yet, and who wants it. The embedded feed has every
 * symbol at all times; a gateway (server/src/nats/gateway-source.ts) holds only the symbols its clients
 * subscribe, and syncs one from the feed when its first local subscriber arrives.
 */
export interface SymbolGate {
  ready(symbolId: number): boolean;
  /** Calls `ready` once every symbol is ready (at once when they already are). */
  whenReady(symbolIds: readonly number[], ready: () => void): void;
  /** The first local holder of a symbol arrived (true) or the last one left (false). */
  interest(symbolId: number, held: boolean): void;
}

const ALWAYS_READY: SymbolGate = { ready: () => true, whenReady: (_ids, ready) => ready(), interest: () => {} };

export class Subscriptions {
  /** Sessions holding each symbol: the gate hears of 0 → 1 and 1 → 0 (interest-based feed subscriptions). */
  private holders: Uint32Array;
  readonly cache = new SnapshotCache();
  private readonly budgetLimits: SnapshotBudgetLimits;
  private readonly budgets = new WeakMap<Session, ByteBudget>();
  private readonly pollBudgets: AddressBudgets;

  constructor(
    private readonly fanout: Fanout,
    private readonly limits: SubscriptionLimits,
    private readonly now: () => number,
    private readonly metrics: Metrics,
    private readonly gate: SymbolGate = ALWAYS_READY,
  ) {
    this.holders = new Uint32Array(fanout.states.length);
    this.budgetLimits = limits.snapshotBudget ?? DEFAULT_SNAPSHOT_BUDGET;
    this.pollBudgets = new AddressBudgets(this.budgetLimits);
  }

  private budgetOf(session: Session, now: number): ByteBudget {
    let b = this.budgets.get(session);
    if (b === undefined) this.budgets.set(session, (b = new ByteBudget(this.budgetLimits, now)));
    return b;
  }

  symbolId(ticker: string): number | undefined {
    return this.fanout.idOf(ticker);
  }

  /** Handles one control message's text; the reply frames go to the session, the outcome to the caller. */
  handle(session: Session, text: string): ControlOutcome {
    if (!session.limiter.take(this.now())) {
      // Refused before parsing; the id is read by a bounded scan so the client can still correlate.
      return this.reject(
        session,
        ErrorCode.RateLimited,
        peekRequestId(text),
        `more than ${CONTROL_BURST} control messages at once or ${CONTROL_PER_SECOND}/s sustained; message ignored`,
      );
    }
    const parsed = parseControl(text, this.limits.maxSymbols);
    if (!parsed.ok) return this.reject(session, parsed.code, parsed.requestId, parsed.message);
    const { op, symbols, requestId } = parsed.message;
    const ids: number[] = [];
    const unknown: string[] = [];
    for (const ticker of symbols) {
      const id = this.fanout.idOf(ticker);
      if (id === undefined) unknown.push(ticker);
      else ids.push(id);
    }
    if (unknown.length > 0) {
      return this.reject(session, ErrorCode.UnknownSymbol, requestId, `unknown symbol${unknown.length > 1 ? 's' : ''}: ${unknown.slice(0, 10).join(', ')}`);
    }
    if (op === 'subscribe') {
      let cursor: Cursor | null = null;
      if (parsed.message.resume !== undefined) {
        const c = parseCursor(parsed.message.resume, this.limits.maxSymbols);
        if (!c.ok) return this.reject(session, ErrorCode.BadMessage, requestId, `bad resume cursor: ${c.error}`);
        cursor = c.value;
      }
      return this.subscribe(session, ids, parsed.message.history ?? this.limits.defaultHistory, requestId, cursor, parsed.message.compact);
    }
    for (const id of ids) {
      if (session.symbols.delete(id)) {
        session.detach(id);
        this.release(id);
      }
    }
    session.send(encodeAck(this.fanout.epoch, this.now(), requestId, AckOp.Unsubscribe, ids));
    return { ok: true };
  }

  /**
   * The frame that brings a client from `cursor` to the published state of a symbol: the missed ticks when
   * the cursor's epoch matches and its seq is inside the resume window, otherwise a full snapshot. Null when
   * the client is already up to date.
   */
  catchUp(symbolId: number, cursor: Cursor | null, history: number, now: number, compact = false): Uint8Array | null {
    const c = this.resolve(symbolId, cursor, history, now, compact);
    this.countResume(c);
    return c.frame;
  }

  /** catchUp() without counting: a request may still be refused by the byte budget. */
  private resolve(symbolId: number, cursor: Cursor | null, history: number, now: number, compact: boolean): CatchUp {
    const state = this.fanout.states[symbolId]!;
    const seen = cursor !== null && cursor.epoch === this.fanout.epoch ? cursor.seqs.get(symbolId) : undefined;
    let resume: CatchUp['resume'] = null;
    if (seen !== undefined) {
      const records = this.fanout.histories[symbolId]!.after(seen, state.seq);
      if (records !== null) {
        if (records.length === 0) return { frame: null, resume: 'replay' };
        const encode = compact ? encodeCompactUpdatesFromRecords : encodeUpdatesFromRecords;
        return { frame: encode(this.fanout.epoch, now, records, records.length / TICK_RECORD_SIZE), resume: 'replay' };
      }
      resume = 'snapshot';
    }
    return { frame: this.cache.get(state, this.fanout.epoch, Math.min(history, this.limits.candleCapacity), now), resume };
  }

  private countResume(c: CatchUp): void {
    if (c.resume !== null) this.metrics.resumes.inc({ result: c.resume });
  }

  /**
   * A poll's catch-up frames, charged to its address's budget: null when they would exceed it (the
   * caller answers 429). Polls have no connection to hold a budget, so one client address shares one.
   */
  pollCatchUp(ip: string, ids: readonly number[], cursor: Cursor | null, history: number, now: number, compact = false): Uint8Array[] | null {
    const frames: Uint8Array[] = [];
    let bytes = 0;
    const resolved: CatchUp[] = [];
    for (const id of ids) {
      const c = this.resolve(id, cursor, history, now, compact);
      resolved.push(c);
      if (c.frame !== null) {
        frames.push(c.frame);
        bytes += c.frame.length;
      }
    }
    if (!this.pollBudgets.of(ip, now).take(bytes, now)) return null;
    for (const c of resolved) this.countResume(c);
    return frames;
  }

  /** Subscribes known symbol ids (also used for symbols named in an HTTP stream's URL). */
  subscribe(
    session: Session,
    ids: readonly number[],
    history: number,
    requestId: number | null,
    cursor: Cursor | null = null,
    compact?: boolean,
  ): ControlOutcome {
    let added = 0;
    for (const id of ids) if (!session.symbols.has(id)) added++;
    if (session.symbols.size + added > this.limits.maxSymbols) {
      return this.reject(
        session,
        ErrorCode.TooManySymbols,
        requestId ?? 0,
        `subscribing ${added} more symbol(s) would hold ${session.symbols.size + added}; the limit is ${this.limits.maxSymbols} per connection`,
      );
    }
    const now = this.now();
    const encoding = compact ?? session.compact;
    // Catch-up frames are built (from the cache: cheap) before anything is applied, so a request over
    // the byte budget is refused whole.
    const resolved = new Map<number, CatchUp>();
    let bytes = 0;
    for (const id of ids) {
      if (!this.gate.ready(id)) continue;
      const c = this.resolve(id, cursor, history, now, encoding);
      resolved.set(id, c);
      if (c.frame !== null) bytes += c.frame.length;
    }
    const backlog = session.bufferedBytes();
    if (bytes > 0 && backlog > this.limits.backlogBytes) {
      return this.reject(
        session,
        ErrorCode.RateLimited,
        requestId ?? 0,
        `this subscribe's replies (${bytes} bytes) must wait for the connection's snapshot budget: ${backlog} bytes of earlier replies are still unsent; nothing was applied, retry once they are read`,
      );
    }
    const budget = this.budgetOf(session, now);
    if (!budget.take(bytes, now)) {
      return this.reject(
        session,
        ErrorCode.RateLimited,
        requestId ?? 0,
        `this subscribe's replies (${bytes} bytes) exceed the connection's snapshot budget (${this.budgetLimits.burstBytes} bytes, ${this.budgetLimits.bytesPerSecond}/s); nothing was applied, retry in ${budget.waitMs(bytes, now)} ms`,
      );
    }
    // Applied with the request: held symbols switch encoding between two batches, so none is lost or doubled.
    session.compact = encoding;
    // Every symbol is held before the first catch-up is written, so whatever a transport derives from
    // session.symbols for that write (an SSE event's resume cursor) already covers the whole request.
    const fresh = new Set<number>();
    for (const id of ids) {
      if (session.symbols.has(id)) continue;
      session.symbols.add(id);
      fresh.add(id);
      this.hold(id);
    }
    const waiting: number[] = [];
    for (const id of ids) {
      const c = resolved.get(id);
      if (c === undefined) {
        waiting.push(id);
        continue;
      }
      this.countResume(c);
      this.deliver(session, id, fresh.has(id), c.frame);
    }
    if (waiting.length === 0) {
      if (requestId !== null) session.send(encodeAck(this.fanout.epoch, now, requestId, AckOp.Subscribe, ids));
      return { ok: true };
    }
    // A gateway still syncing a symbol from the feed: its snapshot (and so the Ack) waits for the state.
    this.gate.whenReady(waiting, () => {
      if (session.closed) return;
      const t = this.now();
      for (const id of waiting) {
        if (!session.symbols.has(id)) continue;
        const frame = this.catchUp(id, cursor, history, t, session.compact);
        // Accepted already: charged as debt, which the connection's next subscribes must wait out.
        if (frame !== null) this.budgetOf(session, t).charge(frame.length, t);
        this.deliver(session, id, true, frame);
      }
      if (requestId !== null) session.send(encodeAck(this.fanout.epoch, t, requestId, AckOp.Subscribe, ids));
    });
    return { ok: true };
  }

  /** Sends the symbol's catch-up frame (snapshot or missed ticks), then starts its Updates. */
  private deliver(session: Session, id: number, attach: boolean, frame: Uint8Array | null): void {
    if (frame !== null) {
      session.catchUpBytes += frame.length;
      session.send(frame);
    }
    // A conflating client will be brought forward from here when it drains.
    session.lag?.seqs.set(id, this.fanout.states[id]!.seq);
    if (attach) session.attach(id);
  }

  private hold(id: number): void {
    if (id >= this.holders.length) {
      // An instrument registered at run time: the table grows (doubling) when it is first held.
      const grown = new Uint32Array(Math.max(id + 1, this.holders.length * 2));
      grown.set(this.holders);
      this.holders = grown;
    }
    if (this.holders[id]!++ === 0) this.gate.interest(id, true);
  }

  private release(id: number): void {
    if (this.holders[id]! > 0 && --this.holders[id]! === 0) this.gate.interest(id, false);
  }

  /** A session went away: its symbols lose a holder (SessionRegistry.onRemove calls this). */
  sessionClosed(session: Session): void {
    for (const id of session.symbols) this.release(id);
  }

  /** Local holders of a symbol (tests, metrics). */
  holdersOf(id: number): number {
    return this.holders[id] ?? 0;
  }

  /**
   * For stateless readers (polls): true when every symbol can be served now; otherwise `ready` runs once
   * they can. A poll counts as a holder for a moment, so a gateway keeps (or starts) the symbols on the
   * bus for its linger time after each poll.
   */
  prepare(ids: readonly number[], ready: () => void): boolean {
    for (const id of ids) {
      this.hold(id);
      this.release(id);
    }
    if (ids.every((id) => this.gate.ready(id))) return true;
    this.gate.whenReady(ids, ready);
    return false;
  }

  /**
   * The gateway lost a symbol's continuity (feed restart, a gap it could not bridge) and took a fresh
   * snapshot: every session holding the symbol gets one too, and its Updates continue from there.
   */
  refresh(id: number, sessions: Iterable<Session>): void {
    let frame: Uint8Array | null = null;
    for (const session of sessions) {
      if (!session.symbols.has(id)) continue;
      frame ??= this.cache.get(this.fanout.states[id]!, this.fanout.epoch, Math.min(this.limits.defaultHistory, this.limits.candleCapacity), this.now());
      session.send(frame);
      session.lag?.seqs.set(id, this.fanout.states[id]!.seq);
    }
  }

  /**
   * A binary WebSocket message where JSON text was expected: counted against the control rate like any
   * message, and refused with BinaryControl carrying the id it names (if it is JSON at all).
   */
  rejectBinary(session: Session, bytes: ArrayBuffer | Uint8Array): ControlOutcome {
    const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    const requestId = peekRequestId(new TextDecoder('utf-8').decode(view.subarray(0, PEEK_BYTES)));
    if (!session.limiter.take(this.now())) {
      return this.reject(
        session,
        ErrorCode.RateLimited,
        requestId,
        `more than ${CONTROL_BURST} control messages at once or ${CONTROL_PER_SECOND}/s sustained; message ignored`,
      );
    }
    return this.reject(session, ErrorCode.BinaryControl, requestId, 'control messages are JSON text frames; binary frames are not accepted');
  }

  reject(session: Session, code: number, requestId: number, message: string): ControlOutcome {
    this.metrics.controlErrors.inc({ code: ERROR_NAMES[code] ?? String(code) });
    session.send(encodeError(this.fanout.epoch, this.now(), code, requestId, message));
    return { ok: false, code, message };
  }
}
