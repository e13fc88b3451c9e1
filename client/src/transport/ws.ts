// WebSocket transport: binary frames in, JSON text controls out. The initial subscription is sent the
// moment the socket opens so the server can start with snapshots without waiting for a round trip.
import { Route, webSocketUrl } from '@tickwire/protocol/routes';
import { controlText } from '@tickwire/protocol/control';
import type { Transport, TransportHandlers, TransportOptions } from './types.js';

export function wsUrl(baseUrl: string, token?: string): string {
  const url = webSocketUrl(baseUrl, Route.ws);
  if (token) url.searchParams.set('token', token);
  return url.toString();
}

export class WsTransport implements Transport {
  readonly kind = 'ws' as const;
  private readonly socket: WebSocket;
  private readonly pending: string[] = [];
  private opened = false;
  private done = false;

  constructor(
    options: TransportOptions,
    private readonly handlers: TransportHandlers,
  ) {
    this.socket = new WebSocket(wsUrl(options.baseUrl, options.token));
    this.socket.binaryType = 'arraybuffer';
    this.socket.onopen = () => {
      if (this.done) return;
      this.opened = true;
      if (options.symbols.length > 0) {
        const extra = { id: options.requestId, history: options.history, ...(options.resume ? { resume: options.resume } : {}) };
        this.socket.send(controlText('subscribe', options.symbols, extra));
      }
      for (const text of this.pending.splice(0)) this.socket.send(text);
      handlers.open();
    };
    this.socket.onmessage = (event: MessageEvent) => {
      if (this.done) return;
      // Text messages are not part of the protocol; binary ones are whole frames.
      if (event.data instanceof ArrayBuffer) handlers.frame(new Uint8Array(event.data));
    };
    // `error` is always followed by `close`, which carries the code: report once, from there.
    this.socket.onclose = (event: CloseEvent) => this.finish(event.code, event.reason || 'socket closed');
  }

  control(text: string): void {
    if (this.done) return;
    if (this.opened && this.socket.readyState === WebSocket.OPEN) this.socket.send(text);
    else this.pending.push(text);
  }

  close(): void {
    if (this.done) return;
    this.done = true;
    this.socket.onopen = this.socket.onmessage = this.socket.onclose = null;
    try {
      this.socket.close(1000, 'client closing');
    } catch {
      // Closing a socket that is still CONNECTING may throw in old engines; it is abandoned either way.
    }
  }

  private finish(code: number, reason: string): void {
    if (this.done) return;
    this.done = true;
    // The cursor travels in the subscribe after open: a WebSocket that never opened was never about it.
    this.handlers.closed({ opened: this.opened, reached: this.opened, code: this.opened ? code : null, reason });
  }
}
