// Server-Sent Events transport: an EventSource whose events carry base64 frames (one per data line),
// plus a POST endpoint for controls, addressed by the session id the Hello frame announces. The
// browser's own EventSource retry is disabled: reconnect policy belongs to the connection manager.
import { decodeFrame, decodeHeader } from '../../../../protocol/src/codec.js';
import { FrameType } from '../../../../protocol/src/messages.js';
import { base64ToFrame } from '../../../../protocol/src/sse.js';
import type { Transport, TransportHandlers, TransportOptions } from './types.js';

export function sseUrl(options: Pick<TransportOptions, 'baseUrl' | 'symbols' | 'history' | 'resume' | 'token'>): string {
  const url = new URL('/sse', options.baseUrl);
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
  private readonly pending: string[] = [];
  private session: string | null = null;
  private opened = false;
  private done = false;

  constructor(
    private readonly options: TransportOptions,
    private readonly handlers: TransportHandlers,
  ) {
    this.source = new EventSource(sseUrl(options));
    this.source.onopen = () => {
      if (this.done) return;
      this.opened = true;
      handlers.open();
    };
    this.source.onmessage = (event: MessageEvent<string>) => {
      for (const bytes of framesOfEvent(event.data)) {
        if (this.done) return;
        if (this.session === null) this.sniffHello(bytes);
        handlers.frame(bytes);
      }
    };
    this.source.onerror = () => this.finish('event stream failed or ended');
  }

  control(text: string): void {
    if (this.done) return;
    if (this.session === null) this.pending.push(text);
    else this.post(text);
  }

  close(): void {
    if (this.done) return;
    this.done = true;
    this.detach();
  }

  private sniffHello(bytes: Uint8Array): void {
    const head = decodeHeader(bytes);
    if (!head.ok || head.value.type !== FrameType.Hello) return;
    const hello = decodeFrame(bytes);
    if (!hello.ok || hello.value.type !== FrameType.Hello) return;
    this.session = hello.value.sessionId;
    for (const text of this.pending.splice(0)) this.post(text);
  }

  private post(text: string): void {
    const url = new URL('/sse/control', this.options.baseUrl);
    url.searchParams.set('session', this.session ?? '');
    if (this.options.token) url.searchParams.set('token', this.options.token);
    // The reply (Ack or Error) also arrives on the stream, which is where the manager reads it; a failed
    // POST means the session is gone, which the stream reports by ending.
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: text }).catch(() => {});
  }

  private detach(): void {
    this.source.onopen = this.source.onmessage = this.source.onerror = null;
    this.source.close();
  }

  private finish(reason: string): void {
    if (this.done) return;
    this.done = true;
    this.detach();
    this.handlers.closed({ opened: this.opened, code: null, reason });
  }
}
