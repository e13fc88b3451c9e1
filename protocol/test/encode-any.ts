// Test helper: encodes any decoded Frame back to bytes with the matching encoder (round-trip tests).
import { encodeAck, encodeCompactUpdates, encodeError, encodeHeartbeat, encodeHello, encodeSnapshot, encodeUpdates } from '../src/codec.js';
import { FrameType, type Frame } from '../src/messages.js';

export function encodeFrame(f: Frame): Uint8Array {
  switch (f.type) {
    case FrameType.Hello:
      return encodeHello(f.epoch, f.sendTimeMs, f);
    case FrameType.Snapshot:
      return encodeSnapshot(f.epoch, f.sendTimeMs, f);
    case FrameType.Updates:
      return encodeUpdates(f.epoch, f.sendTimeMs, f.ticks);
    case FrameType.UpdatesCompact:
      return encodeCompactUpdates(f.epoch, f.sendTimeMs, f.ticks);
    case FrameType.Heartbeat:
      return encodeHeartbeat(f.epoch, f.sendTimeMs, f.symbols);
    case FrameType.Ack:
      return encodeAck(f.epoch, f.sendTimeMs, f.requestId, f.op, f.symbolIds);
    case FrameType.Error:
      return encodeError(f.epoch, f.sendTimeMs, f.code, f.requestId, f.message);
  }
}
