// The clients of one worker thread: builds them from the run config (which global indices, which kind,
// which adapter, which symbols — all derived from the index, so the split over workers changes nothing),
// starts them along the ramp, and condenses their accounting into samples for the coordinator.
import { AccountingSink } from './counters.js';
import { ADAPTER_CONNECT } from './adapters/index.js';
import { LifecycleStats, SimClient, type ClientKind } from './client.js';
import type { AdapterName, LoadTestConfig, MixTransport } from './config.js';
import { parseTarget } from './config.js';
import { encodeHistogram, newHistogram, type Histogram } from './histogram.js';
import { threadCpuMs } from './proc.js';
import { RESUMING_ADAPTERS } from './reconnect.js';
import { SymbolPicker, type SymbolRef } from './symbols.js';
import type { LifeCounts, WorkerFinal, WorkerInit, WorkerSample } from './worker-messages.js';

/** An open connection silent this long is stalled: Tickwire sends a heartbeat every second. */
export const STALL_MS = 3_000;

/** Receive clock: epoch ms with sub-ms resolution, the same construction as the feed's systemClock. */
export const nowMs = (): number => performance.timeOrigin + performance.now();

const GOLDEN = 0.618_033_988_749_895;
const SQRT2_FRAC = 0.414_213_562_373_095;
const frac = (x: number): number => x - Math.floor(x);

/** Role of client `index`: low-discrepancy spread, so any prefix of clients has about the right mix. */
export function clientKind(index: number, slowFraction: number, churnFraction: number): ClientKind {
  const u = frac((index + 1) * GOLDEN);
  if (u < slowFraction) return 'slow';
  if (u < slowFraction + churnFraction) return 'churn';
  return 'normal';
}

const MIX_ADAPTER: Readonly<Record<MixTransport, AdapterName>> = {
  ws: 'tickwire-ws',
  sse: 'tickwire-sse',
  stream: 'tickwire-stream',
  longpoll: 'tickwire-longpoll',
  poll: 'tickwire-poll',
};

/** --mix weights: client `index` lands in a transport's share of [0, 1) by the same low-discrepancy spread. */
function mixAdapter(index: number, mix: Partial<Record<MixTransport, number>>): AdapterName {
  const entries = Object.entries(mix) as [MixTransport, number][];
  const total = entries.reduce((a, [, w]) => a + w, 0);
  let u = frac((index + 1) * SQRT2_FRAC) * total;
  for (const [name, w] of entries) {
    if (u < w) return MIX_ADAPTER[name];
    u -= w;
  }
  return MIX_ADAPTER[entries[entries.length - 1]![0]];
}

export function clientAdapter(index: number, config: Pick<LoadTestConfig, 'transport' | 'sseFraction'> & { mix?: LoadTestConfig['mix'] }): AdapterName {
  switch (config.transport) {
    case 'ws':
      return 'tickwire-ws';
    case 'sse':
      return 'tickwire-sse';
    case 'stream':
      return 'tickwire-stream';
    case 'longpoll':
      return 'tickwire-longpoll';
    case 'poll':
      return 'tickwire-poll';
    case 'socketio':
      return 'socketio';
    case 'ws-json':
      return 'ws-json';
    case 'socketio-batch':
      return 'socketio-batch';
    case 'ws-batch':
      return 'ws-batch';
    case 'mix':
      if (config.mix !== undefined && config.mix !== null) return mixAdapter(index, config.mix);
      return frac((index + 1) * SQRT2_FRAC) < config.sseFraction ? 'tickwire-sse' : 'tickwire-ws';
  }
}

/** Source address for client `index` when spreading over 127.0.0.1 … 127.0.0.N (IPv4 loopback targets only). */
export function sourceAddress(index: number, count: number, target: URL): string | undefined {
  if (count <= 1 || !/^127\./.test(target.hostname)) return undefined;
  return `127.0.0.${1 + (index % count)}`;
}

/** Tiny seeded generator for timing jitter (not part of any reproducible stream). */
function jitterRandom(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x1_0000_0000;
  };
}

export class Swarm {
  readonly init: WorkerInit;
  readonly clients: SimClient[] = [];
  readonly sink = new AccountingSink();
  readonly slowSink = new AccountingSink();
  readonly life = new LifecycleStats();
  readonly #steadyEvent: Histogram = newHistogram();
  readonly #steadySend: Histogram = newHistogram();
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #clientCounts: WorkerFinal['clients'] = { normal: 0, slow: 0, churn: 0, byAdapter: {} };

  constructor(init: WorkerInit) {
    this.init = init;
    const c = init.config;
    const base = parseTarget(c.url, c.allowRemote);
    const pool = c.symbolPool > 0 ? init.symbols.slice(0, c.symbolPool) : init.symbols;
    const picker = new SymbolPicker(pool, c.popularity, c.zipfExponent);
    this.slowSink.recording = false;
    const random = jitterRandom(c.seed * 31 + init.workerIndex + 1);
    for (let i = init.workerIndex; i < c.clients; i += init.workers) {
      const kind = clientKind(i, c.slowFraction, c.churnFraction);
      const adapter = clientAdapter(i, c);
      this.#clientCounts[kind]++;
      this.#clientCounts.byAdapter[adapter] = (this.#clientCounts.byAdapter[adapter] ?? 0) + 1;
      const symbols: SymbolRef[] = picker.pick(c.seed, i, c.symbolsPerClient);
      this.clients.push(
        new SimClient({
          index: i,
          kind,
          connect: ADAPTER_CONNECT[adapter],
          base,
          symbols,
          history: c.history,
          localAddress: sourceAddress(i, c.sourceAddresses, base),
          sink: kind === 'slow' ? this.slowSink : this.sink,
          life: this.life,
          now: nowMs,
          random,
          slowRateBps: c.slowRateBps,
          churnIntervalMs: c.churnIntervalMs,
          wsClient: c.wsClient,
          token: c.token,
          poll: { intervalMs: c.pollIntervalMs, waitMs: c.longPollWaitMs },
          resume: RESUMING_ADAPTERS.has(adapter),
        }),
      );
    }
  }

  /** Schedules every client's first connect along the ramp. */
  start(): void {
    const c = this.init.config;
    const now = nowMs();
    for (const client of this.clients) {
      const at = this.init.startAtMs + (c.rampUpMs * client.spec.index) / c.clients;
      const timer = setTimeout(() => client.start(), Math.max(0, at - now));
      this.#timers.push(timer);
    }
    if (c.stormAtMs !== undefined && c.stormAtMs !== null) {
      const storm = setTimeout(
        () => {
          for (const client of this.clients) client.storm();
        },
        Math.max(0, this.init.startAtMs + c.stormAtMs - now),
      );
      this.#timers.push(storm);
    }
  }

  #stalled(): number {
    const now = nowMs();
    let n = 0;
    // Slow clients pause their own sockets, so their silence says nothing about the server.
    for (const client of this.clients) if (client.spec.kind !== 'slow' && client.isStalled(now, STALL_MS)) n++;
    return n;
  }

  #lifeCounts(): LifeCounts {
    const l = this.life;
    return {
      attempts: l.attempts,
      opened: l.opened,
      failures: l.failures,
      open: l.open,
      ready: l.ready,
      churnReconnects: l.churnReconnects,
      unexpectedCloses: { ...l.unexpectedCloses },
      errors: [...l.errors],
      stalled: this.#stalled(),
      stormDropped: l.storm.dropped,
      stormReconnected: l.storm.reconnected,
    };
  }

  /** Ends an interval: encodes its histograms, folds them into the steady totals if `steady`, resets them. */
  sample(seq: number, steady: boolean): WorkerSample {
    this.sink.flush();
    this.slowSink.flush();
    const event = this.sink.eventLatency;
    const send = this.sink.sendLatency;
    const out: WorkerSample = {
      type: 'sample',
      worker: this.init.workerIndex,
      seq,
      counters: { ...this.sink.counters },
      slowCounters: { ...this.slowSink.counters },
      life: this.#lifeCounts(),
      eventHist: event.totalCount > 0 ? encodeHistogram(event) : '',
      sendHist: send.totalCount > 0 ? encodeHistogram(send) : '',
      threadCpuMs: threadCpuMs(),
    };
    if (steady) {
      this.#steadyEvent.add(event);
      this.#steadySend.add(send);
    }
    event.reset();
    send.reset();
    // Slow clients feed only the steady totals; before the steady window their samples are dropped.
    this.slowSink.recording = steady;
    return out;
  }

  /** Stops every client, politely first, and resolves with the final report once all closed or after graceMs. */
  async stop(graceMs: number): Promise<WorkerFinal> {
    for (const t of this.#timers) clearTimeout(t);
    this.slowSink.recording = false;
    this.slowSink.flush();
    for (const client of this.clients) client.stop(true);
    const deadline = performance.now() + graceMs;
    while (this.life.open > 0 && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    for (const client of this.clients) client.stop(false);
    // The last partial interval after the final sample is outside the steady window: not folded in.
    const final: WorkerFinal = {
      type: 'final',
      worker: this.init.workerIndex,
      counters: { ...this.sink.counters },
      slowCounters: { ...this.slowSink.counters },
      life: this.#lifeCounts(),
      eventHist: encodeHistogram(this.#steadyEvent),
      sendHist: encodeHistogram(this.#steadySend),
      slowEventHist: encodeHistogram(this.slowSink.eventLatency),
      slowSendHist: encodeHistogram(this.slowSink.sendLatency),
      connectHist: encodeHistogram(this.life.connectTime),
      firstDataHist: encodeHistogram(this.life.firstDataTime),
      stormHist: encodeHistogram(this.life.storm.reconnectTime),
      threadCpuMs: threadCpuMs(),
      clients: this.#clientCounts,
    };
    return final;
  }
}
