// Reads the few header facts a relay needs from Updates and Heartbeat frames without decoding them:
// a gateway checks seq continuity of every frame it relays, so these stay allocation-free. Like the
// codec's decoders they never throw on wire input: anything not well-formed reads as null.
import { HEADER_SIZE, HEARTBEAT_ENTRY_SIZE, TICK_RECORD_SIZE } from './codec.js';
import { FrameType, PROTOCOL_VERSION } from './messages.js';

export interface UpdatesPeek {
  epoch: number;
  count: number;
  firstSeq: number;
  lastSeq: number;
}

/**
 * Header facts of a one-symbol Updates frame whose seqs run without a break (what the feed publishes),
 * or null when it is not one: wrong version or type, no ticks, a length that does not match the count,
 * or seqs that are not contiguous.
 */
export function peekUpdates(data: Uint8Array): UpdatesPeek | null {
  if (data.length < HEADER_SIZE + 4 || data[0] !== PROTOCOL_VERSION || data[1] !== FrameType.Updates) return null;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const count = view.getUint32(HEADER_SIZE, true);
  if (count === 0 || data.length !== HEADER_SIZE + 4 + count * TICK_RECORD_SIZE) return null;
  const firstSeq = view.getUint32(HEADER_SIZE + 4 + 4, true);
  const lastSeq = view.getUint32(HEADER_SIZE + 4 + (count - 1) * TICK_RECORD_SIZE + 4, true);
  if (lastSeq !== firstSeq + count - 1) return null;
  return { epoch: view.getUint32(4, true), count, firstSeq, lastSeq };
}

/**
 * The tick records of an Updates frame that ends exactly at `seq` (a snapshot's recent ticks), or no
 * records when the frame is missing, malformed or ends elsewhere: a snapshot without history is still usable.
 */
export function recordsEndingAt(frame: Uint8Array | undefined, seq: number): Uint8Array {
  if (frame === undefined) return new Uint8Array(0);
  const info = peekUpdates(frame);
  if (info === null || info.lastSeq !== seq) return new Uint8Array(0);
  return frame.subarray(HEADER_SIZE + 4);
}

/**
 * The records of `records` (contiguous, ending at `lastSeq`) with seq > afterSeq, or null when they do
 * not reach back that far (or afterSeq lies beyond them).
 */
export function recordsAfter(records: Uint8Array, lastSeq: number, afterSeq: number): { bytes: Uint8Array; count: number } | null {
  const count = records.length / TICK_RECORD_SIZE;
  const firstSeq = lastSeq - count + 1;
  if (afterSeq < firstSeq - 1 || afterSeq > lastSeq) return null;
  const skip = afterSeq + 1 - firstSeq;
  return { bytes: records.subarray(skip * TICK_RECORD_SIZE), count: count - skip };
}

/** The epoch of a well-formed Heartbeat frame, or null when `data` is not one. */
export function heartbeatEpoch(data: Uint8Array): number | null {
  if (data.length < HEADER_SIZE + 4 || data[0] !== PROTOCOL_VERSION || data[1] !== FrameType.Heartbeat) return null;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (data.length !== HEADER_SIZE + 4 + view.getUint32(HEADER_SIZE, true) * HEARTBEAT_ENTRY_SIZE) return null;
  return view.getUint32(4, true);
}

/** Calls `visit` for every (symbolId, seq) entry of a Heartbeat frame; false (nothing visited) when it is not one. */
export function visitHeartbeat(data: Uint8Array, visit: (symbolId: number, seq: number) => void): boolean {
  if (heartbeatEpoch(data) === null) return false;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const count = view.getUint32(HEADER_SIZE, true);
  for (let i = 0, o = HEADER_SIZE + 4; i < count; i++, o += HEARTBEAT_ENTRY_SIZE) visit(view.getUint16(o, true), view.getUint32(o + 4, true));
  return true;
}
