// Per-connection sequence and latency accounting, fed by frames and nothing else: no sockets, no timers,
// no clocks (receive times are passed in); what it counts, and where, is counters.ts. Every protocol adapter (Tickwire binary over WebSocket or SSE,
// the JSON peers) reduces what it receives to the same calls, so every server is judged by one rulebook.
//
// Rules, per symbol of one connection:
// - A snapshot sets the baseline: the next tick must carry snapshot.seq + 1. So does an epoch change
//   (the feed restarted and seqs start over), and — for peers that send no snapshot — the first tick.
// - seq == last + 1: in order. seq > last + 1: the seqs in between are missing (a gap), unless the tick
//   carries the Conflated flag, which announces the jump: those skipped seqs are counted apart.
// - seq <= last: a seq that was missing arriving late is out-of-order (and no longer missing);
//   any other is a duplicate.
import { decodeFrame, decodeHeader, emptyTick, visitTicks } from '@tickwire/protocol/codec';
import { FrameType, TickFlag, type FrameHeader, type Tick } from '@tickwire/protocol/messages';
import type { AccountingSink } from './counters.js';

/** Most missing seqs remembered per symbol to recognise late arrivals; older ones stay missing for good. */
export const MAX_PENDING_PER_SYMBOL = 4096;

interface SymbolState {
  epoch: number;
  last: number;
  /** Missing seqs still hoped for, oldest first; null until the first gap. */
  pending: Set<number> | null;
  /** Resume: 0 = not from a cursor, 1 = seeded from a cursor and nothing received yet, 2 = continuing the cursor's chain. */
  resume?: number;
  /** A loss was seen and no snapshot healed it yet. */
  gapOpen?: boolean;
}

/** One shared scratch tick: visitTicks is synchronous, so connections never interleave inside it. */
const scratch: Tick = emptyTick();

/** Accounting of one connection (one per connect: a reconnect starts a new one, with fresh baselines). */
export class StreamAccounting {
  readonly sink: AccountingSink;
  readonly #symbols = new Map<number, SymbolState>();
  /** Frames carry one symbol's ticks: the last lookup is almost always the next one. */
  #lastId = -1;
  #lastState: SymbolState | undefined = undefined;
  #recvMs = 0;
  #sendTimeMs = 0;
  /** Receive time of the first snapshot (or first tick for snapshot-less peers); NaN until then. */
  firstDataMs = Number.NaN;
  /**
   * Called when ticks of a symbol were lost on this connection: a non-conflated seq jump, or a Heartbeat
   * naming a seq above the one held. Adapters that can repair (re-subscribe) set it; conflated jumps never call it.
   */
  onLoss: ((symbolId: number) => void) | null = null;
  /** Called for every snapshot of a symbol (a repair's answer among them); the gap-repair guard listens. */
  onSnapshot: ((symbolId: number) => void) | null = null;
  /** Bound once so the per-frame visit allocates no closure. */
  readonly #visit = (tick: Tick, header: FrameHeader): void => {
    this.#sendTimeMs = header.sendTimeMs;
    this.tick(tick.symbolId, tick.seq, tick.flags, header.epoch, tick.eventTimeMs, this.#recvMs);
  };

  constructor(sink: AccountingSink) {
    this.sink = sink;
  }

  /** Feed epoch and session id from the connection's Hello (epoch: or from the resume seed); null before. */
  epoch: number | null = null;
  sessionId: string | null = null;
  /** Cursor symbols not yet decided (replay or snapshot), and whether any got a snapshot. */
  #resumePending = 0;
  #resumeSnapshot = false;

  /**
   * Starts this connection from a resume cursor: each symbol's baseline is the seq the client holds, so
   * replayed ticks must continue it exactly (a skip counts as a gap after resume) and a snapshot instead
   * counts as a resume that fell back (a miss when it is of the cursor's own epoch).
   */
  seedResume(epoch: number, seqs: Iterable<readonly [number, number]>): void {
    this.epoch = epoch;
    let n = 0;
    for (const [symbolId, seq] of seqs) {
      this.#symbols.set(symbolId, { epoch, last: seq, pending: null, resume: 1 });
      n++;
    }
    this.#lastId = -1;
    this.#lastState = undefined;
    if (n === 0) return;
    this.#resumePending = n;
    this.#resumeSnapshot = false;
    this.sink.counters.resumeAttempts++;
  }

  /** What a cursor for the next connection should say: per symbol of the current epoch, the last seq held. */
  resumeEntries(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    if (this.epoch === null) return out;
    for (const [symbolId, state] of this.#symbols) if (state.epoch === this.epoch) out.push([symbolId, state.last]);
    return out;
  }

  #resumeDecided(snapshot: boolean): void {
    if (this.#resumePending <= 0) return;
    if (snapshot) this.#resumeSnapshot = true;
    if (--this.#resumePending === 0) {
      if (this.#resumeSnapshot) this.sink.counters.reconnectsSnapshot++;
      else this.sink.counters.reconnectsReplayed++;
    }
  }

  #lossSeen(state: SymbolState): void {
    if (state.gapOpen === true) return;
    state.gapOpen = true;
    this.sink.counters.openGaps++;
  }

  /** Latest seq accounted for a symbol (undefined before its baseline). */
  lastSeq(symbolId: number): number | undefined {
    return this.#symbols.get(symbolId)?.last;
  }

  snapshot(symbolId: number, seq: number, epoch: number, recvMs: number): void {
    const c = this.sink.counters;
    c.snapshots++;
    if (Number.isNaN(this.firstDataMs)) this.firstDataMs = recvMs;
    this.onSnapshot?.(symbolId);
    const state = this.#symbols.get(symbolId);
    if (state === undefined) {
      this.#symbols.set(symbolId, { epoch, last: seq, pending: null });
      this.#lastId = -1;
      return;
    }
    if (state.resume === 1) {
      c.resumeSnapshots++;
      if (state.epoch === epoch) c.resumeMissed++;
      this.#resumeDecided(true);
    } else {
      c.snapshotResets++;
    }
    state.resume = 0;
    if (state.gapOpen === true) {
      state.gapOpen = false;
      c.openGaps--;
      c.repairedGaps++;
    }
    state.epoch = epoch;
    state.last = seq;
    // Seqs missing before the reset stay counted as missing: they were lost on this connection.
    state.pending = null;
  }

  /** One tick. `eventTimeMs` and `recvMs` give the feed → client latency. */
  tick(symbolId: number, seq: number, flags: number, epoch: number, eventTimeMs: number, recvMs: number): void {
    const sink = this.sink;
    const c = sink.counters;
    c.ticks++;
    sink.eventSample(recvMs - eventTimeMs, 1);
    const conflated = (flags & TickFlag.Conflated) !== 0;
    if (conflated) c.conflatedTicks++;

    let state = this.#lastState;
    if (symbolId !== this.#lastId || state === undefined) {
      state = this.#symbols.get(symbolId);
      this.#lastId = symbolId;
      this.#lastState = state;
    }
    if (state === undefined) {
      c.baselineTicks++;
      c.inOrder++;
      if (Number.isNaN(this.firstDataMs)) this.firstDataMs = recvMs;
      const created: SymbolState = { epoch, last: seq, pending: null };
      this.#symbols.set(symbolId, created);
      this.#lastId = symbolId;
      this.#lastState = created;
      return;
    }
    if (state.resume === 1) {
      if (Number.isNaN(this.firstDataMs)) this.firstDataMs = recvMs;
      if (state.epoch === epoch) {
        c.resumeReplayed++;
        state.resume = 2;
        this.#resumeDecided(false);
      }
    }
    if (state.epoch !== epoch) {
      if (state.resume === 1) {
        // Ticks of another epoch with no snapshot first: the cursor's chain is gone.
        state.resume = 0;
        c.resumeSnapshots++;
        this.#resumeDecided(true);
      }
      c.epochResets++;
      c.inOrder++;
      state.epoch = epoch;
      state.last = seq;
      state.pending = null;
      return;
    }
    const expected = state.last + 1;
    if (seq === expected) {
      c.inOrder++;
      state.last = seq;
      return;
    }
    if (seq > expected) {
      const skipped = seq - expected;
      c.inOrder++;
      if (conflated) {
        c.conflatedSkipped += skipped;
      } else {
        c.gapEvents++;
        c.missing += skipped;
        if (state.resume === 2) c.gapsAfterResume++;
        this.#lossSeen(state);
        remember(state, expected, seq);
        this.onLoss?.(symbolId);
      }
      state.last = seq;
      return;
    }
    // seq <= last: late or repeated.
    if (state.pending !== null && state.pending.delete(seq)) {
      c.outOfOrder++;
      c.missing--;
      // Every missing seq arrived late: the loss healed by itself.
      if (state.pending.size === 0 && state.gapOpen === true) {
        state.gapOpen = false;
        c.openGaps--;
      }
    } else {
      c.duplicates++;
    }
  }

  /** Server → client latency of a frame carrying `ticks` ticks. */
  frameLatency(sendTimeMs: number, recvMs: number, ticks: number): void {
    if (ticks > 0) this.sink.sendSample(recvMs - sendTimeMs, ticks);
  }

  /**
   * One binary Tickwire frame. Updates are visited without allocating per tick; other frame types are
   * rare and decoded in full. Returns false when the codec rejects the frame.
   */
  tickwireFrame(bytes: Uint8Array, recvMs: number): boolean {
    const c = this.sink.counters;
    c.frames++;
    // Updates are nearly every frame: visitTicks validates the header itself, so it is decoded once.
    if (bytes.byteLength > 1 && bytes[1] === FrameType.Updates) {
      this.#recvMs = recvMs;
      this.#sendTimeMs = Number.NaN;
      const result = visitTicks(bytes, this.#visit, scratch);
      if (!result.ok) {
        c.decodeErrors++;
        return false;
      }
      if (result.value > 0) this.frameLatency(this.#sendTimeMs, recvMs, result.value);
      return true;
    }
    const head = decodeHeader(bytes);
    if (!head.ok) {
      c.decodeErrors++;
      return false;
    }
    const type = head.value.type;
    if (type === FrameType.Heartbeat) {
      c.heartbeats++;
      const hb = decodeFrame(bytes);
      if (!hb.ok || hb.value.type !== FrameType.Heartbeat) {
        c.decodeErrors++;
        return false;
      }
      for (const { symbolId, seq } of hb.value.symbols) {
        const state = this.#symbols.get(symbolId);
        if (state !== undefined && state.epoch === hb.value.epoch && seq > state.last) {
          c.heartbeatAhead++;
          this.#lossSeen(state);
          this.onLoss?.(symbolId);
        }
      }
      return true;
    }
    const frame = decodeFrame(bytes);
    if (!frame.ok) {
      c.decodeErrors++;
      return false;
    }
    const f = frame.value;
    switch (f.type) {
      case FrameType.Snapshot:
        this.snapshot(f.symbolId, f.seq, f.epoch, recvMs);
        break;
      case FrameType.Ack:
        c.acks++;
        break;
      case FrameType.Hello:
        this.epoch = f.epoch;
        this.sessionId = f.sessionId;
        break;
      case FrameType.Error:
        c.errorFrames++;
        break;
      default:
        break;
    }
    return true;
  }
}

/** Remembers the missing seqs [from, to) of a gap, keeping at most MAX_PENDING_PER_SYMBOL (the newest). */
function remember(state: SymbolState, from: number, to: number): void {
  const pending = (state.pending ??= new Set<number>());
  const start = Math.max(from, to - MAX_PENDING_PER_SYMBOL);
  for (let s = start; s < to; s++) pending.add(s);
  if (pending.size > MAX_PENDING_PER_SYMBOL) {
    let excess = pending.size - MAX_PENDING_PER_SYMBOL;
    for (const s of pending) {
      if (excess-- <= 0) break;
      pending.delete(s);
    }
  }
}
