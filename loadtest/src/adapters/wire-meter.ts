// Real socket bytes for the transport lab: what crossed the client's TCP socket in each direction, so HTTP
// headers, chunked framing, WebSocket frame headers and base64 are all in the count (payload counters are
// not). Adapters attach every socket they use and flush at each delivery; deltas go into the counters.
import type { Socket } from 'node:net';
import type { Counters } from '../counters.js';

export class WireMeter {
  readonly #counters: () => Counters;
  #socket: Socket | null = null;
  #read = 0;
  #written = 0;

  /** `counters` is read at each flush: a reconnect may hand the adapter a new accounting. */
  constructor(counters: () => Counters) {
    this.#counters = counters;
  }

  /** Starts metering `socket` (a keep-alive socket attached again keeps its baseline). */
  attach(socket: Socket): void {
    if (socket === this.#socket) return;
    this.flush();
    this.#socket = socket;
    this.#read = 0;
    this.#written = 0;
  }

  /** Adds what moved since the last flush. Cheap: two property reads. */
  flush(): void {
    const s = this.#socket;
    if (s === null) return;
    const read = s.bytesRead;
    const written = s.bytesWritten;
    const c = this.#counters();
    c.wireBytesIn += read - this.#read;
    c.wireBytesOut += written - this.#written;
    this.#read = read;
    this.#written = written;
  }
}
