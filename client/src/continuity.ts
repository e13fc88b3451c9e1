// The two continuity rules every Tickwire client follows, pure so they are written and tested once: what a
// reconnect offers to resume (a cursor of one epoch), and how often a symbol that lost ticks is asked for a
// fresh snapshot. MarketFeed (the dashboard, connect()) and the load tester's simulated clients both use
// them; each keeps its own state of what it holds, and only feeds these the facts.
import { formatCursor } from '@tickwire/protocol/cursor';

/** A symbol without a usable snapshot for this long gets a fresh one requested (rate-limited per symbol). */
export const RESYNC_AFTER_MS = 2_500;

/** One held symbol in a resume cursor: its wire id and the seq of the last record held. */
export type ResumeEntry = readonly [symbolId: number, seq: number];

/** What a reconnect offers: the epoch the entries are of, the entries, and the cursor text carrying both. */
export interface ResumeOffer {
  readonly epoch: number;
  readonly entries: readonly ResumeEntry[];
  readonly cursor: string;
}

/**
 * The resume offer for `entries` held in `epoch` (seqs of one feed epoch: a symbol held in another is stale
 * state, which the caller leaves out). Null when there is nothing to resume — no epoch or no symbol — and
 * the next connection subscribes plainly and gets snapshots.
 */
export function resumeOffer(epoch: number | null, entries: readonly ResumeEntry[]): ResumeOffer | null {
  if (epoch === null || entries.length === 0) return null;
  return { epoch, entries, cursor: formatCursor(epoch, entries) };
}

/**
 * Gap repair's rate limit, per symbol: one fresh-snapshot request in flight. Losses seen before its snapshot
 * lands are the same loss; a request still unanswered after `intervalMs` may be repeated (the answer may
 * have been lost with the frames it was to repair). A snapshot of the symbol ends the request, so a later
 * loss asks at once. Keys are whatever names a symbol to the caller (a ticker, a wire id); a new connection
 * starts with `clear()` (or a new guard).
 */
export class ResyncGuard<K> {
  readonly #askedAt = new Map<K, number>();

  constructor(readonly intervalMs: number = RESYNC_AFTER_MS) {}

  /** Whether a request for `key` may go out at `now` (ms); if so it is taken as sent. */
  ask(key: K, now: number): boolean {
    const last = this.#askedAt.get(key);
    if (last !== undefined && now - last < this.intervalMs) return false;
    this.#askedAt.set(key, now);
    return true;
  }

  /** A snapshot of `key` arrived: nothing is in flight for it any more. */
  answered(key: K): void {
    this.#askedAt.delete(key);
  }

  /** The symbol is no longer followed. */
  forget(key: K): void {
    this.#askedAt.delete(key);
  }

  /** Forget everything (a new session: requests of the old one will never be answered). */
  clear(): void {
    this.#askedAt.clear();
  }
}
