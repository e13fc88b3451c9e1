// A minimal RFC 6455 WebSocket client for the load generator: the HTTP upgrade, an incremental frame
// parser working on socket chunks in place (payloads are views, valid only during the callback), masked
// client frames, ping → pong and the closing handshake. Nothing else (no extensions, no subprotocols).
// It exists for cost: at hundreds of thousands of frames per second the generator's per-message
// overhead decides how much server load two cores can produce and still measure.
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const MAX_HANDSHAKE_BYTES = 16 * 1024;
/** Refuse absurd frames instead of buffering them (the servers under test send far smaller). */
const MAX_FRAME_BYTES = 64 * 1024 * 1024;
const CLOSE_TIMEOUT_MS = 2_000;
/**
 * One receive buffer for every socket of this thread (net's `onread`): the kernel writes into it and the
 * parser consumes it synchronously, so no Buffer is allocated per read and no stream machinery runs.
 * Incomplete frames are copied out before the next read can overwrite it.
 */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

export interface RawWsHandlers {
  open(): void;
  /** `data` is a view into the socket's buffer: read it synchronously, copy what you keep. */
  message(data: Buffer, isBinary: boolean): void;
  close(code: number, reason: string): void;
  error(error: Error): void;
}

export interface RawWsOptions {
  localAddress?: string | undefined;
  handshakeTimeoutMs?: number;
}

const enum State {
  Connecting,
  Open,
  Closing,
  Closed,
}

export class RawWebSocket {
  readonly #socket: net.Socket;
  readonly #handlers: RawWsHandlers;
  readonly #key: string;
  #state = State.Connecting;
  #handshake: Buffer | null = Buffer.alloc(0);
  /** Bytes of an incomplete frame carried over to the next chunk. */
  #pending: Buffer | null = null;
  /** Fragments of a message split over several frames (uWS never does this, but the RFC allows it). */
  #fragments: Buffer[] | null = null;
  #fragmentBinary = false;
  #closeCode = 1006;
  #closeReason = '';
  #closeTimer: NodeJS.Timeout | null = null;

  constructor(url: string, handlers: RawWsHandlers, options: RawWsOptions = {}) {
    const u = new URL(url);
    if (u.protocol !== 'ws:') throw new Error(`RawWebSocket speaks ws:// only, got ${u.protocol}`);
    this.#handlers = handlers;
    this.#key = randomBytes(16).toString('base64');
    const host = u.hostname.replace(/^\[|\]$/g, '');
    const port = Number(u.port || 80);
    this.#socket = net.connect({
      host,
      port,
      localAddress: options.localAddress,
      noDelay: true,
      onread: {
        buffer: READ_BUFFER,
        callback: (nread: number, buf: Uint8Array): boolean => {
          this.#onData(Buffer.from(buf.buffer, buf.byteOffset, nread));
          return true;
        },
      },
    });
    this.#socket.setTimeout(options.handshakeTimeoutMs ?? 10_000);
    this.#socket.once('timeout', () => this.#fail(new Error('WebSocket handshake timed out')));
    this.#socket.once('connect', () => {
      this.#socket.write(
        `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${this.#key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    this.#socket.on('error', (error) => this.#handlers.error(error));
    this.#socket.once('close', () => this.#onSocketClose());
  }

  get isOpen(): boolean {
    return this.#state === State.Open;
  }

  /** The TCP socket, for the transport lab's byte metering (bytesRead / bytesWritten). */
  get socket(): net.Socket {
    return this.#socket;
  }

  sendText(text: string): void {
    if (this.#state === State.Open) this.#sendFrame(0x1, Buffer.from(text));
  }

  /** Starts the closing handshake; the socket is destroyed if the server does not finish it in time. */
  close(code = 1000, reason = ''): void {
    if (this.#state !== State.Open) {
      this.terminate();
      return;
    }
    this.#state = State.Closing;
    const r = Buffer.from(reason.slice(0, 120));
    const payload = Buffer.alloc(2 + r.length);
    payload.writeUInt16BE(code, 0);
    r.copy(payload, 2);
    this.#sendFrame(0x8, payload);
    this.#closeTimer = setTimeout(() => this.#socket.destroy(), CLOSE_TIMEOUT_MS);
    this.#closeTimer.unref();
  }

  terminate(): void {
    this.#socket.destroy();
  }

  pause(): void {
    this.#socket.pause();
  }

  resume(): void {
    this.#socket.resume();
  }

  #sendFrame(opcode: number, payload: Buffer): void {
    const len = payload.length;
    const headerLength = len < 126 ? 6 : len < 65_536 ? 8 : 14;
    const frame = Buffer.allocUnsafe(headerLength + len);
    frame[0] = 0x80 | opcode;
    if (len < 126) {
      frame[1] = 0x80 | len;
    } else if (len < 65_536) {
      frame[1] = 0x80 | 126;
      frame.writeUInt16BE(len, 2);
    } else {
      frame[1] = 0x80 | 127;
      frame.writeUInt32BE(Math.floor(len / 2 ** 32), 2);
      frame.writeUInt32BE(len >>> 0, 6);
    }
    const maskAt = headerLength - 4;
    randomBytes(4).copy(frame, maskAt);
    for (let i = 0; i < len; i++) frame[headerLength + i] = payload[i]! ^ frame[maskAt + (i & 3)]!;
    this.#socket.write(frame);
  }

  #fail(error: Error): void {
    this.#handlers.error(error);
    this.#socket.destroy();
  }

  #onSocketClose(): void {
    if (this.#closeTimer !== null) clearTimeout(this.#closeTimer);
    const wasOpen = this.#state !== State.Connecting;
    this.#state = State.Closed;
    this.#handlers.close(wasOpen ? this.#closeCode : 0, this.#closeReason);
  }

  #onData(chunk: Buffer): void {
    if (this.#state === State.Connecting) {
      const head = Buffer.concat([this.#handshake!, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) {
        if (head.length > MAX_HANDSHAKE_BYTES) this.#fail(new Error('WebSocket handshake response too large'));
        else this.#handshake = head;
        return;
      }
      const text = head.subarray(0, end).toString('latin1');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1];
      if (status !== '101') {
        this.#fail(new Error(`WebSocket upgrade refused: HTTP ${status ?? '?'}`));
        return;
      }
      const accept = /\r\nsec-websocket-accept:\s*([^\r\n]+)/i.exec(text)?.[1]?.trim();
      const expected = createHash('sha1')
        .update(this.#key + GUID)
        .digest('base64');
      if (accept !== expected) {
        this.#fail(new Error('WebSocket upgrade: bad Sec-WebSocket-Accept'));
        return;
      }
      this.#handshake = null;
      this.#socket.setTimeout(0);
      this.#state = State.Open;
      this.#handlers.open();
      const rest = head.subarray(end + 4);
      if (rest.length > 0 && this.#state === State.Open) this.#parse(rest);
      return;
    }
    if (this.#state === State.Closed) return;
    // `chunk` lives in READ_BUFFER: #parse copies whatever it must keep.
    this.#parse(this.#pending === null ? chunk : Buffer.concat([this.#pending, chunk]));
  }

  /** Consumes every complete frame in `buf`; keeps the incomplete tail for the next chunk. */
  #parse(buf: Buffer): void {
    let off = 0;
    const n = buf.length;
    while (n - off >= 2) {
      const b0 = buf[off]!;
      const b1 = buf[off + 1]!;
      if ((b1 & 0x80) !== 0) {
        this.#protocolError('server frames must not be masked');
        return;
      }
      let len = b1 & 0x7f;
      let header = 2;
      if (len === 126) {
        if (n - off < 4) break;
        len = buf.readUInt16BE(off + 2);
        header = 4;
      } else if (len === 127) {
        if (n - off < 10) break;
        len = buf.readUInt32BE(off + 2) * 2 ** 32 + buf.readUInt32BE(off + 6);
        header = 10;
      }
      if (len > MAX_FRAME_BYTES) {
        this.#protocolError(`frame of ${len} bytes exceeds ${MAX_FRAME_BYTES}`);
        return;
      }
      if (n - off < header + len) break;
      const payload = buf.subarray(off + header, off + header + len);
      off += header + len;
      this.#frame(b0 & 0x80, b0 & 0x0f, payload);
      if (this.#state === State.Closed) return;
    }
    // Copy the tail so the (possibly large) chunk it came from is not retained.
    this.#pending = off === n ? null : Buffer.from(buf.subarray(off));
  }

  #frame(fin: number, opcode: number, payload: Buffer): void {
    switch (opcode) {
      case 0x1:
      case 0x2:
        if (fin !== 0) this.#handlers.message(payload, opcode === 0x2);
        else {
          this.#fragments = [Buffer.from(payload)];
          this.#fragmentBinary = opcode === 0x2;
        }
        return;
      case 0x0:
        if (this.#fragments === null) {
          this.#protocolError('continuation frame without a message');
          return;
        }
        this.#fragments.push(Buffer.from(payload));
        if (fin !== 0) {
          const whole = Buffer.concat(this.#fragments);
          this.#fragments = null;
          this.#handlers.message(whole, this.#fragmentBinary);
        }
        return;
      case 0x8: {
        this.#closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
        this.#closeReason = payload.length > 2 ? payload.subarray(2).toString('utf8') : '';
        if (this.#state === State.Open) {
          this.#state = State.Closing;
          const echo = Buffer.alloc(2);
          echo.writeUInt16BE(this.#closeCode === 1005 ? 1000 : this.#closeCode, 0);
          this.#sendFrame(0x8, echo);
        }
        this.#socket.end();
        return;
      }
      case 0x9:
        if (this.#state === State.Open) this.#sendFrame(0xa, Buffer.from(payload));
        return;
      case 0xa:
        return;
      default:
        this.#protocolError(`unknown opcode ${opcode}`);
    }
  }

  #protocolError(message: string): void {
    this.#closeCode = 1002;
    this.#closeReason = message;
    this.#fail(new Error(`WebSocket protocol error: ${message}`));
  }
}
