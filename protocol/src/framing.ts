// Length-prefixed framing for transports without message boundaries (binary HTTP streaming, polling
// answers): each frame is preceded by its length as u32 LE. The incremental parser takes chunks of any
// size; a length over the cap is a protocol error (the stream is corrupt or hostile), reported once.
import { MAX_FRAME_BYTES } from './codec.js';

export const LENGTH_PREFIX_BYTES = 4;

export class FrameStreamParser {
  private buffer = new Uint8Array(0);
  error: string | null = null;

  constructor(
    private readonly onFrame: (frame: Uint8Array) => void,
    private readonly maxFrameBytes = MAX_FRAME_BYTES,
  ) {}

  /** Feeds a chunk; returns false once the stream is broken (then ignores further input). */
  feed(chunk: Uint8Array): boolean {
    if (this.error !== null) return false;
    let data = chunk;
    if (this.buffer.length > 0) {
      data = new Uint8Array(this.buffer.length + chunk.length);
      data.set(this.buffer);
      data.set(chunk, this.buffer.length);
    }
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    let offset = 0;
    while (data.length - offset >= LENGTH_PREFIX_BYTES) {
      const length = view.getUint32(offset, true);
      if (length > this.maxFrameBytes) {
        this.error = `frame length ${length} exceeds the ${this.maxFrameBytes}-byte limit`;
        return false;
      }
      if (data.length - offset - LENGTH_PREFIX_BYTES < length) break;
      // A copy, so a frame never pins or aliases the parser's buffer.
      this.onFrame(data.slice(offset + LENGTH_PREFIX_BYTES, offset + LENGTH_PREFIX_BYTES + length));
      offset += LENGTH_PREFIX_BYTES + length;
    }
    this.buffer = data.slice(offset);
    return true;
  }

  /** Bytes of an incomplete frame still waiting for the rest. */
  get pendingBytes(): number {
    return this.buffer.length;
  }
}

/** Splits a complete body (a polling answer) into frames; an error when it ends mid-frame. */
export function splitFrames(body: Uint8Array): { ok: true; value: Uint8Array[] } | { ok: false; error: string } {
  const frames: Uint8Array[] = [];
  const parser = new FrameStreamParser((f) => frames.push(f));
  if (!parser.feed(body)) return { ok: false, error: parser.error ?? 'broken stream' };
  if (parser.pendingBytes > 0) return { ok: false, error: `body ends inside a frame (${parser.pendingBytes} bytes left over)` };
  return { ok: true, value: frames };
}

/** Joins frames with length prefixes (the server's encoder for these transports). */
export function joinFrames(frames: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const f of frames) size += LENGTH_PREFIX_BYTES + f.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const f of frames) {
    view.setUint32(offset, f.length, true);
    out.set(f, offset + LENGTH_PREFIX_BYTES);
    offset += LENGTH_PREFIX_BYTES + f.length;
  }
  return out;
}
