// A fetch-based Server-Sent Events reader for runtimes without EventSource (Node 20): one GET whose
// text/event-stream body is decoded as UTF-8 across chunk boundaries and cut into events by protocol's
// SseParser (any chunking down to single bytes, CR/LF/CRLF line ends, comments, `id:` lines). It mimics
// the slice of EventSource the SSE transport uses, with one difference on purpose: it never reconnects
// by itself — reconnect policy belongs to the connection manager. What EventSource hides it keeps: the
// HTTP status and Retry-After of a refused stream.
import { SseParser } from '@tickwire/protocol/sse';
import { retryAfterMs } from './retry-after.js';
import { ReadyState, browserFetch, type EventSourceLike, type FetchLike } from './types.js';

/** Why the stream ended, beyond EventSource's bare `error` event. */
export interface SseReaderEnd {
  /** The HTTP status when the server answered (200 for a stream that ended later); null on a network failure. */
  status: number | null;
  /** Retry-After of a 503/429 answer, in ms. */
  retryAfterMs: number | null;
  reason: string;
}

export class FetchEventSource implements EventSourceLike {
  readyState: number = ReadyState.connecting;
  /** Id of the last event with an `id:` line (what EventSource would send as Last-Event-ID). */
  lastEventId = '';
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: string; lastEventId: string; type: string }) => void) | null = null;
  onerror: (() => void) | null = null;
  /** Set before `onerror` runs: why the stream is over. */
  end: SseReaderEnd | null = null;
  private readonly abort = new AbortController();

  constructor(url: string, fetchImpl: FetchLike = browserFetch) {
    void this.run(url, fetchImpl);
  }

  close(): void {
    if (this.readyState === ReadyState.closed) return;
    this.readyState = ReadyState.closed;
    this.abort.abort();
  }

  private async run(url: string, fetchImpl: FetchLike): Promise<void> {
    let response: Response;
    try {
      response = await fetchImpl(url, { signal: this.abort.signal, cache: 'no-store', headers: { accept: 'text/event-stream' } });
    } catch (error) {
      // Like EventSource on a network error: still CONNECTING when `error` fires (the server was not reached).
      return this.fail({ status: null, retryAfterMs: null, reason: `request failed (${(error as Error).message})` }, ReadyState.connecting);
    }
    const type = response.headers.get('content-type') ?? '';
    if (!response.ok || response.body === null || !type.startsWith('text/event-stream')) {
      response.body?.cancel().catch(() => {});
      const why = response.ok ? `not an event stream (${type || 'no content type'})` : `answered ${response.status}`;
      return this.fail({ status: response.status, retryAfterMs: retryAfterMs(response.headers.get('retry-after')), reason: why }, ReadyState.closed);
    }
    if (this.readyState === ReadyState.closed) return;
    this.readyState = ReadyState.open;
    this.onopen?.();
    const parser = new SseParser((event) => {
      if (this.readyState !== ReadyState.open) return;
      this.lastEventId = event.id;
      if (event.event === 'message') this.onmessage?.({ data: event.data, lastEventId: event.id, type: event.event });
    });
    // `stream: true` holds a multi-byte character cut between chunks until its last byte arrives.
    const decoder = new TextDecoder('utf-8');
    const reader = response.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (this.readyState === ReadyState.closed) return;
        if (done) break;
        parser.feed(decoder.decode(value, { stream: true }));
      }
      parser.feed(decoder.decode());
      this.fail({ status: response.status, retryAfterMs: null, reason: 'stream ended' }, ReadyState.closed);
    } catch (error) {
      this.fail({ status: response.status, retryAfterMs: null, reason: `stream failed (${(error as Error).message})` }, ReadyState.closed);
    }
  }

  private fail(end: SseReaderEnd, state: number): void {
    if (this.readyState === ReadyState.closed) return;
    this.end = end;
    this.readyState = state;
    this.onerror?.();
    // Unlike EventSource, never retried: the caller closes or walks away.
    this.readyState = ReadyState.closed;
    this.abort.abort();
  }
}
