// Server-Sent Events transport: an EventSource whose events carry base64 frames (one per data line),
// plus a POST endpoint for controls, addressed by the session id the Hello frame announces. The
// browser's own EventSource retry is disabled: reconnect policy belongs to the connection manager.
import { Route, routeUrl } from '@tickwire/protocol/routes';
import { base64ToFrame } from '@tickwire/protocol/sse';
import { SessionControl } from './session-control.js';
import type { Transport, TransportHandlers, TransportOptions } from './types.js';

/**
 * URL of a streaming endpoint (`/sse`, `/stream`) with the initial symbols, history, resume cursor and
 * token in the query.
 */
export function sseUrl(options: Pick<TransportOptions, 'baseUrl' | 'symbols' | 'history' | 'resume' | 'token'>, path: string = Route.sse): string {
  const url = routeUrl(options.baseUrl, path);
  // Commas stay literal: the server splits the list on them.
  const parts = [`history=${options.history}`];
  if (options.symbols.length > 0) parts.unshift(`symbols=${options.symbols.map(encodeURIComponent).join(',')}`);
  if (options.resume) parts.push(`cursor=${encodeURIComponent(options.resume)}`);
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
  private readonly source: EventSource;
  private readonly controls: SessionControl;
  private opened = false;
  private done = false;

  constructor(
    options: TransportOptions,
    private readonly handlers: TransportHandlers,
  ) {
    this.controls = new SessionControl(options.baseUrl, Route.sseControl, options.token);
    this.source = new EventSource(sseUrl(options));
    this.source.onopen = () => {
      if (this.done) return;
      this.opened = true;
      handlers.open();
    };
    this.source.onmessage = (event: MessageEvent<string>) => {
      for (const bytes of framesOfEvent(event.data)) {
        if (this.done) return;
        this.controls.observe(bytes);
        handlers.frame(bytes);
      }
    };
    // EventSource gives up (CLOSED) on an HTTP error status and retries (CONNECTING) on a network error.
    this.source.onerror = () => this.finish('event stream failed or ended', this.opened || this.source.readyState === EventSource.CLOSED);
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

  private finish(reason: string, reached: boolean): void {
    if (this.done) return;
    this.done = true;
    this.detach();
    this.handlers.closed({ opened: this.opened, reached, code: null, reason });
  }
}
