// Binary HTTP streaming transport: one fetch() whose never-ending body carries the frames, each behind
// its u32-LE length (no base64: a third fewer bytes than SSE), read chunk by chunk from response.body
// and cut into frames by the shared FrameStreamParser. Controls go out as POST /stream/control, as SSE's.
import { Route } from '@tickwire/protocol/routes';
import { FrameStreamParser } from '@tickwire/protocol/framing';
import { SessionControl } from './session-control.js';
import { sseUrl } from './sse.js';
import { retryAfterMs } from './retry-after.js';
import { browserFetch, type FetchLike, type Transport, type TransportDeps, type TransportHandlers, type TransportOptions } from './types.js';

export function streamUrl(options: Pick<TransportOptions, 'baseUrl' | 'symbols' | 'history' | 'resume' | 'token' | 'compact'>): string {
  return sseUrl(options, Route.stream);
}

export class StreamTransport implements Transport {
  readonly kind = 'stream' as const;
  private readonly abort = new AbortController();
  private readonly controls: SessionControl;
  private opened = false;
  /** A response (any status) arrived: see TransportClose.reached. */
  private reached = false;
  private done = false;

  constructor(
    options: TransportOptions,
    private readonly handlers: TransportHandlers,
    deps: TransportDeps = {},
  ) {
    const fetchImpl = deps.fetch ?? browserFetch;
    this.controls = new SessionControl(options.baseUrl, Route.streamControl, options.token, fetchImpl);
    void this.run(streamUrl(options), fetchImpl);
  }

  control(text: string): void {
    if (!this.done) this.controls.send(text);
  }

  close(): void {
    if (this.done) return;
    this.done = true;
    this.abort.abort();
  }

  private async run(url: string, fetchImpl: FetchLike): Promise<void> {
    let response: Response;
    try {
      response = await fetchImpl(url, { signal: this.abort.signal, cache: 'no-store' });
    } catch (error) {
      return this.finish(`request failed (${(error as Error).message})`);
    }
    this.reached = true;
    if (!response.ok || response.body === null) {
      response.body?.cancel().catch(() => {});
      return this.finish(`answered ${response.status}`, retryAfterMs(response.headers.get('retry-after')));
    }
    if (this.done) return;
    this.opened = true;
    this.handlers.open();
    const parser = new FrameStreamParser((bytes) => {
      if (this.done) return;
      this.controls.observe(bytes);
      this.handlers.frame(bytes);
    });
    const reader = response.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (this.done) return;
        if (done) return this.finish('stream ended');
        if (!parser.feed(value)) {
          reader.cancel().catch(() => {});
          return this.finish(`corrupt stream: ${parser.error ?? 'unreadable'}`);
        }
      }
    } catch (error) {
      this.finish(`stream failed (${(error as Error).message})`);
    }
  }

  private finish(reason: string, retryAfter: number | null = null): void {
    if (this.done) return;
    this.done = true;
    this.abort.abort();
    this.handlers.closed({ opened: this.opened, reached: this.reached, code: null, reason, ...(retryAfter !== null ? { retryAfterMs: retryAfter } : {}) });
  }
}
