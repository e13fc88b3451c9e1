// The JSON messages of the comparison peers (bench/src/peers): one object per tick, as tutorial servers
// send them, carrying the fields the accounting needs (symbol, seq, event and send times). Shared by the
// peer servers and the load tester's peer adapters so both sides agree on the shape.
import type { StreamAccounting } from '../accounting.js';

export interface PeerTick {
  symbol: string;
  seq: number;
  eventTimeMs: number;
  sendTimeMs: number;
  price: number;
  size: number;
  bid: number;
  ask: number;
}

/** Sent once per symbol on subscribe: the seq of the latest tick, so the next tick is seq + 1. */
export interface PeerSnapshot {
  symbol: string;
  seq: number;
  sendTimeMs: number;
  last: number;
  bid: number;
  ask: number;
}

/** The ws-json peer wraps both in one envelope: {"type":"tick",…} or {"type":"snapshot",…}. */
export type WsJsonMessage = ({ type: 'tick' } & PeerTick) | ({ type: 'snapshot' } & PeerSnapshot);

/** Peers have no feed epoch; 0 means "none" on both sides. */
export const PEER_EPOCH = 0;

/** Feeds one decoded peer message into the accounting; false when it is not a tick or snapshot we know. */
export function accountPeerMessage(stream: StreamAccounting, ids: ReadonlyMap<string, number>, type: string, body: unknown, recvMs: number): boolean {
  if (typeof body !== 'object' || body === null) return false;
  const m = body as Partial<PeerTick>;
  const id = typeof m.symbol === 'string' ? ids.get(m.symbol) : undefined;
  if (id === undefined || typeof m.seq !== 'number') return false;
  if (type === 'tick') {
    if (typeof m.eventTimeMs !== 'number' || typeof m.sendTimeMs !== 'number') return false;
    stream.tick(id, m.seq, 0, PEER_EPOCH, m.eventTimeMs, recvMs);
    stream.frameLatency(m.sendTimeMs, recvMs, 1);
    return true;
  }
  if (type === 'snapshot') {
    stream.snapshot(id, m.seq, PEER_EPOCH, recvMs);
    return true;
  }
  return false;
}
