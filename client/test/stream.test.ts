// The binary HTTP streaming transport (client/src/transport/stream.ts) over a fake fetch: frames cut at
// arbitrary chunk boundaries, controls queued until the Hello names the session, and how it ends.
import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeHeartbeat, encodeHello } from '@tickwire/protocol/codec';
import { controlText } from '@tickwire/protocol/control';
import { joinFrames } from '@tickwire/protocol/framing';
import type { Frame } from '@tickwire/protocol/messages';
import { StreamTransport, streamUrl } from '../src/transport/stream.js';
import type { FetchLike, TransportClose } from '../src/transport/types.js';

function chunked(bytes: Uint8Array, size: number): { body: ReadableStream<Uint8Array>; end(): void } {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
      for (let i = 0; i < bytes.length; i += size) c.enqueue(bytes.slice(i, i + size));
    },
  });
  return { body, end: () => controller.close() };
}

function setup(fetchImpl: FetchLike) {
  const frames: Frame[] = [];
  const closes: TransportClose[] = [];
  const transport = new StreamTransport(
    { baseUrl: 'http://h:1', symbols: ['AAPL'], history: 5, requestId: 1, token: 't' },
    {
      open: () => {},
      frame: (bytes) => {
        const f = decodeFrame(bytes);
        if (f.ok) frames.push(f.value);
      },
      closed: (info) => closes.push(info),
    },
    { fetch: fetchImpl },
  );
  return { transport, frames, closes };
}

const settle = () => new Promise((r) => setTimeout(r, 10));

describe('StreamTransport', () => {
  it('reassembles frames from odd-sized chunks and posts controls once the Hello names the session', async () => {
    const posts: string[] = [];
    const hello = encodeHello(4, 0, { heartbeatMs: 1000, maxSymbols: 100, sessionId: 'sess1', serverId: 'x' });
    const beats = Array.from({ length: 5 }, (_, i) => encodeHeartbeat(4, 0, [{ symbolId: 0, seq: i }]));
    const stream = chunked(joinFrames([hello, ...beats]), 7);
    let url = '';
    // One injected fetch carries the stream and the control POSTs.
    const { transport, frames, closes } = setup(async (input, init) => {
      if (init?.method === 'POST') {
        const h = init.headers as Record<string, string> | undefined;
        posts.push(`${String(input)} ${h?.['x-tickwire-session']} ${h?.authorization} ${h?.['content-type']} ${String(init.body)}`);
        return new Response('{"ok":true}');
      }
      url = String(input);
      return new Response(stream.body, { status: 200 });
    });
    transport.control(controlText('subscribe', ['MSFT'], { id: 2 })); // before the Hello: queued
    await settle();
    expect(url).toBe(streamUrl({ baseUrl: 'http://h:1', symbols: ['AAPL'], history: 5, token: 't' }));
    expect(url).toBe('http://h:1/stream?symbols=AAPL&history=5&token=t');
    expect(frames.map((f) => f.type)).toEqual([1, 4, 4, 4, 4, 4]);
    // The session id and token travel in headers, never in the URL.
    expect(posts).toEqual(['http://h:1/stream/control sess1 Bearer t application/json {"op":"subscribe","symbols":["MSFT"],"id":2}']);
    stream.end();
    await settle();
    expect(closes).toEqual([{ opened: true, reached: true, code: null, reason: 'stream ended' }]);
  });

  it('reports a refused stream as never opened (with its Retry-After), and close() ends it without a callback', async () => {
    const refused = setup(async () => new Response('{"error":{}}', { status: 404 }));
    await settle();
    expect(refused.closes).toEqual([{ opened: false, reached: true, code: null, reason: 'answered 404' }]);
    const full = setup(async () => new Response('', { status: 503, headers: { 'retry-after': '2' } }));
    await settle();
    expect(full.closes).toEqual([{ opened: false, reached: true, code: null, reason: 'answered 503', retryAfterMs: 2000 }]);

    let signal: AbortSignal | undefined;
    const open = setup(async (_input, init) => {
      signal = init?.signal ?? undefined;
      return new Response(new ReadableStream<Uint8Array>(), { status: 200 });
    });
    await settle();
    open.transport.close();
    await settle();
    expect(signal?.aborted).toBe(true);
    expect(open.closes).toEqual([]);
  });
});
