// Byte assembly of the HTTP streams (http-stream.ts), built for fan-out: a frame's SSE `data:` line is
// encoded once per batch and shared by every subscriber, and each client's batch becomes ONE write
// (one HTTP chunk) assembled in a scratch buffer reused for every client, instead of a string per client
// that uWS would re-encode to UTF-8. uWS copies what write() is given before it returns, so the scratch
// can be overwritten by the next client at once.
import { LENGTH_PREFIX_BYTES } from '@tickwire/protocol/framing';

/** `data: <base64 of the frame>\n`: one line of an SSE event (docs/protocol.md, Server-Sent Events mapping). */
export function sseDataLine(frame: Uint8Array): Buffer {
  const base64 = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength).toString('base64');
  const line = Buffer.allocUnsafe(6 + base64.length + 1);
  line.write('data: ', 0, 'latin1');
  line.write(base64, 6, 'latin1');
  line[line.length - 1] = 0x0a;
  return line;
}

export class StreamWriter {
  private scratch = Buffer.allocUnsafe(64 * 1024);

  /**
   * One SSE event: `id: <id>\n`, the data lines as they are, and the blank line ending it. The result
   * is a view of the scratch buffer, valid until the next call.
   */
  sseEvent(id: string, dataLines: ReadonlyArray<Uint8Array>): Buffer {
    let size = 4 + id.length + 1 + 1;
    for (const line of dataLines) size += line.length;
    const out = this.reserve(size);
    let offset = out.write('id: ', 0, 'latin1');
    offset += out.write(id, offset, 'latin1');
    out[offset++] = 0x0a;
    for (const line of dataLines) {
      out.set(line, offset);
      offset += line.length;
    }
    out[offset++] = 0x0a;
    return out.subarray(0, offset);
  }

  /** Frames, each behind its u32 LE length (the binary stream's records); a view valid until the next call. */
  records(frames: ReadonlyArray<Uint8Array>): Buffer {
    let size = 0;
    for (const f of frames) size += LENGTH_PREFIX_BYTES + f.length;
    const out = this.reserve(size);
    let offset = 0;
    for (const f of frames) {
      out.writeUInt32LE(f.length, offset);
      out.set(f, offset + LENGTH_PREFIX_BYTES);
      offset += LENGTH_PREFIX_BYTES + f.length;
    }
    return out.subarray(0, offset);
  }

  private reserve(size: number): Buffer {
    if (size > this.scratch.length) this.scratch = Buffer.allocUnsafe(2 ** Math.ceil(Math.log2(size)));
    return this.scratch;
  }
}
