// Per-symbol sequence rules: which ticks to apply, which are duplicates, when a gap or a feed epoch
// change voids local state. Pure, so the rules are unit-tested; the store acts on the verdicts.
import { TickFlag } from '@tickwire/protocol/messages';

export interface SeqState {
  /** A snapshot has been applied on the current connection and nothing has voided it since. */
  ready: boolean;
  epoch: number;
  /** Seq of the last tick folded into local state. */
  seq: number;
}

export type TickVerdict =
  | 'apply'
  /** seq ≤ known seq: already folded (replays after a resubscribe, duplicated delivery). */
  | 'duplicate'
  /** seq jumped without the conflated flag: ticks were lost, ask for a fresh snapshot. */
  | 'gap'
  /**
   * A conflated record (tick flag bit 0): the server skipped ticks on purpose while this client was
   * behind; its seq may jump, and it carries the latest trade and quote. Not a gap.
   */
  | 'conflated'
  /** The feed restarted: local seq means nothing any more, wait for snapshots. */
  | 'epoch'
  /** Waiting for a snapshot: ticks until then are covered by it. */
  | 'not-ready';

export function classifyTick(state: SeqState, epoch: number, seq: number, flags: number): TickVerdict {
  if (!state.ready) return 'not-ready';
  if (epoch !== state.epoch) return 'epoch';
  if (seq <= state.seq) return 'duplicate';
  if ((flags & TickFlag.Conflated) !== 0) return 'conflated';
  if (seq !== state.seq + 1) return 'gap';
  return 'apply';
}

export type HeartbeatVerdict = 'ok' | 'lost' | 'epoch' | 'not-ready';

/**
 * Checks a heartbeat's latest seq for a symbol. Heartbeats follow the frames they describe on the
 * connection (docs/protocol.md), so a seq above ours means frames were lost — even when nothing else
 * arrives — and the gap is known within one heartbeat.
 */
export function checkHeartbeat(state: SeqState, epoch: number, announcedSeq: number): HeartbeatVerdict {
  if (!state.ready) return 'not-ready';
  if (epoch !== state.epoch) return 'epoch';
  return announcedSeq > state.seq ? 'lost' : 'ok';
}

/** Voids sequence state; the next snapshot re-seeds it. */
export function invalidate(state: SeqState): void {
  state.ready = false;
}

/** Seeds sequence state from a snapshot (its seq is the last tick folded into it). */
export function seed(state: SeqState, epoch: number, seq: number): void {
  state.ready = true;
  state.epoch = epoch;
  state.seq = seq;
}
