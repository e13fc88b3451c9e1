// The fetch-based SSE reader (client/src/transport/sse-reader.ts) that stands in for EventSource in Node:
// a body fed one byte per chunk (multi-byte UTF-8 cut in half included), CRLF and CR line ends, comments,
// `id:` lines, and how refused, failed and ended streams are reported; plus the SSE transport running on it.
import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeHeartbeat, encodeHello } from '@tickwire/protocol/codec';
import { frameToBase64 } from '@tickwire/protocol/sse';
import { FrameType, type Frame } from '@tickwire/protocol/messages';
import { FetchEventSource } from '../src/transport/sse-reader.js';
import { SseTransport } from '../src/transport/sse.js';
import { ReadyState, type FetchLike, type TransportClose } from '../src/transport/types.js';

/** A response body that delivers `bytes` in chunks of `size` bytes, then ends (or stays open). */
function body(bytes: Uint8Array, size: number, end = true): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(c) {
      for (let i = 0; i < bytes.length; i += size) c.enqueue(bytes.slice(i, i + size));
      if (end) c.close();
    },
  });
}

const sse = (status: number, text: string, size: number, extra: Record<string, string> = {}): FetchLike => {
  return async () => new Response(body(new TextEncoder().encode(text), size), { status, headers: { 'content-type': 'text/event-stream', ...extra } });
};

const settle = () => new Promise((r) => setTimeout(r, 20));

function read(fetchImpl: FetchLike) {
  const events: Array<{ data: string; lastEventId: string }> = [];
  const log: string[] = [];
  const source = new FetchEventSource('http://h:1/sse', fetchImpl);
  source.onopen = () => log.push('open');
  source.onmessage = (e) => events.push({ data: e.data, lastEventId: e.lastEventId });
  source.onerror = () => log.push(`error ${source.readyState}`);
  return { source, events, log };
}

describe('FetchEventSource', () => {
  const text = [
    ': a comment, then a retry hint\r\n',
    'retry: 1000\r\n',
    'id: 7\r\n',
    'data: first é line\r\n',
    'data: second\r\n',
    '\r\n',
    'event: other\n',
    'data: not a message event\n',
    '\n',
    ':keepalive €\r',
    'data:no space\r',
    '\r',
    'id: 9\n',
    'data: last\n',
    '\n',
    'data: unterminated',
  ].join('');
  const expected = [
    { data: 'first é line\nsecond', lastEventId: '7' },
    { data: 'no space', lastEventId: '7' },
    { data: 'last', lastEventId: '9' },
  ];

  for (const size of [1, 2, 3, 5, 64, 4096]) {
    it(`dispatches the same events from ${size}-byte chunks (CRLF, CR, comments, ids, a cut UTF-8 character)`, async () => {
      const { events, log, source } = read(sse(200, text, size));
      await settle();
      expect(events.length).toBeGreaterThan(0);
      expect(events).toEqual(expected);
      expect(source.lastEventId).toBe('9');
      // The stream ended: reported once as CLOSED (EventSource would reconnect; this reader never does).
      expect(log).toEqual(['open', `error ${ReadyState.closed}`]);
      expect(source.end).toEqual({ status: 200, retryAfterMs: null, reason: 'stream ended' });
    });
  }

  it('reports a refused stream with its status and Retry-After, a network failure as not reached', async () => {
    const refused = read(sse(503, 'busy', 4, { 'retry-after': '3' }));
    await settle();
    expect(refused.log).toEqual([`error ${ReadyState.closed}`]);
    expect(refused.source.end).toEqual({ status: 503, retryAfterMs: 3000, reason: 'answered 503' });

    const down = read(async () => {
      throw new TypeError('fetch failed');
    });
    await settle();
    expect(down.log).toEqual([`error ${ReadyState.connecting}`]);
    expect(down.source.end?.status).toBeNull();

    const html = read(async () => new Response('<html>', { status: 200, headers: { 'content-type': 'text/html' } }));
    await settle();
    expect(html.log).toEqual([`error ${ReadyState.closed}`]);
    expect(html.source.end?.reason).toContain('not an event stream');
  });

  it('close() aborts the request and reports nothing', async () => {
    let signal: AbortSignal | undefined;
    const { source, log, events } = read(async (_url, init) => {
      signal = init?.signal ?? undefined;
      return new Response(body(new TextEncoder().encode('data: a\n\n'), 1, false), { headers: { 'content-type': 'text/event-stream' } });
    });
    await settle();
    expect(events.map((e) => e.data)).toEqual(['a']);
    source.close();
    await settle();
    expect(signal?.aborted).toBe(true);
    expect(log).toEqual(['open']);
  });
});

describe('SseTransport without EventSource', () => {
  it('reads base64 frames through the fetch reader and reports the end with the server reached', async () => {
    expect((globalThis as { EventSource?: unknown }).EventSource).toBeUndefined(); // Node 20: the reader is what runs
    const hello = encodeHello(3, 0, { heartbeatMs: 1000, maxSymbols: 100, sessionId: 'sess', serverId: 'x' });
    const beat = encodeHeartbeat(3, 0, [{ symbolId: 1, seq: 5 }]);
    const stream = `retry: 0\n\n:hi\n\nid: 3:1=5\ndata: ${frameToBase64(hello)}\n\ndata: ${frameToBase64(beat)}\n\n`;
    const urls: string[] = [];
    const frames: Frame[] = [];
    const closes: TransportClose[] = [];
    new SseTransport(
      { baseUrl: 'http://h:1', symbols: ['AAPL'], history: 0, requestId: 1 },
      {
        open: () => {},
        frame: (bytes) => {
          const f = decodeFrame(bytes);
          if (f.ok) frames.push(f.value);
        },
        closed: (info) => closes.push(info),
      },
      {
        fetch: async (url, init) => {
          urls.push(String(url));
          return sse(200, stream, 3)(url, init);
        },
      },
    );
    await settle();
    expect(urls).toEqual(['http://h:1/sse?symbols=AAPL&history=0']);
    expect(frames.map((f) => f.type)).toEqual([FrameType.Hello, FrameType.Heartbeat]);
    expect(closes).toEqual([{ opened: true, reached: true, code: null, reason: 'stream ended' }]);
  });
});
