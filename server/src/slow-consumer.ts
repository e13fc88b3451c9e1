// Slow-consumer policy, the same for every long-lived transport. While a client keeps up it gets every
// tick. When its unsent backlog passes the soft limit, delivery of full ticks stops (the backlog can only
// shrink); once it drains below half the soft limit, the client gets one Updates frame of *conflated*
// records — the latest state of each symbol that moved, flagged Conflated with the seq it jumps to — and
// full ticks resume from the next batch. A client over the hard limit, or conflating for longer than the
// lag limit, is closed with 4000 (SlowConsumer) and resumes on reconnect.
import { encodeUpdates, emptyTick } from '@tickwire/protocol/codec';
import { CloseCode } from '@tickwire/protocol/codes';
import { TickFlag, type Tick } from '@tickwire/protocol/messages';
import type { EpochMs, PriceTicks, SizeLots } from '@tickwire/protocol/units';
import type { Fanout } from '@tickwire/core/fanout';
import type { Metrics } from './metrics.js';
import type { Session } from './sessions.js';

export interface SlowConsumerLimits {
  softBytes: number;
  hardBytes: number;
  maxLagMs: number;
}

/**
 * The backlog past which a client is closed: the hard limit plus the catch-up replies it was granted and
 * has not drained yet. A reply of megabytes to one legitimate subscribe is not a slow consumer; a client
 * that stops reading still is (it gets no further catch-up while its backlog is above the soft limit:
 * subscriptions.ts), so what it can hold stays within the hard limit plus one reply.
 */
export function backlogLimit(s: Session, hardBytes: number): number {
  return hardBytes + s.catchUpBytes;
}

/** How often backlogs are sampled: often enough that a burst cannot run far past the soft limit unseen. */
export const SLOW_CHECK_MS = 100;

export class SlowConsumerPolicy {
  constructor(
    readonly limits: SlowConsumerLimits,
    private readonly fanout: Fanout,
    private readonly metrics: Metrics,
    private readonly now: () => number,
  ) {}

  check(sessions: Iterable<Session>): void {
    const now = this.now();
    for (const s of sessions) {
      if (s.lag !== null) s.probe?.();
      const buffered = s.bufferedBytes();
      if (buffered <= this.limits.hardBytes) s.catchUpBytes = 0;
      if (buffered > backlogLimit(s, this.limits.hardBytes)) {
        s.close(CloseCode.SlowConsumer, `send backlog passed ${this.limits.hardBytes} bytes`);
      } else if (s.lag === null) {
        if (buffered > this.limits.softBytes) this.pause(s, now);
      } else if (now - s.lag.since > this.limits.maxLagMs) {
        s.close(CloseCode.SlowConsumer, `behind for more than ${this.limits.maxLagMs} ms`);
      } else if (buffered < this.limits.softBytes / 2) {
        this.catchUp(s, now);
      }
    }
  }

  private pause(s: Session, now: number): void {
    const seqs = new Map<number, number>();
    for (const id of s.symbols) {
      seqs.set(id, this.fanout.states[id]!.seq);
      s.detach(id);
    }
    s.lag = { since: now, seqs };
    this.metrics.conflations.inc({ transport: s.transport });
  }

  /** Sends the conflated records and resumes delivery; runs between batches, so nothing is in flight. */
  private catchUp(s: Session, now: number): void {
    const lag = s.lag!;
    s.lag = null;
    const ticks: Tick[] = [];
    for (const id of s.symbols) {
      const state = this.fanout.states[id]!;
      const seen = lag.seqs.get(id);
      if (seen !== undefined && state.seq > seen) {
        ticks.push({
          ...emptyTick(),
          symbolId: id,
          flags: TickFlag.Conflated,
          seq: state.seq,
          eventTimeMs: state.lastTimeMs as EpochMs,
          price: state.last as PriceTicks,
          size: state.lastSize as SizeLots,
          bid: state.bid as PriceTicks,
          ask: state.ask as PriceTicks,
        });
      }
    }
    if (ticks.length > 0) s.send(encodeUpdates(this.fanout.epoch, now, ticks));
    for (const id of s.symbols) s.attach(id);
  }
}
