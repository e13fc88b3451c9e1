// The seam between a simulated client and a wire protocol. An adapter opens one connection, subscribes,
// and reduces whatever the server sends to StreamAccounting calls, so Tickwire and its peers are judged
// by the same rules; lifecycle and flow control (pause/resume for slow readers) go through ClientHooks.
import { webSocketUrl } from '@tickwire/protocol/routes';
import type { StreamAccounting } from '../accounting.js';
import type { SymbolRef } from '../symbols.js';
import type { WsClientKind } from './ws-transport.js';

export interface ClientHooks {
  /** Accounting of the current connection. */
  readonly stream: StreamAccounting;
  /** The transport is open (WebSocket upgraded, SSE response headers received). */
  opened(): void;
  /** A message or chunk of `bytes` arrived (already accounted); slow readers throttle here. */
  received(bytes: number): void;
  /** The connection ended, whoever ended it. `code` is the WebSocket close code or an HTTP status/0. */
  closed(code: number, reason: string): void;
  /** The attempt failed before opening, or the transport reported an error. */
  failed(error: Error): void;
}

export interface Connection {
  /** Polite close (graceful) or an immediate socket destroy. Idempotent. */
  close(graceful: boolean): void;
  pause(): void;
  resume(): void;
}

export interface ConnectOptions {
  base: URL;
  symbols: readonly SymbolRef[];
  /** Candles per interval in snapshots (Tickwire only). */
  history: number;
  localAddress: string | undefined;
  hooks: ClientHooks;
  /** Receive-time clock in epoch ms (sub-millisecond). */
  now: () => number;
  /** WebSocket client implementation (ignored by SSE). */
  wsClient: WsClientKind;
  /** Tickwire access token, or null. */
  token: string | null;
  /** Polling adapters: short-poll interval and long-poll wait, ms (adapter defaults when absent). */
  poll?: { intervalMs: number; waitMs: number } | undefined;
  /** Resume cursor of a reconnect (`resume` in the WebSocket subscribe, `cursor=` on SSE/stream); undefined = none. */
  resume?: string | undefined;
}

export type Connect = (options: ConnectOptions) => Connection;

/** ws:// (or wss://) URL for `path` on the target. */
export function wsUrl(base: URL, path: string): string {
  return webSocketUrl(base, path).href;
}
