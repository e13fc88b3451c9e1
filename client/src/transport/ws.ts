// WebSocket transport: binary frames in, JSON text controls out. The initial subscription is sent the
// moment the socket opens so the server can start with snapshots without waiting for a round trip.
// The socket class is injectable (TransportDeps.WebSocket): Node 20 has none, users pass `ws`'s.
import { Route, webSocketUrl } from '@tickwire/protocol/routes';
import { controlText } from '@tickwire/protocol/control';
import { ReadyState, type Transport, type TransportDeps, type TransportHandlers, type TransportOptions, type WebSocketLike } from './types.js';

export function wsUrl(baseUrl: string, token?: string): string {
  const url = webSocketUrl(baseUrl, Route.ws);
  if (token) url.searchParams.set('token', token);
  return url.toString();
}

/** The WebSocket class to use: the injected one, else the platform's; a clear error when there is none. */
export function webSocketClass(deps: TransportDeps): NonNullable<TransportDeps['WebSocket']> {
  const found = deps.WebSocket ?? (globalThis as { WebSocket?: TransportDeps['WebSocket'] }).WebSocket;
  if (found === undefined) throw new Error('no WebSocket in this runtime: pass one (e.g. `import WebSocket from "ws"`, option WebSocket)');
  return found;
}

export class WsTransport implements Transport {
  readonly kind = 'ws' as const;
  private readonly socket: WebSocketLike;
  private readonly pending: string[] = [];
  private opened = false;
  private done = false;

  constructor(
    options: TransportOptions,
    private readonly handlers: TransportHandlers,
    deps: TransportDeps = {},
  ) {
    const Socket = webSocketClass(deps);
    this.socket = new Socket(wsUrl(options.baseUrl, options.token));
    this.socket.binaryType = 'arraybuffer';
    this.socket.onopen = () => {
      if (this.done) return;
      this.opened = true;
      if (options.symbols.length > 0) {
        const extra = {
          id: options.requestId,
          history: options.history,
          ...(options.resume ? { resume: options.resume } : {}),
          ...(options.compact === true ? { compact: true } : {}),
        };
        this.socket.send(controlText('subscribe', options.symbols, extra));
      }
      for (const text of this.pending.splice(0)) this.socket.send(text);
      handlers.open();
    };
    this.socket.onmessage = (event: { data: unknown }) => {
      if (this.done) return;
      // Text messages are not part of the protocol; binary ones are whole frames.
      if (event.data instanceof ArrayBuffer) handlers.frame(new Uint8Array(event.data));
    };
    // `error` is always followed by `close`, which carries the code: report once, from there. The
    // handler is still set: `ws` treats an error event nobody listens to as an uncaught exception.
    this.socket.onerror = () => {};
    this.socket.onclose = (event: { code: number; reason: string }) => this.finish(event.code, event.reason || 'socket closed');
  }

  control(text: string): void {
    if (this.done) return;
    if (this.opened && this.socket.readyState === ReadyState.open) this.socket.send(text);
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
