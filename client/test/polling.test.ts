// The polling loop (client/src/transport/polling.ts, longpoll.ts, poll.ts) against a fake fetch and
// fake time: cursor chaining, the Hello and Heartbeats it hands on, subscription changes, abort, no
// overlapping requests, and retry/backoff on 503 and network errors.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { decodeFrame, encodeHeartbeat, encodeHello, encodeSnapshot, encodeUpdates, type SnapshotBody } from '@tickwire/protocol/codec';
import { ErrorCode } from '@tickwire/protocol/codes';
import { controlText } from '@tickwire/protocol/control';
import { formatCursor } from '@tickwire/protocol/cursor';
import { joinFrames } from '@tickwire/protocol/framing';
import { FrameType, type Frame } from '@tickwire/protocol/messages';
import type { EpochMs, PriceTicks, SizeLots } from '@tickwire/protocol/units';
import { LongPollTransport } from '../src/transport/longpoll.js';
import { ShortPollTransport } from '../src/transport/poll.js';
import { pollUrl } from '../src/transport/polling.js';
import { retryAfterMs } from '../src/transport/retry-after.js';
import type { FetchLike, TransportClose, TransportOptions } from '../src/transport/types.js';

const EPOCH = 9;
const IDS: Record<string, number> = { AAPL: 0, MSFT: 1, NVDA: 2 };

interface Call {
  url: URL;
  signal: AbortSignal;
  settled: boolean;
  respond(status: number, frames?: Uint8Array[], headers?: Record<string, string>): void;
  fail(message: string): void;
}

/** A fetch whose requests stay pending until the test answers them. */
class FakeServer {
  readonly calls: Call[] = [];
  inFlight = 0;
  maxInFlight = 0;

  readonly fetch: FetchLike = (input, init) =>
    new Promise<Response>((resolve, reject) => {
      this.inFlight++;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      const signal = init!.signal!;
      const call: Call = {
        url: new URL(String(input)),
        signal,
        settled: false,
        respond: (status, frames = [], headers = {}) => {
          const body =
            status === 200
              ? new Blob([joinFrames(frames) as Uint8Array<ArrayBuffer>])
              : JSON.stringify({ error: { code: ErrorCode.UnknownSymbol, message: 'unknown symbol(s): ZZZZ' } });
          if (settle()) resolve(new Response(body, { status, headers }));
        },
        fail: (message) => {
          if (settle()) reject(new TypeError(message));
        },
      };
      const settle = (): boolean => {
        if (call.settled) return false;
        call.settled = true;
        this.inFlight--;
        return true;
      };
      signal.addEventListener('abort', () => {
        if (settle()) reject(new DOMException('The operation was aborted.', 'AbortError'));
      });
      this.calls.push(call);
    });

  get last(): Call {
    return this.calls[this.calls.length - 1] as Call;
  }

  /** Answers the pending request the way /poll does: frames, and the cursor of what the client now has. */
  answer(seqs: Record<string, number>, frames: Uint8Array[] = []): void {
    const cursor = formatCursor(
      EPOCH,
      Object.entries(seqs).map(([t, seq]) => [IDS[t] as number, seq] as const),
    );
    this.last.respond(200, frames, { 'X-Tickwire-Cursor': cursor });
  }
}

function snapshot(ticker: string, seq: number): Uint8Array {
  const body: SnapshotBody = {
    symbolId: IDS[ticker] as number,
    ticker,
    priceScale: 2,
    sizeScale: 0,
    seq,
    lastTimeMs: 0 as EpochMs,
    last: 100 as PriceTicks,
    lastSize: 1 as SizeLots,
    bid: 99 as PriceTicks,
    ask: 101 as PriceTicks,
    open: 100 as PriceTicks,
    high: 100 as PriceTicks,
    low: 100 as PriceTicks,
    volume: 0,
    sessionStartMs: 0 as EpochMs,
    candles: [],
  };
  return encodeSnapshot(EPOCH, 0, body);
}

function updates(ticker: string, seq: number): Uint8Array {
  return encodeUpdates(EPOCH, 0, [
    {
      symbolId: IDS[ticker] as number,
      flags: 0,
      seq,
      eventTimeMs: 0 as EpochMs,
      price: 100 as PriceTicks,
      size: 1 as SizeLots,
      bid: 99 as PriceTicks,
      ask: 101 as PriceTicks,
    },
  ]);
}

const hello = () => encodeHello(EPOCH, 0, { heartbeatMs: 1000, maxSymbols: 100, sessionId: '', serverId: 'srv' });

function setup(kind: 'longpoll' | 'poll', extra: Partial<TransportOptions> = {}) {
  const server = new FakeServer();
  const frames: Frame[] = [];
  const closes: TransportClose[] = [];
  let opens = 0;
  const options: TransportOptions = { baseUrl: 'http://h:1', symbols: ['AAPL', 'MSFT'], history: 50, requestId: 7, ...extra };
  const handlers = {
    open: () => opens++,
    frame: (bytes: Uint8Array) => {
      const f = decodeFrame(bytes);
      if (!f.ok) throw new Error(f.error);
      frames.push(f.value);
    },
    closed: (info: TransportClose) => closes.push(info),
  };
  const deps = { fetch: server.fetch, random: () => 0.5, now: () => 1_000 };
  const transport = kind === 'longpoll' ? new LongPollTransport(options, handlers, deps) : new ShortPollTransport(options, handlers, deps);
  return { server, transport, frames, closes, types: () => frames.map((f) => f.type), opens: () => opens };
}

/** Lets pending promise callbacks (the loop's awaits) run; advances fake time by `ms`. */
const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('polling transports', () => {
  it('chains cursors: the first request has none, each next one quotes the last X-Tickwire-Cursor', async () => {
    const { server, transport, types, frames, opens } = setup('longpoll');
    await tick();
    expect(server.calls).toHaveLength(1);
    const first = server.last.url;
    expect(first.pathname).toBe('/poll');
    expect(first.searchParams.get('symbols')).toBe('AAPL,MSFT');
    expect(first.searchParams.get('wait')).toBe('1000');
    expect(first.searchParams.get('history')).toBe('50');
    expect(first.searchParams.has('cursor')).toBe(false);
    server.answer({ AAPL: 10, MSFT: 20 }, [hello(), snapshot('AAPL', 10), snapshot('MSFT', 20)]);
    await tick();
    expect(opens()).toBe(1);
    // The server's frames in order, then the answer's cursor as a Heartbeat (it holds none).
    expect(types()).toEqual([FrameType.Hello, FrameType.Snapshot, FrameType.Snapshot, FrameType.Heartbeat]);
    expect(frames[3]).toMatchObject({
      epoch: EPOCH,
      symbols: [
        { symbolId: 0, seq: 10 },
        { symbolId: 1, seq: 20 },
      ],
    });
    // Long polling asks again at once, from where the answer left off.
    expect(server.calls).toHaveLength(2);
    expect(server.last.url.searchParams.get('cursor')).toBe(
      formatCursor(EPOCH, [
        [0, 10],
        [1, 20],
      ]),
    );
    server.answer({ AAPL: 11, MSFT: 20 }, [updates('AAPL', 11)]);
    await tick();
    expect(server.last.url.searchParams.get('cursor')).toBe(
      formatCursor(EPOCH, [
        [0, 11],
        [1, 20],
      ]),
    );
    // An idle answer carries the server's Heartbeat: none is made up on top of it.
    server.answer({ AAPL: 11, MSFT: 20 }, [
      encodeHeartbeat(EPOCH, 0, [
        { symbolId: 0, seq: 11 },
        { symbolId: 1, seq: 20 },
      ]),
    ]);
    await tick();
    expect(types().slice(4)).toEqual([FrameType.Updates, FrameType.Heartbeat, FrameType.Heartbeat]);
    expect(server.maxInFlight).toBe(1);
    transport.close();
  });

  it('short polling asks with wait=0 and pauses between answers', async () => {
    const { server, transport } = setup('poll');
    await tick();
    expect(server.last.url.searchParams.get('wait')).toBe('0');
    server.answer({ AAPL: 10, MSFT: 20 }, [hello(), snapshot('AAPL', 10), snapshot('MSFT', 20)]);
    await tick(499);
    expect(server.calls).toHaveLength(1);
    await tick(1);
    expect(server.calls).toHaveLength(2);
    server.answer({ AAPL: 10, MSFT: 20 }); // nothing new
    await tick(500);
    expect(server.calls).toHaveLength(3);
    transport.close();
  });

  it('resumes from a cursor and, since the server says Hello only without one, announces the session itself', async () => {
    const resume = formatCursor(EPOCH, [
      [0, 5],
      [1, 20],
    ]);
    const { server, transport, types, frames } = setup('longpoll', { resume });
    await tick();
    expect(server.last.url.searchParams.get('cursor')).toBe(resume);
    server.answer({ AAPL: 6, MSFT: 20 }, [updates('AAPL', 6)]);
    await tick();
    expect(types()).toEqual([FrameType.Hello, FrameType.Updates, FrameType.Heartbeat]);
    expect(frames[0]).toMatchObject({ epoch: EPOCH, heartbeatMs: 1000 });
    transport.close();
  });

  it('never overlaps requests: a subscribe cuts a held long poll short and asks again at once with the new list', async () => {
    const { server, transport, frames } = setup('longpoll');
    await tick();
    server.answer({ AAPL: 10, MSFT: 20 }, [hello(), snapshot('AAPL', 10), snapshot('MSFT', 20)]);
    await tick();
    const held = server.last;
    transport.control(controlText('subscribe', ['NVDA'], { id: 8, history: 50 }));
    await tick();
    expect(held.signal.aborted).toBe(true);
    expect(server.calls).toHaveLength(3);
    expect(server.last.url.searchParams.get('symbols')).toBe('AAPL,MSFT,NVDA');
    // NVDA is not in the cursor, so the server answers it with a snapshot.
    expect(server.last.url.searchParams.get('cursor')).toBe(
      formatCursor(EPOCH, [
        [0, 10],
        [1, 20],
      ]),
    );
    server.answer({ AAPL: 10, MSFT: 20, NVDA: 3 }, [snapshot('NVDA', 3)]);
    await tick();
    transport.control(controlText('unsubscribe', ['MSFT'], { id: 9 }));
    server.answer({ AAPL: 11, MSFT: 20, NVDA: 3 }, [updates('AAPL', 11)]);
    await tick();
    expect(server.last.url.searchParams.get('symbols')).toBe('AAPL,NVDA');
    expect(server.maxInFlight).toBe(1);
    expect(frames.filter((f) => f.type === FrameType.Error)).toEqual([]);
    transport.close();
  });

  it('a subscribe of a held symbol drops it from the cursor, so a fresh snapshot comes (gap repair)', async () => {
    const { server, transport } = setup('longpoll');
    await tick();
    server.answer({ AAPL: 10, MSFT: 20 }, [hello(), snapshot('AAPL', 10), snapshot('MSFT', 20)]);
    await tick();
    transport.control(controlText('subscribe', ['AAPL'], { id: 8, history: 50 }));
    await tick();
    expect(server.last.url.searchParams.get('symbols')).toBe('AAPL,MSFT');
    expect(server.last.url.searchParams.get('cursor')).toBe(formatCursor(EPOCH, [[1, 20]]));
    transport.close();
  });

  it('close() aborts the request in flight and stops: no more requests, no callbacks', async () => {
    const { server, transport, closes, frames } = setup('longpoll');
    await tick();
    server.answer({ AAPL: 10, MSFT: 20 }, [hello(), snapshot('AAPL', 10), snapshot('MSFT', 20)]);
    await tick();
    const count = frames.length;
    transport.close();
    await tick(10_000);
    expect(server.last.signal.aborted).toBe(true);
    expect(server.calls).toHaveLength(2);
    expect(frames).toHaveLength(count);
    expect(closes).toEqual([]);
  });

  it('waits out a 503 Retry-After and asks again with the same cursor; backs off on network errors; gives up after 3 retries', async () => {
    const { server, closes } = setup('longpoll');
    await tick();
    server.answer({ AAPL: 10, MSFT: 20 }, [hello(), snapshot('AAPL', 10), snapshot('MSFT', 20)]);
    await tick();
    const cursor = server.last.url.searchParams.get('cursor');
    server.last.respond(503, [], { 'Retry-After': '1' });
    await tick(999);
    expect(server.calls).toHaveLength(2);
    await tick(1);
    expect(server.calls).toHaveLength(3);
    expect(server.last.url.searchParams.get('cursor')).toBe(cursor);
    // Network errors: full-jitter backoff (failures 2 and 3 in a row, random 0.5: 250 ms, then 500 ms),
    // the same cursor each time.
    server.last.fail('Failed to fetch');
    await tick(249);
    expect(server.calls).toHaveLength(3);
    await tick(1);
    expect(server.calls).toHaveLength(4);
    server.last.fail('Failed to fetch');
    await tick(500);
    expect(server.calls).toHaveLength(5);
    expect(server.last.url.searchParams.get('cursor')).toBe(cursor);
    expect(closes).toEqual([]);
    // A fourth failure in a row: the manager takes over (reconnect policy, resume cursor).
    server.last.fail('Failed to fetch');
    await tick(5_000);
    expect(closes).toEqual([{ opened: true, reached: true, code: null, reason: 'request failed (Failed to fetch)' }]);
    expect(server.calls).toHaveLength(5);
    expect(server.maxInFlight).toBe(1);
  });

  it('a success resets the failure count', async () => {
    const { server, closes, transport } = setup('longpoll');
    await tick();
    server.answer({ AAPL: 10, MSFT: 20 }, [hello(), snapshot('AAPL', 10), snapshot('MSFT', 20)]);
    await tick();
    for (let round = 0; round < 3; round++) {
      server.last.fail('Failed to fetch');
      await tick(2_000);
      server.last.fail('Failed to fetch');
      await tick(2_000);
      server.answer({ AAPL: 10, MSFT: 20 });
      await tick();
    }
    expect(closes).toEqual([]);
    transport.close();
  });

  it('before the first answer any failure is reported at once: the manager picks the next attempt', async () => {
    const { server, closes } = setup('longpoll');
    await tick();
    server.last.respond(503, [], { 'Retry-After': '1' });
    await tick();
    expect(closes).toEqual([{ opened: false, reached: true, code: null, reason: 'answered 503' }]);
    await tick(10_000);
    expect(server.calls).toHaveLength(1);
  });

  it('a refused subscribe becomes an Error frame for its request id; the other symbols keep polling', async () => {
    const { server, transport, frames } = setup('longpoll');
    await tick();
    server.answer({ AAPL: 10, MSFT: 20 }, [hello(), snapshot('AAPL', 10), snapshot('MSFT', 20)]);
    await tick();
    transport.control(controlText('subscribe', ['ZZZZ'], { id: 12, history: 50 }));
    await tick();
    expect(server.last.url.searchParams.get('symbols')).toBe('AAPL,MSFT,ZZZZ');
    server.last.respond(404);
    await tick();
    expect(frames.at(-1)).toMatchObject({ type: FrameType.Error, code: ErrorCode.UnknownSymbol, requestId: 12 });
    expect(server.last.url.searchParams.get('symbols')).toBe('AAPL,MSFT');
    transport.close();
  });

  it('builds URLs and reads Retry-After', () => {
    expect(pollUrl('http://h:1', { symbols: ['AAPL', 'BRK.B'], history: 5, waitMs: 1000, cursor: 'e9-0.a', token: 't' })).toBe(
      'http://h:1/poll?symbols=AAPL,BRK.B&history=5&wait=1000&cursor=e9-0.a&token=t',
    );
    expect(retryAfterMs('1')).toBe(1000);
    expect(retryAfterMs(' 5 ')).toBe(5000);
    expect(retryAfterMs('Wed, 21 Oct 2015 07:28:00 GMT')).toBeNull();
    expect(retryAfterMs(null)).toBeNull();
  });
});
