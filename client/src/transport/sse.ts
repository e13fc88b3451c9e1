// Server-Sent Events transport: an EventSource whose events carry base64 frames (one per data line),
// plus a POST endpoint for controls, addressed by the session id the Hello frame announces. The
// browser's own EventSource retry is disabled: reconnect policy belongs to the connection manager.
// Where there is no EventSource (Node 20) the fetch-based reader (sse-reader.ts) stands in.
import { Route, routeUrl } from '@tickwire/protocol/routes';
import { base64ToFrame } from '@tickwire/protocol/sse';
import { SessionControl } from './session-control.js';
import { FetchEventSource } from './sse-reader.js';
import {
  ReadyState,
  browserFetch,
  type EventSourceLike,
  type Transport,
  type TransportClose,
  type TransportDeps,
  type TransportHandlers,
  type TransportOptions,
} from './types.js';

/**
 * URL of a streaming endpoint (`/sse`, `/stream`) with the initial symbols, history, resume cursor and
 * token in the query.
 */
export function sseUrl(options: Pick<TransportOptions, 'baseUrl' | 'symbols' | 'history' | 'resume' | 'token' | 'compact'>, path: string = Route.sse): string {
  const url = routeUrl(options.baseUrl, path);
  // Commas stay literal: the server splits the list on them.
  const parts = [`history=${options.history}`];
  if (options.symbols.length > 0) parts.unshift(`symbols=${options.symbols.map(encodeURIComponent).join(',')}`);
  if (options.resume) parts.push(`cursor=${encodeURIComponent(options.resume)}`);
  if (options.compact === true) parts.push('compact=1');
  if (options.token) parts.push(`token=${encodeURIComponent(options.token)}`);
  url.search = parts.join('&');
  return url.toString();
}

/** Splits one event's data into frames: EventSource joins the event's data lines with "\n". */
export function framesOfEvent(data: string): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (const line of data.split('\n')) {
    if (line.length === 0) continue;
    const bytes = base64ToFrame(line);
    if (bytes !== null) frames.push(bytes);
  }
  return frames;
}

export class SseTransport implements Transport {
  readonly kind = 'sse' as const;
  private readonly source: EventSourceLike;
  private readonly controls: SessionControl;
  private opened = false;
  private done = false;

  constructor(
    options: TransportOptions,
    private readonly handlers: TransportHandlers,
    deps: TransportDeps = {},
  ) {
    const fetchImpl = deps.fetch ?? browserFetch;
    this.controls = new SessionControl(options.baseUrl, Route.sseControl, options.token, fetchImpl);
    const Source = deps.EventSource ?? (globalThis as { EventSource?: TransportDeps['EventSource'] }).EventSource;
    const url = sseUrl(options);
    this.source = Source !== undefined ? new Source(url) : new FetchEventSource(url, fetchImpl);
    this.source.onopen = () => {
      if (this.done) return;
      this.opened = true;
      handlers.open();
    };
    this.source.onmessage = (event: { data: string }) => {
      for (const bytes of framesOfEvent(event.data)) {
        if (this.done) return;
        this.controls.observe(bytes);
        handlers.frame(bytes);
      }
    };
    this.source.onerror = () => this.failed();
  }

  control(text: string): void {
    if (!this.done) this.controls.send(text);
  }

  close(): void {
    if (this.done) return;
    this.done = true;
    this.detach();
  }

  private detach(): void {
    this.source.onopen = this.source.onmessage = this.source.onerror = null;
    this.source.close();
  }

  /** EventSource gives up (CLOSED) on an HTTP error status and retries (CONNECTING) on a network error. */
  private failed(): void {
    if (this.done) return;
    this.done = true;
    const reached = this.opened || this.source.readyState === ReadyState.closed;
    // The fetch-based reader also knows the status and any Retry-After.
    const end = this.source instanceof FetchEventSource ? this.source.end : null;
    this.detach();
    const info: TransportClose = {
      opened: this.opened,
      reached: end !== null ? end.status !== null : reached,
      code: null,
      reason: end?.reason ?? 'event stream failed or ended',
    };
    if (end?.retryAfterMs != null) info.retryAfterMs = end.retryAfterMs;
    this.handlers.closed(info);
  }
}
