// A decoder of compact Updates frames (type 7) written for the tests from docs/protocol.md alone ("Updates,
// compact"), never from protocol/src/codec.ts or compact.ts, so the bytes a real server sends are judged
// against the document rather than against the encoder's own reader. Clarity over speed: BigInt varints.

export interface SpecTick {
  symbolId: number;
  flags: number;
  seq: number;
  eventTimeMs: number;
  price: number;
  size: number;
  bid: number;
  ask: number;
}

export interface SpecCompactFrame {
  epoch: number;
  sendTimeMs: number;
  ticks: SpecTick[];
}

class Cursor {
  at = 0;
  constructor(readonly bytes: Uint8Array) {}
  byte(): number {
    if (this.at >= this.bytes.length) throw new Error(`ran past the end at ${this.at}`);
    return this.bytes[this.at++]!;
  }
  /** "unsigned LEB128: 7 bits per byte, least significant group first, high bit set on every byte but the last; at most 8 bytes". */
  varint(): bigint {
    let value = 0n;
    for (let i = 0; i < 8; i++) {
      const b = this.byte();
      value |= BigInt(b & 0x7f) << BigInt(7 * i);
      if ((b & 0x80) === 0) return value;
    }
    throw new Error('varint longer than 8 bytes');
  }
  /** "zigzag-mapped signed value (0, −1, 1, −2, … → 0, 1, 2, 3, …)". */
  zz(): bigint {
    const z = this.varint();
    return z % 2n === 0n ? z / 2n : -(z + 1n) / 2n;
  }
}

/** Decodes one compact frame; throws (this is a test oracle, not a wire decoder) on anything off-spec. */
export function specDecodeCompact(bytes: Uint8Array): SpecCompactFrame {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 14) throw new Error('shorter than the 14-byte header');
  if (bytes[0] !== 1 || bytes[1] !== 7) throw new Error(`version ${bytes[0]} type ${bytes[1]} is not a v1 compact Updates frame`);
  const epoch = view.getUint32(2, true);
  const sendTimeMs = view.getFloat64(6, true);
  const c = new Cursor(bytes);
  c.at = 14;
  const count = Number(c.varint());
  const ticks: SpecTick[] = [];
  let prev: SpecTick | null = null;
  let prevUs = 0n;
  for (let i = 0; i < count; i++) {
    const head = c.byte();
    if (head & 0xc0) throw new Error('reserved head bits 6-7 set');
    const symbolFollows = (head & 0x04) !== 0;
    const seqJump = (head & 0x08) !== 0;
    if (i === 0 && !symbolFollows) throw new Error('the first record must carry bit 2');
    if (symbolFollows && seqJump) throw new Error('bits 2 and 3 together');
    let flags = head & 0x01;
    if (head & 0x02) flags |= Number(c.varint()) << 1;
    let symbolId: number;
    let seq: number;
    if (symbolFollows) {
      symbolId = Number(c.varint());
      seq = Number(c.varint());
    } else {
      symbolId = prev!.symbolId;
      seq = seqJump ? Number((BigInt(prev!.seq) + 1n + c.varint()) % 2n ** 32n) : (prev!.seq + 1) % 2 ** 32;
    }
    let time = c.varint();
    if (head & 0x20) time = -time;
    // First record: µs before the send time; later ones: µs later than the previous record.
    const us = i === 0 ? time : prevUs - time;
    const price = symbolFollows ? Number(c.varint()) : prev!.price + Number(c.zz());
    const size = Number(c.varint());
    let bid: number;
    let ask: number;
    if (head & 0x10) {
      const q = c.byte();
      const nibble = (n: number) => (n % 2 === 0 ? n / 2 : -(n + 1) / 2);
      bid = price + nibble(q & 0x0f);
      ask = price + nibble(q >> 4);
    } else {
      bid = price + Number(c.zz());
      ask = price + Number(c.zz());
    }
    const tick: SpecTick = { symbolId, flags, seq, eventTimeMs: sendTimeMs - Number(us) / 1000, price, size, bid, ask };
    ticks.push(tick);
    prev = tick;
    prevUs = us;
  }
  if (c.at !== bytes.length) throw new Error(`${bytes.length - c.at} trailing bytes`);
  return { epoch, sendTimeMs, ticks };
}
