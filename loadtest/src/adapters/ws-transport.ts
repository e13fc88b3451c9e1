// One WebSocket connection for the adapters, on either client implementation: the minimal RawWebSocket
// (default, cheapest per message) or the `ws` library (--ws-client ws, the reference to compare with).
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { RawWebSocket } from './raw-ws.js';

export type WsClientKind = 'raw' | 'ws';

export interface WsEvents {
  open(): void;
  /** The payload may be a view into a socket buffer: use it synchronously. */
  message(data: Buffer, isBinary: boolean): void;
  /** `code` is 0 when the connection never opened. */
  close(code: number, reason: string): void;
  error(error: Error): void;
}

export interface WsTransport {
  sendText(text: string): void;
  close(graceful: boolean): void;
  pause(): void;
  resume(): void;
  /** The TCP socket under the WebSocket (null before the ws library made one), for byte metering. */
  socket(): Socket | null;
}

export function openWebSocket(kind: WsClientKind, url: string, localAddress: string | undefined, events: WsEvents): WsTransport {
  if (kind === 'raw') {
    const ws = new RawWebSocket(url, events, { localAddress, handshakeTimeoutMs: 10_000 });
    return {
      sendText: (text) => ws.sendText(text),
      close: (graceful) => (graceful ? ws.close(1000, 'load test done') : ws.terminate()),
      pause: () => ws.pause(),
      resume: () => ws.resume(),
      socket: () => ws.socket,
    };
  }
  const ws = new WebSocket(url, { localAddress, perMessageDeflate: false, handshakeTimeout: 10_000 });
  let opened = false;
  ws.on('open', () => {
    opened = true;
    events.open();
  });
  ws.on('message', (data: Buffer, isBinary: boolean) => events.message(data, isBinary));
  ws.on('error', (error) => events.error(error));
  ws.on('close', (code, reason) => events.close(opened ? code : 0, reason.toString()));
  return {
    sendText: (text) => ws.send(text),
    close: (graceful) => {
      if (graceful && ws.readyState === WebSocket.OPEN) ws.close(1000, 'load test done');
      else ws.terminate();
    },
    pause: () => ws.pause(),
    resume: () => ws.resume(),
    // `_socket` is the ws library's own field (not in its typings); only the lab's byte meter reads it.
    socket: () => (ws as unknown as { _socket?: Socket | null })._socket ?? null,
  };
}
