// The market core of a scaled-out deployment: the one place ticks get their seq and epoch, batched per
// symbol per window by the same Fanout the embedded server uses, each batch published ONCE as a protocol
// Updates frame on tickwire.md.<symbolId>. Gateways relay those bytes untouched, so every gateway sends
// identical frames and a client can resume on any of them. It also answers snapshot and instrument
// requests from its published state, and publishes a heartbeat so gateways notice a dead feed.
import { HEADER_SIZE, TICK_RECORD_SIZE, emptyTick, encodeError, encodeHeartbeat, encodeUpdatesFromRecords, readTickRecord } from '@tickwire/protocol/codec';
import { ErrorCode } from '@tickwire/protocol/codes';
import { joinFrames } from '@tickwire/protocol/framing';
import { PROTOCOL_VERSION, type Tick } from '@tickwire/protocol/messages';
import { BlockKind, type RecordedBlock, type RecordingWriter } from '@tickwire/feeds/recording';
import { Fanout, type FrameSink } from '../fanout.js';
import { SnapshotCache } from '../snapshot-cache.js';
import type { Logger } from '../log.js';
import { instrumentInfo, type InstrumentInfo } from '@tickwire/protocol/instruments';
import type { Bus, BusSubscription } from './bus.js';
import { HEARTBEAT_SUBJECT, META_SUBJECT, SNAPSHOT_WILDCARD, marketDataSubject, parseSnapshotRequest, symbolIdOf, type FeedMeta } from './subjects.js';

export interface MarketCoreOptions {
  bus: Bus;
  instruments: readonly InstrumentInfo[];
  epoch: number;
  candleCapacity: number;
  resumeTicks: number;
  batchMs: number;
  heartbeatMs: number;
  feedId: string;
  log: Logger;
  now: () => number;
  /** Records every tick and batch the core publishes (--record). */
  recorder?: RecordingWriter | null;
}

export interface MarketCoreStats {
  framesPublished: number;
  /** Frames not published because the bus was down (gateways resync from snapshots afterwards). */
  framesSkipped: number;
  snapshotsServed: number;
}

/** The embedded Fanout with a tap: what the core ingests is also recorded, batch by batch. */
class RecordingFanout extends Fanout {
  recorder: RecordingWriter | null = null;
  now: () => number = () => Date.now();

  override ingest(tick: Tick): void {
    super.ingest(tick);
    this.recorder?.add(tick);
  }

  override absorb(): void {
    super.absorb();
    this.recorder?.endBlock(BlockKind.Warmup, this.now());
  }

  override flush(nowMs: number): void {
    super.flush(nowMs);
    this.recorder?.endBlock(BlockKind.Batch, nowMs);
  }
}

export class MarketCore {
  readonly fanout: Fanout;
  readonly stats: MarketCoreStats = { framesPublished: 0, framesSkipped: 0, snapshotsServed: 0 };
  private readonly served: BusSubscription[] = [];
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private readonly metaJson: Uint8Array;
  private readonly scratch = emptyTick();
  /** Gateways asking at once (a restart of several, or of the bus) share one encoding per symbol and state. */
  private readonly snapshots = new SnapshotCache();

  constructor(private readonly options: MarketCoreOptions) {
    const fanout = new RecordingFanout(options.instruments, options.epoch, options.candleCapacity, options.resumeTicks);
    fanout.recorder = options.recorder ?? null;
    fanout.now = options.now;
    this.fanout = fanout;
    const sink: FrameSink = { publish: (id, frame) => this.publishFrame(id, frame), endOfBatch: () => {} };
    fanout.addSink(sink);
    const meta: FeedMeta = {
      epoch: options.epoch,
      protocolVersion: PROTOCOL_VERSION,
      feedId: options.feedId,
      batchMs: options.batchMs,
      heartbeatMs: options.heartbeatMs,
      candleCapacity: options.candleCapacity,
      resumeTicks: options.resumeTicks,
      symbols: options.instruments.map(instrumentInfo),
    };
    this.metaJson = new TextEncoder().encode(JSON.stringify(meta));
  }

  /** Answers requests and starts the heartbeat: call once the warm-up is in state. */
  start(): void {
    const { bus } = this.options;
    this.served.push(bus.serve(META_SUBJECT, () => this.metaJson));
    this.served.push(bus.serve(SNAPSHOT_WILDCARD, (data, subject) => this.snapshotReply(data, subject)));
    this.heartbeatTimer = setInterval(() => this.heartbeat(), this.options.heartbeatMs);
  }

  /** Publishes one frame per symbol with pending ticks (the batch window closed). */
  publishBatch(nowMs: number): void {
    this.fanout.flush(nowMs);
  }

  /** Feeds one block of a recording: warm-up blocks are absorbed, batches published as they were. */
  replayBlock(block: RecordedBlock, nowMs: number): void {
    const view = new DataView(block.records.buffer, block.records.byteOffset, block.records.byteLength);
    for (let i = 0; i < block.count; i++) this.fanout.ingest(readTickRecord(view, i * TICK_RECORD_SIZE, this.scratch));
    if (block.kind === BlockKind.Warmup) this.fanout.absorb();
    else this.fanout.flush(nowMs);
  }

  private publishFrame(symbolId: number, frame: Uint8Array): void {
    const { bus } = this.options;
    // Published while disconnected, frames would pile up in the client and arrive stale; gateways
    // recover the hole from snapshots (with recent ticks) instead.
    if (!bus.connected) {
      this.stats.framesSkipped++;
      return;
    }
    const subject = marketDataSubject(symbolId);
    if (frame.length <= bus.maxPayload) {
      bus.publish(subject, frame);
      this.stats.framesPublished++;
      return;
    }
    // A burst bigger than the bus allows in one message goes out as consecutive frames of the same
    // batch (seq stays contiguous, so gateways see no difference but the count).
    const perFrame = Math.max(1, Math.floor((bus.maxPayload - HEADER_SIZE - 4) / TICK_RECORD_SIZE));
    const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    const count = view.getUint32(HEADER_SIZE, true);
    const sendTimeMs = view.getFloat64(8, true);
    const records = frame.subarray(HEADER_SIZE + 4);
    for (let start = 0; start < count; start += perFrame) {
      const n = Math.min(perFrame, count - start);
      bus.publish(subject, encodeUpdatesFromRecords(this.fanout.epoch, sendTimeMs, records.subarray(start * TICK_RECORD_SIZE), n));
      this.stats.framesPublished++;
    }
  }

  /**
   * A Snapshot frame of the published state with the candles asked for, followed by an Updates frame of
   * the recent ticks up to the snapshot's seq (so a gateway can bridge a hole and serve resumes), both
   * length-prefixed. The snapshot is built from published state: it ends exactly where the next
   * published frame of the symbol begins.
   */
  private snapshotReply(data: Uint8Array, subject: string): Uint8Array {
    const { epoch } = this.fanout;
    const now = this.options.now();
    const id = symbolIdOf(subject);
    const state = id === null ? undefined : this.fanout.states[id];
    if (id === null || state === undefined) return joinFrames([encodeError(epoch, now, ErrorCode.UnknownSymbol, 0, `no symbol for subject ${subject}`)]);
    const request = parseSnapshotRequest(data);
    const candles = Math.min(request.candles ?? this.options.candleCapacity, this.options.candleCapacity);
    const snapshot = this.snapshots.get(state, epoch, candles, now);
    const frames = [snapshot];
    const history = this.fanout.histories[id]!;
    const ticks = Math.min(request.ticks ?? this.options.resumeTicks, this.options.resumeTicks);
    if (ticks > 0 && state.seq > 0 && history.oldestSeq > 0) {
      const records = history.after(Math.max(state.seq - ticks, history.oldestSeq - 1), state.seq);
      const room = Math.floor((this.options.bus.maxPayload - snapshot.length - 64 - HEADER_SIZE - 4) / TICK_RECORD_SIZE);
      if (records !== null && records.length > 0 && room > 0) {
        const n = Math.min(records.length / TICK_RECORD_SIZE, room);
        frames.push(encodeUpdatesFromRecords(epoch, now, records.subarray(records.length - n * TICK_RECORD_SIZE), n));
      }
    }
    this.stats.snapshotsServed++;
    return joinFrames(frames);
  }

  private heartbeat(): void {
    if (!this.options.bus.connected) return;
    const entries = this.fanout.states.map((s) => ({ symbolId: s.instrument.id, seq: s.seq }));
    this.options.bus.publish(HEARTBEAT_SUBJECT, encodeHeartbeat(this.fanout.epoch, this.options.now(), entries));
  }

  close(): void {
    if (this.heartbeatTimer !== null) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
    for (const s of this.served.splice(0)) s.unsubscribe();
  }
}
