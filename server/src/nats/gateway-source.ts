// Gateway mode: the server's ticks come from the feed process over the bus instead of an in-process
// simulator. Only symbols with local subscribers are subscribed on the bus. A newly interesting symbol is
// stitched without a race: subscribe first and buffer, request the feed's snapshot (with its recent
// ticks), take the snapshot over, then apply the buffered frames with seq > snapshot.seq. From then on
// every Updates frame is relayed as the same bytes the feed published. Any break in seq (a lost frame,
// a NATS outage, a slow-consumer cut, a feed restart) resyncs the symbol the same way; clients get the
// missed ticks when the feed's recent ticks bridge the hole, a fresh snapshot when they cannot.
import { Counter, Gauge, type Registry } from 'prom-client';
import { HEADER_SIZE, HEARTBEAT_ENTRY_SIZE, TICK_RECORD_SIZE, decodeFrame, decodeHeader, encodeUpdatesFromRecords } from '@tickwire/protocol/codec';
import { splitFrames } from '@tickwire/protocol/framing';
import { FrameType, PROTOCOL_VERSION, type SnapshotFrame } from '@tickwire/protocol/messages';
import type { SimulatorState } from '@tickwire/feeds/index';
import type { Fanout } from '@tickwire/core/fanout';
import type { BusSourceOptions, FeedHealth, FeedHooks, FeedSource } from '../feed-source.js';
import type { Logger } from '@tickwire/core/log';
import type { InstrumentInfo } from '@tickwire/protocol/instruments';
import { StartupAbortedError, backoffDelay, connectNatsBus, sleep, type Bus, type BusSubscription } from '@tickwire/core/nats/bus';
import { HEARTBEAT_SUBJECT, META_SUBJECT, marketDataSubject, parseFeedMeta, snapshotSubject, type FeedMeta } from '@tickwire/core/nats/subjects';

/** A symbol stays subscribed this long after its last local subscriber left (reconnects, polls). */
export const DEFAULT_LINGER_MS = 5000;
/** Snapshot requests time out after this; the request is retried with backoff. */
export const SNAPSHOT_TIMEOUT_MS = 3000;
/**
 * Frames read from the bus but not yet relayed (one event-loop turn's worth, normally a few KiB). Past
 * this, frames are dropped and counted; the seq gap they leave resyncs their symbols. The other bound
 * sits in nats-server: a gateway whose socket falls `max_pending` (default 64 MiB) behind is cut off
 * as a slow consumer, which the gateway sees as a disconnect and answers with a resync.
 */
export const MAX_PENDING_BYTES = 32 * 1024 * 1024;
/** Frames kept per symbol while its snapshot is awaited (oldest dropped first; a hole resyncs again). */
export const MAX_SYNC_BUFFER_FRAMES = 2048;
/** The feed is considered gone after this many heartbeat intervals without one. */
const HEARTBEAT_MISSES = 3;

type Queued =
  | { kind: 'frame'; id: number; data: Uint8Array }
  | { kind: 'heartbeat'; data: Uint8Array }
  | { kind: 'snapshot'; id: number; generation: number; data: Uint8Array };

class SymbolSync {
  /** A local subscriber holds the symbol (or a poll asked for it recently: see linger). */
  wanted = false;
  sub: BusSubscription | null = null;
  linger: NodeJS.Timeout | null = null;
  /** Published state belongs to the current epoch: new subscribers can be served at once. */
  valid = false;
  /** Clients may hold this symbol's state, so a lost continuity must send them a fresh snapshot. */
  served = false;
  /** Awaiting a snapshot; frames are buffered meanwhile. */
  syncing = false;
  /** Bumped per sync attempt so a late reply to an abandoned attempt is ignored. */
  generation = 0;
  attempts = 0;
  retry: NodeJS.Timeout | null = null;
  buffer: Uint8Array[] = [];
  waiters: Array<() => void> = [];
}

/** Header facts of an Updates frame from the bus, or null when it is not one (or not well-formed). */
function updatesInfo(data: Uint8Array): { epoch: number; count: number; firstSeq: number; lastSeq: number } | null {
  if (data.length < HEADER_SIZE + 4 || data[0] !== PROTOCOL_VERSION || data[1] !== FrameType.Updates) return null;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const count = view.getUint32(HEADER_SIZE, true);
  if (count === 0 || data.length !== HEADER_SIZE + 4 + count * TICK_RECORD_SIZE) return null;
  const firstSeq = view.getUint32(HEADER_SIZE + 4 + 4, true);
  const lastSeq = view.getUint32(HEADER_SIZE + 4 + (count - 1) * TICK_RECORD_SIZE + 4, true);
  if (lastSeq !== firstSeq + count - 1) return null;
  return { epoch: view.getUint32(4, true), count, firstSeq, lastSeq };
}

/** Records of `history` (contiguous, ending at `lastSeq`) with seq > afterSeq, or null if it does not reach back. */
function recordsAfter(history: Uint8Array, lastSeq: number, afterSeq: number): { bytes: Uint8Array; count: number } | null {
  const count = history.length / TICK_RECORD_SIZE;
  const firstSeq = lastSeq - count + 1;
  if (afterSeq < firstSeq - 1 || afterSeq > lastSeq) return null;
  const skip = afterSeq + 1 - firstSeq;
  return { bytes: history.subarray(skip * TICK_RECORD_SIZE), count: count - skip };
}

/** Checks that an Updates frame's records are contiguous and end at `seq`; returns its records or an empty array. */
function historyRecords(frame: Uint8Array | undefined, seq: number): Uint8Array {
  if (frame === undefined) return new Uint8Array(0);
  const info = updatesInfo(frame);
  if (info === null || info.lastSeq !== seq) return new Uint8Array(0);
  return frame.subarray(HEADER_SIZE + 4);
}

export async function openGatewaySource(options: BusSourceOptions): Promise<FeedSource> {
  const bus =
    options.bus ??
    (await connectNatsBus({ servers: options.nats ?? '', name: options.name, log: options.log, ...(options.signal ? { signal: options.signal } : {}) }));
  let meta: FeedMeta;
  try {
    meta = await fetchMeta(bus, options.log, options.signal);
  } catch (error) {
    if (options.bus === undefined) await bus.close();
    throw error;
  }
  options.log.info({ bus: bus.name, feed: meta.feedId, epoch: meta.epoch, symbols: meta.symbols.length }, 'feed found on the bus');
  return new GatewaySource(bus, meta, options, options.bus === undefined);
}

/** Asks the feed for its instruments and epoch until one answers (TW_NO_FEED is logged meanwhile). */
async function fetchMeta(bus: Bus, log: Logger, signal?: AbortSignal): Promise<FeedMeta> {
  for (let attempt = 0; ; attempt++) {
    if (signal?.aborted) throw new StartupAbortedError('stopped while waiting for a feed');
    let reason: string;
    try {
      const meta = parseFeedMeta(await bus.request(META_SUBJECT, new Uint8Array(0), SNAPSHOT_TIMEOUT_MS));
      if (meta !== null) return meta;
      reason = 'the feed answered with malformed JSON';
    } catch (error) {
      reason = (error as Error).message;
    }
    const delay = backoffDelay(attempt, 500, 10_000);
    log.warn(
      { code: 'TW_NO_FEED', bus: bus.name, attempt: attempt + 1, retryInMs: delay, reason },
      `TW_NO_FEED: no feed answers on ${META_SUBJECT} (${reason}); is "npm run feed" running against this NATS? retrying in ${delay} ms`,
    );
    await sleep(delay, signal);
  }
}

class GatewaySource implements FeedSource {
  readonly kind = 'bus' as const;
  readonly instruments: readonly InstrumentInfo[];
  readonly epoch: number;
  private readonly syms: SymbolSync[];
  private fanout: Fanout | null = null;
  private hooks: FeedHooks | null = null;
  private heartbeatSub: BusSubscription | null = null;
  private queue: Queued[] = [];
  private queuedBytes = 0;
  private drainScheduled = false;
  /** Last time the feed was heard from: a heartbeat, or a frame of its epoch. */
  private lastFeedAt: number;
  private readonly heartbeatMs: number;
  private readonly lingerMs: number;
  private readonly maxPendingBytes: number;
  /** Epochs of feeds that were replaced: their late frames are ignored rather than switched back to. */
  private readonly retired = new Set<number>();
  private closed = false;
  private m: ReturnType<typeof registerMetrics> | null = null;

  constructor(
    private readonly bus: Bus,
    meta: FeedMeta,
    private readonly options: BusSourceOptions,
    private readonly ownsBus: boolean,
  ) {
    this.instruments = meta.symbols;
    this.epoch = meta.epoch;
    this.heartbeatMs = meta.heartbeatMs;
    this.lingerMs = options.tuning?.lingerMs ?? DEFAULT_LINGER_MS;
    this.maxPendingBytes = options.tuning?.maxPendingBytes ?? MAX_PENDING_BYTES;
    this.syms = meta.symbols.map(() => new SymbolSync());
    this.lastFeedAt = options.now();
  }

  warmUp(): number {
    return 0;
  }

  poll(): number {
    return 0;
  }

  exportState(): SimulatorState {
    throw new Error('a gateway holds no simulator: the feed process owns the market state');
  }

  start(fanout: Fanout, hooks: FeedHooks): void {
    this.fanout = fanout;
    this.hooks = hooks;
    this.m = registerMetrics(hooks.metrics.registry, this);
    this.heartbeatSub = this.bus.subscribe(HEARTBEAT_SUBJECT, (data) => this.enqueue({ kind: 'heartbeat', data: data.slice() }));
    this.bus.onStatus((status) => {
      if (status === 'disconnected') this.m?.disconnects.inc();
      else {
        // Whatever was published while we were away is lost to us: every held symbol resyncs (and
        // bridges the hole with the feed's recent ticks when it can).
        for (const [id, s] of this.syms.entries()) if (s.sub !== null) this.startSync(id, 'reconnect');
      }
    });
  }

  // ---- SymbolGate (subscriptions.ts) ----

  ready(symbolId: number): boolean {
    return this.syms[symbolId]?.valid === true;
  }

  whenReady(symbolIds: readonly number[], ready: () => void): void {
    const missing = symbolIds.filter((id) => !this.ready(id));
    if (missing.length === 0) return ready();
    let left = missing.length;
    // Re-checked at the end: an epoch change may have invalidated a symbol that was ready earlier.
    const one = () => {
      if (--left === 0) this.whenReady(symbolIds, ready);
    };
    for (const id of missing) this.syms[id]!.waiters.push(one);
  }

  interest(symbolId: number, held: boolean): void {
    const s = this.syms[symbolId];
    if (s === undefined || this.closed) return;
    s.wanted = held;
    if (held) {
      if (s.linger !== null) clearTimeout(s.linger);
      s.linger = null;
      if (s.sub === null) this.open(symbolId, s);
    } else if (s.linger === null) {
      this.armLinger(symbolId, s);
    }
  }

  private armLinger(id: number, s: SymbolSync): void {
    s.linger = setTimeout(() => {
      s.linger = null;
      if (s.wanted) return;
      // A poll may still wait for the first snapshot: keep the symbol until it was served.
      if (s.waiters.length > 0) return this.armLinger(id, s);
      this.shut(id, s);
    }, this.lingerMs);
    s.linger.unref();
  }

  private open(id: number, s: SymbolSync): void {
    s.sub = this.bus.subscribe(marketDataSubject(id), (data) => this.enqueue({ kind: 'frame', id, data }));
    this.startSync(id, 'interest');
  }

  /** No local interest left: leave the subject and forget the state (the next subscriber resyncs). */
  private shut(id: number, s: SymbolSync): void {
    s.sub?.unsubscribe();
    s.sub = null;
    s.valid = false;
    s.served = false;
    s.syncing = false;
    s.generation++;
    s.buffer = [];
    if (s.retry !== null) clearTimeout(s.retry);
    s.retry = null;
    this.fanout?.states[id]!.reset();
    this.fanout?.histories[id]!.clear();
  }

  // ---- Bus input: everything goes through one queue, so frames, heartbeats and snapshot replies are
  // handled in the order the bus delivered them, and a group of frames ends as one batch for the sinks. ----

  private enqueue(item: Queued): void {
    if (this.closed) return;
    if (this.queuedBytes + item.data.length > this.maxPendingBytes && item.kind === 'frame') {
      this.m?.dropped.inc({ reason: 'pending-overflow' });
      return;
    }
    this.queue.push(item);
    this.queuedBytes += item.data.length;
    if (!this.drainScheduled) {
      this.drainScheduled = true;
      setImmediate(this.drain);
    }
  }

  private readonly drain = (): void => {
    this.drainScheduled = false;
    const fanout = this.fanout;
    if (fanout === null || this.closed) return;
    const queue = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    for (const item of queue) {
      if (item.kind === 'frame') this.onFrame(item.id, item.data);
      else if (item.kind === 'heartbeat') this.onHeartbeat(item.data);
      else this.onSnapshot(item.id, item.generation, item.data);
    }
    fanout.endRelay(this.options.now());
  };

  private onFrame(id: number, data: Uint8Array): void {
    const s = this.syms[id]!;
    if (s.sub === null) return;
    const info = updatesInfo(data);
    if (info === null) {
      this.m!.frames.inc({ result: 'malformed' });
      return;
    }
    if (info.epoch !== this.fanout!.epoch) {
      if (this.retired.has(info.epoch)) return void this.m!.frames.inc({ result: 'stale' });
      this.switchEpoch(info.epoch, 'frame');
    }
    this.lastFeedAt = this.options.now();
    if (s.syncing) return this.buffer(s, data);
    this.apply(id, s, data, info.count, info.firstSeq, info.lastSeq);
  }

  private buffer(s: SymbolSync, data: Uint8Array): void {
    // Copied: bus payloads may be views into read buffers.
    s.buffer.push(data.slice());
    if (s.buffer.length > MAX_SYNC_BUFFER_FRAMES) s.buffer.shift();
    this.m!.frames.inc({ result: 'buffered' });
  }

  /** Relays a frame that continues the symbol's seq; drops an old one; resyncs on a hole. */
  private apply(id: number, s: SymbolSync, data: Uint8Array, count: number, firstSeq: number, lastSeq: number): void {
    const seq = this.fanout!.states[id]!.seq;
    if (lastSeq <= seq) return void this.m!.frames.inc({ result: 'stale' });
    if (firstSeq !== seq + 1) {
      this.startSync(id, 'gap');
      return this.buffer(s, data);
    }
    this.fanout!.relay(id, data);
    this.hooks!.metrics.ticksIn.inc(count);
    this.m!.frames.inc({ result: 'relayed' });
  }

  private onHeartbeat(data: Uint8Array): void {
    const head = decodeHeader(data);
    if (!head.ok || head.value.type !== FrameType.Heartbeat || data.length < HEADER_SIZE + 4) return;
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const count = view.getUint32(HEADER_SIZE, true);
    if (data.length !== HEADER_SIZE + 4 + count * HEARTBEAT_ENTRY_SIZE) return;
    const epoch = head.value.epoch;
    if (this.retired.has(epoch)) return;
    this.lastFeedAt = this.options.now();
    if (epoch !== this.fanout!.epoch) return this.switchEpoch(epoch, 'heartbeat');
    // Frames published before this heartbeat were delivered before it: a held symbol whose seq is
    // behind the heartbeat's lost a frame on the way (NATS does not redeliver).
    for (let i = 0, o = HEADER_SIZE + 4; i < count; i++, o += HEARTBEAT_ENTRY_SIZE) {
      const id = view.getUint16(o, true);
      const s = this.syms[id];
      if (s === undefined || s.sub === null || s.syncing || !s.valid) continue;
      if (view.getUint32(o + 4, true) > this.fanout!.states[id]!.seq) this.startSync(id, 'heartbeat');
    }
  }

  /** The feed restarted: its seq space is new, so every held symbol starts over from a snapshot. */
  private switchEpoch(epoch: number, seenIn: string): void {
    const fanout = this.fanout!;
    this.options.log.warn({ from: fanout.epoch, to: epoch, seenIn }, 'feed epoch changed (the feed restarted): resyncing every held symbol');
    this.retired.add(fanout.epoch);
    fanout.setEpoch(epoch);
    this.m!.epochChanges.inc();
    for (const [id, s] of this.syms.entries()) {
      s.valid = false;
      if (s.sub === null) continue;
      s.buffer = [];
      this.startSync(id, 'epoch');
    }
  }

  // ---- Snapshot stitching ----

  private startSync(id: number, reason: string): void {
    const s = this.syms[id]!;
    s.syncing = true;
    s.generation++;
    s.attempts = 0;
    if (s.retry !== null) clearTimeout(s.retry);
    s.retry = null;
    this.m?.resyncs.inc({ reason });
    this.requestSnapshot(id, s, s.generation);
  }

  private requestSnapshot(id: number, s: SymbolSync, generation: number): void {
    const body = new TextEncoder().encode(JSON.stringify({ candles: this.options.candleCapacity, ticks: this.options.resumeTicks }));
    this.bus.request(snapshotSubject(id), body, SNAPSHOT_TIMEOUT_MS).then(
      (data) => this.enqueue({ kind: 'snapshot', id, generation, data: data.slice() }),
      (error: unknown) => {
        if (s.generation !== generation || this.closed) return;
        this.options.log.debug({ symbolId: id, reason: (error as Error).message }, 'snapshot request failed');
        this.retryLater(id, s, generation);
      },
    );
  }

  /** Asks again after a backoff, unless the attempt was superseded or the symbol dropped meanwhile. */
  private retryLater(id: number, s: SymbolSync, generation: number): void {
    this.m?.snapshotFailures.inc();
    s.retry = setTimeout(
      () => {
        s.retry = null;
        if (s.generation === generation && s.sub !== null && !this.closed) this.requestSnapshot(id, s, generation);
      },
      backoffDelay(s.attempts++, 200, 5000),
    );
  }

  private onSnapshot(id: number, generation: number, data: Uint8Array): void {
    const s = this.syms[id]!;
    if (s.generation !== generation || s.sub === null) return;
    const frames = splitFrames(data);
    const decoded = frames.ok && frames.value[0] !== undefined ? decodeFrame(frames.value[0]) : null;
    if (!frames.ok || decoded === null || !decoded.ok || decoded.value.type !== FrameType.Snapshot || decoded.value.symbolId !== id) {
      this.options.log.warn({ symbolId: id }, 'the feed answered a snapshot request with something else; retrying');
      return this.retryLater(id, s, generation);
    }
    const snap = decoded.value;
    const fanout = this.fanout!;
    if (snap.epoch !== fanout.epoch) {
      if (this.retired.has(snap.epoch)) return this.retryLater(id, s, generation);
      // The feed restarted while we were not looking (e.g. during a NATS outage).
      return this.switchEpoch(snap.epoch, 'snapshot');
    }
    this.complete(id, s, snap, historyRecords(frames.value[1], snap.seq));
  }

  private complete(id: number, s: SymbolSync, snap: SnapshotFrame, history: Uint8Array): void {
    const fanout = this.fanout!;
    const state = fanout.states[id]!;
    // Held state of this epoch and the feed's recent ticks reach back to it: clients get the missed
    // ticks as one Updates frame and keep their continuity.
    let continuous = false;
    if (s.valid && snap.seq >= state.seq) {
      const bridge = recordsAfter(history, snap.seq, state.seq);
      if (bridge !== null) {
        if (bridge.count > 0) fanout.relay(id, encodeUpdatesFromRecords(fanout.epoch, this.options.now(), bridge.bytes, bridge.count));
        continuous = true;
      }
    }
    if (!continuous) fanout.restore(snap, history, history.length / TICK_RECORD_SIZE);
    const wasServed = s.served;
    s.syncing = false;
    s.valid = true;
    s.served = true;
    s.attempts = 0;
    if (!continuous && wasServed) {
      this.m!.refreshes.inc();
      this.hooks!.refreshed(id);
    }
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
      const info = updatesInfo(frame);
      if (info !== null && info.epoch === fanout.epoch) this.apply(id, s, frame, info.count, info.firstSeq, info.lastSeq);
    }
  }

  // ---- Status ----

  health(nowMs: number): FeedHealth {
    const sinceFeed = nowMs - this.lastFeedAt;
    const held = this.syms.filter((s) => s.sub !== null);
    return {
      stalled: !this.bus.connected || sinceFeed > Math.max(3000, HEARTBEAT_MISSES * this.heartbeatMs),
      detail: {
        source: 'bus',
        bus: this.bus.name,
        connected: this.bus.connected,
        msSinceFeed: Math.round(sinceFeed),
        heldSymbols: held.length,
        syncingSymbols: held.filter((s) => s.syncing).length,
      },
    };
  }

  /** Symbols subscribed on the bus right now (metrics, tests). */
  subscribedCount(): number {
    let n = 0;
    for (const s of this.syms) if (s.sub !== null) n++;
    return n;
  }

  pendingFrames(): number {
    return this.queue.length;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const [id, s] of this.syms.entries()) {
      if (s.linger !== null) clearTimeout(s.linger);
      s.linger = null;
      if (s.sub !== null) this.shut(id, s);
    }
    this.heartbeatSub?.unsubscribe();
    if (this.ownsBus) await this.bus.close();
  }
}

function registerMetrics(registry: Registry, source: GatewaySource) {
  const registers = [registry];
  new Gauge({
    name: 'tickwire_bus_symbols_subscribed',
    help: 'Symbols this gateway is subscribed to on the feed bus (those with local subscribers, plus a short linger)',
    registers,
    collect() {
      this.set(source.subscribedCount());
    },
  });
  new Gauge({
    name: 'tickwire_bus_pending_frames',
    help: 'Frames read from the bus and not yet relayed',
    registers,
    collect() {
      this.set(source.pendingFrames());
    },
  });
  return {
    frames: new Counter({
      name: 'tickwire_bus_frames_total',
      help: 'Updates frames from the bus by outcome: relayed, buffered (during a sync), stale (already held), malformed',
      labelNames: ['result'] as const,
      registers,
    }),
    dropped: new Counter({
      name: 'tickwire_bus_dropped_total',
      help: 'Frames dropped by this gateway: pending-overflow (more read from the bus than the local bound)',
      labelNames: ['reason'] as const,
      registers,
    }),
    resyncs: new Counter({
      name: 'tickwire_bus_resyncs_total',
      help: 'Symbol syncs from a feed snapshot by reason: interest, gap, heartbeat, reconnect, epoch',
      labelNames: ['reason'] as const,
      registers,
    }),
    refreshes: new Counter({
      name: 'tickwire_bus_refreshes_total',
      help: 'Syncs that could not bridge the hole with missed ticks, so holders got a fresh snapshot',
      registers,
    }),
    snapshotFailures: new Counter({ name: 'tickwire_bus_snapshot_failures_total', help: 'Snapshot requests that failed or timed out', registers }),
    disconnects: new Counter({
      name: 'tickwire_bus_disconnects_total',
      help: 'Times the bus connection was lost (including NATS cutting this gateway off as a slow consumer)',
      registers,
    }),
    epochChanges: new Counter({ name: 'tickwire_bus_epoch_changes_total', help: 'Feed restarts seen (new epoch)', registers }),
  };
}
