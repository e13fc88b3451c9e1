// Snapshot/stream stitching for a gateway: the rules that turn a feed's live Updates frames, its
// heartbeats and its snapshot replies into one unbroken seq per symbol in the fan-out. No bus, no timers:
// the gateway feeds it what arrived (in arrival order) and does what it asks (request a snapshot), so the
// rules can be tested with scripted frames.
//
// Per held symbol: subscribe first and buffer, take the snapshot over, then apply the buffered frames
// with seq > snapshot.seq. A break in seq (a lost frame, a heartbeat ahead of us, a feed restart) starts
// a new sync; when the snapshot's recent ticks reach back to what the fan-out holds, the missed ticks are
// relayed as one Updates frame and clients keep their continuity, otherwise they get a fresh snapshot.
import { TICK_RECORD_SIZE, decodeFrame, encodeUpdatesFromRecords } from '@tickwire/protocol/codec';
import { splitFrames } from '@tickwire/protocol/framing';
import { FrameType, type SnapshotFrame } from '@tickwire/protocol/messages';
import { heartbeatEpoch, peekUpdates, recordsAfter, recordsEndingAt, visitHeartbeat, type UpdatesPeek } from '@tickwire/protocol/peek';
import type { Fanout } from '@tickwire/core/fanout';

/** Frames kept per symbol while its snapshot is awaited (oldest dropped first; a hole resyncs again). */
export const MAX_SYNC_BUFFER_FRAMES = 2048;

export type SyncReason = 'interest' | 'gap' | 'heartbeat' | 'reconnect' | 'epoch';
export type FrameOutcome = 'relayed' | 'buffered' | 'stale' | 'malformed';
/**
 * applied: the symbol is in sync; ignored: the reply answers a superseded attempt or a released symbol;
 * malformed / retired: unusable (not this symbol's snapshot, or from a replaced feed), ask again later;
 * epoch: the reply revealed a feed restart, and every held symbol started a new sync.
 */
export type SnapshotOutcome = 'applied' | 'ignored' | 'malformed' | 'retired' | 'epoch';

/** What the stitcher asks of its gateway, and tells it. */
export interface StitchEvents {
  /** A sync (re)started: ask the feed for this symbol's snapshot and hand the reply back with `generation`. */
  requestSnapshot(symbolId: number, generation: number, reason: SyncReason): void;
  frame(outcome: FrameOutcome, ticks: number): void;
  /** The feed restarted (seen in a frame, heartbeat or snapshot of a new epoch). */
  epochChanged(from: number, to: number, seenIn: 'frame' | 'heartbeat' | 'snapshot'): void;
  /** Continuity was lost and the state replaced by a fresh snapshot: clients holding the symbol need one too. */
  refreshed(symbolId: number): void;
}

class SymbolSync {
  /** Subscribed on the bus: its frames are expected. */
  held = false;
  /** Published state belongs to the current epoch: new subscribers can be served at once. */
  valid = false;
  /** Clients may hold this symbol's state, so a lost continuity must send them a fresh snapshot. */
  served = false;
  /** Awaiting a snapshot; frames are buffered meanwhile. */
  syncing = false;
  /** Bumped per sync attempt so a late reply to an abandoned attempt is ignored. */
  generation = 0;
  buffer: Uint8Array[] = [];
  waiters: Array<() => void> = [];
}

export class Stitcher {
  private readonly syms: SymbolSync[];
  /** Epochs of feeds that were replaced: their late frames are ignored rather than switched back to. */
  private readonly retired = new Set<number>();

  constructor(
    private readonly fanout: Fanout,
    private readonly events: StitchEvents,
    private readonly now: () => number,
  ) {
    this.syms = fanout.states.map(() => new SymbolSync());
  }

  // ---- Interest (the gateway subscribes and unsubscribes on the bus) ----

  /** The gateway subscribed to the symbol's frames: sync it from a snapshot. */
  hold(id: number): void {
    const s = this.syms[id];
    if (s === undefined || s.held) return;
    s.held = true;
    this.startSync(id, s, 'interest');
  }

  /** The gateway left the symbol: forget its state (the next holder resyncs from a snapshot). */
  release(id: number): void {
    const s = this.syms[id];
    if (s === undefined) return;
    s.held = false;
    s.valid = false;
    s.served = false;
    s.syncing = false;
    s.generation++;
    s.buffer = [];
    this.fanout.states[id]?.reset();
    this.fanout.histories[id]?.clear();
  }

  /** Whatever was published while the bus was away is lost to us: every held symbol resyncs. */
  resyncHeld(reason: SyncReason): void {
    for (const [id, s] of this.syms.entries()) if (s.held) this.startSync(id, s, reason);
  }

  // ---- Readiness (SymbolGate) ----

  ready(id: number): boolean {
    return this.syms[id]?.valid === true;
  }

  whenReady(symbolIds: readonly number[], ready: () => void): void {
    const missing = symbolIds.filter((id) => this.syms[id] !== undefined && !this.ready(id));
    if (missing.length === 0) return ready();
    let left = missing.length;
    // Re-checked at the end: an epoch change may have invalidated a symbol that was ready earlier.
    const one = () => {
      if (--left === 0) this.whenReady(symbolIds, ready);
    };
    for (const id of missing) this.syms[id]?.waiters.push(one);
  }

  /** Someone waits for the symbol's first snapshot (a poll): the gateway keeps it held meanwhile. */
  awaited(id: number): boolean {
    return (this.syms[id]?.waiters.length ?? 0) > 0;
  }

  isHeld(id: number): boolean {
    return this.syms[id]?.held === true;
  }

  /** The snapshot reply tagged `generation` is still wanted (retries check this). */
  current(id: number, generation: number): boolean {
    const s = this.syms[id];
    return s !== undefined && s.held && s.generation === generation;
  }

  counts(): { held: number; syncing: number } {
    let held = 0;
    let syncing = 0;
    for (const s of this.syms) {
      if (!s.held) continue;
      held++;
      if (s.syncing) syncing++;
    }
    return { held, syncing };
  }

  // ---- Input, in the order the bus delivered it ----

  /** One Updates frame from the symbol's subject. Returns true when it shows the current feed is alive. */
  frame(id: number, data: Uint8Array): boolean {
    const s = this.syms[id];
    if (s === undefined || !s.held) return false;
    const info = peekUpdates(data);
    if (info === null) {
      this.events.frame('malformed', 0);
      return false;
    }
    if (info.epoch !== this.fanout.epoch) {
      if (this.retired.has(info.epoch)) {
        this.events.frame('stale', 0);
        return false;
      }
      this.switchEpoch(info.epoch, 'frame');
    }
    if (s.syncing) this.buffer(s, data);
    else this.apply(id, s, data, info);
    return true;
  }

  /**
   * A heartbeat: frames published before it were delivered before it, so a held symbol whose seq is
   * behind the heartbeat's lost a frame on the way (NATS does not redeliver). Returns true when it comes
   * from a live feed (the current one or a new one).
   */
  heartbeat(data: Uint8Array): boolean {
    const epoch = heartbeatEpoch(data);
    if (epoch === null || this.retired.has(epoch)) return false;
    if (epoch !== this.fanout.epoch) {
      this.switchEpoch(epoch, 'heartbeat');
      return true;
    }
    visitHeartbeat(data, (id, seq) => {
      const s = this.syms[id];
      if (s === undefined || !s.held || s.syncing || !s.valid) return;
      if (seq > (this.fanout.states[id]?.seq ?? 0)) this.startSync(id, s, 'heartbeat');
    });
    return true;
  }

  /** The feed's reply to requestSnapshot(id, generation): a Snapshot frame, optionally followed by its recent ticks. */
  snapshot(id: number, generation: number, data: Uint8Array): SnapshotOutcome {
    const s = this.syms[id];
    if (s === undefined || s.generation !== generation || !s.held) return 'ignored';
    const frames = splitFrames(data);
    const decoded = frames.ok && frames.value[0] !== undefined ? decodeFrame(frames.value[0]) : null;
    if (!frames.ok || decoded === null || !decoded.ok || decoded.value.type !== FrameType.Snapshot || decoded.value.symbolId !== id) return 'malformed';
    const snap = decoded.value;
    if (snap.epoch !== this.fanout.epoch) {
      if (this.retired.has(snap.epoch)) return 'retired';
      // The feed restarted while we were not looking (e.g. during a NATS outage).
      this.switchEpoch(snap.epoch, 'snapshot');
      return 'epoch';
    }
    this.complete(id, s, snap, recordsEndingAt(frames.value[1], snap.seq));
    return 'applied';
  }

  // ---- Rules ----

  private buffer(s: SymbolSync, data: Uint8Array): void {
    // Copied: bus payloads may be views into read buffers.
    s.buffer.push(data.slice());
    if (s.buffer.length > MAX_SYNC_BUFFER_FRAMES) s.buffer.shift();
    this.events.frame('buffered', 0);
  }

  /** Relays a frame that continues the symbol's seq; drops an old one; resyncs on a hole. */
  private apply(id: number, s: SymbolSync, data: Uint8Array, info: UpdatesPeek): void {
    const seq = this.fanout.states[id]?.seq ?? 0;
    if (info.lastSeq <= seq) return this.events.frame('stale', 0);
    if (info.firstSeq !== seq + 1) {
      this.startSync(id, s, 'gap');
      return this.buffer(s, data);
    }
    this.fanout.relay(id, data);
    this.events.frame('relayed', info.count);
  }

  /** The feed restarted: its seq space is new, so every held symbol starts over from a snapshot. */
  private switchEpoch(epoch: number, seenIn: 'frame' | 'heartbeat' | 'snapshot'): void {
    this.events.epochChanged(this.fanout.epoch, epoch, seenIn);
    this.retired.add(this.fanout.epoch);
    this.fanout.setEpoch(epoch);
    for (const [id, s] of this.syms.entries()) {
      s.valid = false;
      if (!s.held) continue;
      s.buffer = [];
      this.startSync(id, s, 'epoch');
    }
  }

  private startSync(id: number, s: SymbolSync, reason: SyncReason): void {
    s.syncing = true;
    s.generation++;
    this.events.requestSnapshot(id, s.generation, reason);
  }

  private complete(id: number, s: SymbolSync, snap: SnapshotFrame, history: Uint8Array): void {
    const fanout = this.fanout;
    const held = fanout.states[id]?.seq ?? 0;
    // Held state of this epoch and the feed's recent ticks reach back to it: clients get the missed
    // ticks as one Updates frame and keep their continuity.
    let continuous = false;
    if (s.valid && snap.seq >= held) {
      const bridge = recordsAfter(history, snap.seq, held);
      if (bridge !== null) {
        if (bridge.count > 0) fanout.relay(id, encodeUpdatesFromRecords(fanout.epoch, this.now(), bridge.bytes, bridge.count));
        continuous = true;
      }
    }
    if (!continuous) fanout.restore(snap, history, history.length / TICK_RECORD_SIZE);
    const wasServed = s.served;
    s.syncing = false;
    s.valid = true;
    s.served = true;
    if (!continuous && wasServed) this.events.refreshed(id);
    const waiters = s.waiters;
    s.waiters = [];
    for (const w of waiters) w();
    // Frames that arrived meanwhile: those up to the snapshot's seq are already in it.
    const buffered = s.buffer;
    s.buffer = [];
    for (const frame of buffered) {
      if (s.syncing) {
        s.buffer.push(frame);
        continue;
      }
      const info = peekUpdates(frame);
      if (info !== null && info.epoch === fanout.epoch) this.apply(id, s, frame, info);
    }
  }
}
