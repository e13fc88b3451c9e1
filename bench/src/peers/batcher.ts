// Tickwire's design without Tickwire's stack, for the same-design peers: ticks gathered per symbol for one
// window (20 ms, as the Tickwire server runs in the bench), then one binary Updates frame per symbol built
// with Tickwire's own protocol encoder — once per symbol per window, whatever the number of subscribers.
import { TICK_RECORD_SIZE, encodeUpdatesFromRecords, writeTickRecord } from '@tickwire/protocol/codec';
import type { Tick } from '@tickwire/protocol/messages';
import { systemClock } from '@tickwire/feeds/clock';
import { PEER_EPOCH } from '@tickwire/loadtest/adapters/peer-json';

/** Gathers ticks per symbol id; every `batchMs` hands each symbol with ticks its one encoded frame. */
export class SymbolBatcher {
  readonly #records: Uint8Array[];
  readonly #views: DataView[];
  readonly #counts: Uint32Array;
  readonly #dirty: number[] = [];
  readonly #timer: NodeJS.Timeout;

  constructor(symbols: number, batchMs: number, flush: (symbolId: number, frame: Uint8Array) => void) {
    this.#records = Array.from({ length: symbols }, () => new Uint8Array(16 * TICK_RECORD_SIZE));
    this.#views = this.#records.map((r) => new DataView(r.buffer));
    this.#counts = new Uint32Array(symbols);
    this.#timer = setInterval(() => {
      const sendTimeMs = systemClock.now();
      for (const id of this.#dirty) {
        flush(id, encodeUpdatesFromRecords(PEER_EPOCH, sendTimeMs, this.#records[id]!, this.#counts[id]!));
        this.#counts[id] = 0;
      }
      this.#dirty.length = 0;
    }, batchMs);
  }

  /** Queues one tick (copied into the symbol's record buffer, which doubles when full). */
  add(tick: Tick): void {
    const id = tick.symbolId;
    const n = this.#counts[id]!;
    if (n === 0) this.#dirty.push(id);
    if ((n + 1) * TICK_RECORD_SIZE > this.#records[id]!.length) {
      const grown = new Uint8Array(this.#records[id]!.length * 2);
      grown.set(this.#records[id]!);
      this.#records[id] = grown;
      this.#views[id] = new DataView(grown.buffer);
    }
    writeTickRecord(this.#views[id]!, n * TICK_RECORD_SIZE, tick);
    this.#counts[id] = n + 1;
  }

  /**
   * Ticks of the symbol queued and not yet sent: a snapshot taken now must name the seq subscribers will
   * continue from, i.e. the feed's last seq minus these (a symbol's seqs are consecutive).
   */
  pending(symbolId: number): number {
    return this.#counts[symbolId] ?? 0;
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
