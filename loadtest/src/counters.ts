// What a load run counts, and where it accumulates: the Counters every adapter and report share (one
// set per connection class and worker, summed across workers), and the AccountingSink that holds them
// with the two latency histograms. The rules that fill them from frames live in accounting.ts.
import { FastRecorder, newHistogram, type Histogram } from './histogram.js';

export interface Counters {
  /** Frames or messages received, of any kind. */
  frames: number;
  /** Bytes received as the transport delivered them (WebSocket payloads; SSE text; JSON text), counted by adapters. */
  bytes: number;
  /** Ticks delivered (every tick received, including duplicates). */
  ticks: number;
  /** Ticks received for the first time and in order (the useful updates). */
  inOrder: number;
  snapshots: number;
  heartbeats: number;
  acks: number;
  /** Error frames sent by the server. */
  errorFrames: number;
  /** Frames the codec (or JSON parser) rejected. */
  decodeErrors: number;
  /** Seqs currently known to be missing: + on a gap, − when a missing seq arrives late. */
  missing: number;
  /** Jumps that opened a gap (one gap may miss many seqs). */
  gapEvents: number;
  duplicates: number;
  outOfOrder: number;
  /** Ticks flagged Conflated, and the seqs they announced as skipped. */
  conflatedTicks: number;
  conflatedSkipped: number;
  /** Baseline resets caused by an epoch change, and by a snapshot of a symbol that already had one. */
  epochResets: number;
  snapshotResets: number;
  /** Ticks that arrived for a symbol with no baseline yet and set it (normal for peers without snapshots). */
  baselineTicks: number;
  /** Latency samples below zero (clock disagreement), clamped to 0. */
  negativeLatency: number;
  /**
   * Heartbeat entries announcing a seq this connection has not received yet. The server stamps heartbeats
   * with published state on the same ordered stream, so a nonzero count means updates stalled or were lost
   * at the tail, where no later tick would reveal the gap.
   */
  heartbeatAhead: number;
  /**
   * Real socket bytes (the transport-lab measure): read from the server, and written to it, including
   * HTTP request/response headers, chunked framing, WebSocket framing and base64. Adapters that cannot
   * see their socket leave them at 0.
   */
  wireBytesIn: number;
  wireBytesOut: number;
  /** HTTP requests sent (polling transports; one per connection for the streaming ones). */
  requests: number;
  /** Repairs asked by the client after a loss (gap or heartbeat ahead): a re-subscribe for a fresh snapshot. */
  resyncs: number;
  // Resume on reconnect (see resume.ts): reconnects that presented a cursor, and what each covered symbol got.
  /** Connections opened with a resume cursor. */
  resumeAttempts: number;
  /** Resumed connections whose every cursor symbol continued without a snapshot / where at least one got a snapshot. */
  reconnectsReplayed: number;
  reconnectsSnapshot: number;
  /** Cursor symbols that continued with replayed (or live) ticks, and those that got a snapshot instead. */
  resumeReplayed: number;
  resumeSnapshots: number;
  /** Of resumeSnapshots: the snapshot came in the cursor's own epoch (the server could not replay). */
  resumeMissed: number;
  /** Non-conflated seq skips on a symbol whose continuity was carried over a reconnect by its cursor. */
  gapsAfterResume: number;
  /** Symbols with a loss (gap or heartbeat ahead) not yet healed by a snapshot: + on loss, − on repair. */
  openGaps: number;
  /** Losses healed by a snapshot on the same connection (gap repair). */
  repairedGaps: number;
}

export function zeroCounters(): Counters {
  return {
    frames: 0,
    bytes: 0,
    ticks: 0,
    inOrder: 0,
    snapshots: 0,
    heartbeats: 0,
    acks: 0,
    errorFrames: 0,
    decodeErrors: 0,
    missing: 0,
    gapEvents: 0,
    duplicates: 0,
    outOfOrder: 0,
    conflatedTicks: 0,
    conflatedSkipped: 0,
    epochResets: 0,
    snapshotResets: 0,
    baselineTicks: 0,
    negativeLatency: 0,
    heartbeatAhead: 0,
    wireBytesIn: 0,
    wireBytesOut: 0,
    requests: 0,
    resyncs: 0,
    resumeAttempts: 0,
    reconnectsReplayed: 0,
    reconnectsSnapshot: 0,
    resumeReplayed: 0,
    resumeSnapshots: 0,
    resumeMissed: 0,
    gapsAfterResume: 0,
    openGaps: 0,
    repairedGaps: 0,
  };
}

export function addCounters(into: Counters, from: Counters): Counters {
  for (const key of Object.keys(into) as (keyof Counters)[]) into[key] += from[key];
  return into;
}

export function subCounters(a: Counters, b: Counters): Counters {
  const out = zeroCounters();
  for (const key of Object.keys(out) as (keyof Counters)[]) out[key] = a[key] - b[key];
  return out;
}

/**
 * Where many connections' accounting accumulates (one per worker and client class): counters plus two
 * latency histograms in µs. `eventLatency` is receive time − tick event time (feed → client), one sample
 * per tick; `sendLatency` is receive time − frame send time (server → client), weighted by the frame's
 * tick count. Samples go through FastRecorders (same buckets, integer maths) and reach the HDR
 * histograms on `flush()`. Latencies are only recorded while `recording` is true.
 */
export class AccountingSink {
  readonly counters: Counters = zeroCounters();
  readonly eventLatency: Histogram = newHistogram();
  readonly sendLatency: Histogram = newHistogram();
  readonly #event = new FastRecorder();
  readonly #send = new FastRecorder();
  recording = true;

  eventSample(ms: number, count: number): void {
    if (ms < 0) this.counters.negativeLatency += count;
    if (this.recording) this.#event.record(ms * 1000, count);
  }

  sendSample(ms: number, count: number): void {
    if (ms < 0) this.counters.negativeLatency += count;
    if (this.recording) this.#send.record(ms * 1000, count);
  }

  /** Moves recorded samples into the HDR histograms; call before reading them. */
  flush(): void {
    this.#event.flushInto(this.eventLatency);
    this.#send.flushInto(this.sendLatency);
  }

  /** Frees the histograms (they hold sizeable typed arrays). */
  destroy(): void {
    this.eventLatency.destroy();
    this.sendLatency.destroy();
  }
}
