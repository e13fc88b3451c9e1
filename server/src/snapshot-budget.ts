// Per-connection budget of catch-up bytes (snapshots and replayed ticks sent in reply to a subscribe):
// a 400-byte request can ask for megabytes, so a client that keeps re-subscribing is refused with
// RateLimited long before its replies pile up in the server. A token bucket of bytes; polls, which have
// no connection, share one bucket per client address.

/** One subscribe of 50 symbols with full candle rings at the default --candles 1000 (~5.6 MB) fits at once. */
export const SNAPSHOT_BURST_BYTES = 8 * 1024 * 1024;
/** Sustained: a gap repair of a few symbols a second, far below what re-subscribing in a loop asks. */
export const SNAPSHOT_BYTES_PER_SECOND = 512 * 1024;
/** Client addresses whose poll budgets are remembered; the oldest is forgotten past this. */
export const MAX_POLL_BUDGETS = 10_000;

export interface SnapshotBudgetLimits {
  burstBytes: number;
  bytesPerSecond: number;
}

export const DEFAULT_SNAPSHOT_BUDGET: SnapshotBudgetLimits = { burstBytes: SNAPSHOT_BURST_BYTES, bytesPerSecond: SNAPSHOT_BYTES_PER_SECOND };

export class ByteBudget {
  private tokens: number;
  private last: number;

  constructor(
    private readonly limits: SnapshotBudgetLimits,
    now: number,
  ) {
    this.tokens = limits.burstBytes;
    this.last = now;
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.limits.burstBytes, this.tokens + (Math.max(0, now - this.last) / 1000) * this.limits.bytesPerSecond);
    this.last = now;
  }

  /**
   * Takes `bytes` when the bucket holds them, or when it is full (so a single reply larger than the burst
   * still passes once, as debt). False: refused, nothing taken.
   */
  take(bytes: number, now: number): boolean {
    this.refill(now);
    if (this.tokens < bytes && this.tokens < this.limits.burstBytes) return false;
    this.tokens -= bytes;
    return true;
  }

  /** Charges bytes already committed to (a deferred snapshot): the bucket may go into debt. */
  charge(bytes: number, now: number): void {
    this.refill(now);
    this.tokens -= bytes;
  }

  /** Milliseconds until `bytes` would be accepted (for the error message). */
  waitMs(bytes: number, now: number): number {
    this.refill(now);
    const need = Math.min(bytes, this.limits.burstBytes) - this.tokens;
    return need <= 0 ? 0 : Math.ceil((need / this.limits.bytesPerSecond) * 1000);
  }
}

/** Poll budgets by client address, bounded: Map keeps insertion order, so the first key is the oldest. */
export class AddressBudgets {
  private readonly byIp = new Map<string, ByteBudget>();

  constructor(
    private readonly limits: SnapshotBudgetLimits,
    private readonly max = MAX_POLL_BUDGETS,
  ) {}

  of(ip: string, now: number): ByteBudget {
    let b = this.byIp.get(ip);
    if (b === undefined) {
      if (this.byIp.size >= this.max) this.byIp.delete(this.byIp.keys().next().value!);
      this.byIp.set(ip, (b = new ByteBudget(this.limits, now)));
    }
    return b;
  }
}
