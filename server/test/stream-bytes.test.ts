// Golden bytes of the HTTP streams: the exact SSE and binary-stream bytes each client of a deterministic
// scenario receives (seeded feed, fixed clock, fake uWS responses recording every write), pinned as
// SHA-256 digests taken from the server before its stream path was optimised, so an optimisation that
// changes one byte fails here. The scenario drives the real fan-out, subscriptions and stream hub through
// subscribe, unsubscribe, an encoding switch, heartbeats, probes, a resumed stream and a shutdown; a
// reader written here from docs/protocol.md also checks the shape of what was recorded.
import { createHash } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { decodeFrame, encodeHeartbeat } from '@tickwire/protocol/codec';
import { FrameType } from '@tickwire/protocol/messages';
import { MarketSimulator } from '@tickwire/feeds/simulator';
import { defaultUniverse } from '@tickwire/feeds/universe';
import { Fanout } from '@tickwire/core/fanout';
import { Admission } from '../src/admission.js';
import { HttpStreamHub } from '../src/http-stream.js';
import { Metrics } from '../src/metrics.js';
import { SessionRegistry } from '../src/sessions.js';
import { Subscriptions } from '../src/subscriptions.js';

// Session ids are random; the golden bytes need them fixed (they travel in each stream's Hello).
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  let next = 0;
  const randomBytes = (n: number) => Buffer.alloc(n, ++next);
  return { ...actual, randomBytes, default: { ...actual, randomBytes } };
});

/** A uWS response that records what the hub writes, as bytes (uWS sends strings as UTF-8). */
class RecordingResponse {
  readonly chunks: Buffer[] = [];
  ended = false;
  cork(fn: () => void): this {
    fn();
    return this;
  }
  write(chunk: string | Uint8Array): boolean {
    if (this.ended) throw new Error('write after end');
    this.chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk));
    return true;
  }
  writeStatus(): this {
    return this;
  }
  writeHeader(): this {
    return this;
  }
  end(): this {
    this.ended = true;
    return this;
  }
  onAborted(): this {
    return this;
  }
  getRemoteAddressAsText(): ArrayBuffer {
    return new TextEncoder().encode('127.0.0.1').buffer as ArrayBuffer;
  }
  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

function request(query: string, headers: Record<string, string> = {}): HttpRequest {
  const params = new URLSearchParams(query);
  return {
    getHeader: (name: string) => headers[name] ?? '',
    getQuery: (name: string) => params.get(name) ?? undefined,
  } as unknown as HttpRequest;
}

const EPOCH = 0x1e2d3c4b;
const T0 = 1_767_600_000_000;

interface Recorded {
  name: string;
  res: RecordingResponse;
}

/** Runs the scenario and returns every client's recorded response. */
function runScenario(): Recorded[] {
  const universe = defaultUniverse(8);
  const fanout = new Fanout(universe, EPOCH, 40, 4096);
  const sim = new MarketSimulator({ seed: 11, instruments: universe, ticksPerSecond: 600, startTimeMs: T0 - 5000 });
  sim.advanceTo(T0, (t) => fanout.ingest(t));
  fanout.absorb();
  let clock = T0;
  const now = () => clock;
  const sessions = new SessionRegistry();
  const metrics = new Metrics(sessions);
  const subscriptions = new Subscriptions(fanout, { maxSymbols: 16, defaultHistory: 5, candleCapacity: 40, backlogBytes: 2 ** 30 }, now, metrics);
  const admission = new Admission({
    maxConnections: 100,
    maxConnectionsPerIp: 100,
    allowedOrigins: [],
    devOrigins: false,
    authSecret: null,
    maxTokenLifetimeSec: 3600,
    now,
  });
  const hub = new HttpStreamHub({
    admission,
    sessions,
    subscriptions,
    metrics,
    epoch: () => fanout.epoch,
    seqOf: (id) => fanout.states[id]?.seq ?? 0,
    now,
    hello: { heartbeatMs: 1000, maxSymbols: 16, serverId: 'golden' },
    defaultHistory: 5,
    hardBytes: 2 ** 30,
  });
  fanout.addSink(hub);
  const recorded: Recorded[] = [];
  const open = (name: string, encoding: 'sse' | 'stream', query: string, headers: Record<string, string> = {}) => {
    const res = new RecordingResponse();
    hub.open(res as unknown as HttpResponse, request(query, headers), encoding);
    recorded.push({ name, res });
  };
  const session = (index: number) => [...sessions][index]!;
  const lastSseId = (res: RecordingResponse) =>
    [
      ...res
        .bytes()
        .toString('utf8')
        .matchAll(/^id: (.*)$/gm),
    ].at(-1)![1]!;

  open('sse', 'sse', 'symbols=AAPL,MSFT,EURUSD&history=3');
  open('stream', 'stream', 'symbols=MSFT,BTCUSD&history=0');
  open('sse-compact', 'sse', 'symbols=EURUSD,ETHUSD&compact=1');
  open('stream-compact', 'stream', 'symbols=AAPL,NVDA&compact=1&history=2');
  open('sse-empty', 'sse', '');
  const tickers = universe.map((i) => i.ticker);
  let resumeFrom = '';
  for (let batch = 1; batch <= 60; batch++) {
    clock += 20;
    sim.advanceTo(clock, (t) => fanout.ingest(t));
    fanout.flush(clock);
    if (batch === 8) resumeFrom = lastSseId(recorded[0]!.res);
    if (batch === 10) subscriptions.handle(session(0), JSON.stringify({ op: 'unsubscribe', id: 4, symbols: ['MSFT'] }));
    if (batch === 15) subscriptions.handle(session(1), JSON.stringify({ op: 'subscribe', id: 5, symbols: [tickers[6]], history: 1, compact: true }));
    if (batch === 18) subscriptions.handle(session(4), JSON.stringify({ op: 'subscribe', id: 6, symbols: ['AAPL'], history: 0 }));
    if (batch === 20 || batch === 45) {
      for (const s of sessions) {
        s.send(
          encodeHeartbeat(
            fanout.epoch,
            clock,
            [...s.symbols].map((id) => ({ symbolId: id, seq: fanout.states[id]!.seq })),
          ),
        );
        s.probe?.();
      }
    }
    if (batch === 25) open('sse-resumed', 'sse', 'symbols=AAPL,MSFT,EURUSD&history=3', { 'last-event-id': resumeFrom });
    if (batch === 30) open('stream-resumed', 'stream', `symbols=AAPL,EURUSD&cursor=${resumeFrom}`);
    if (batch === 35) subscriptions.handle(session(2), JSON.stringify({ op: 'subscribe', id: 7, symbols: ['EURUSD'], compact: false }));
  }
  for (const s of [...sessions]) s.goAway(2500);
  hub.close();
  return recorded;
}

/** Events of a text/event-stream as docs/protocol.md describes ours: `id:` then `data:` lines, blank line. */
function sseEvents(text: string): Array<{ id: string; frames: Uint8Array[] }> {
  const events: Array<{ id: string; frames: Uint8Array[] }> = [];
  for (const block of text.split('\n\n')) {
    const lines = block.split('\n').filter((l) => l !== '' && !l.startsWith(':') && !l.startsWith('retry: '));
    if (lines.length === 0) continue;
    const [idLine, ...data] = lines;
    expect(idLine).toMatch(/^id: e[0-9a-z]+(-[0-9a-z]+\.[0-9a-z]+(_[0-9a-z]+\.[0-9a-z]+)*)?$/);
    expect(data.length).toBeGreaterThan(0);
    events.push({
      id: idLine!.slice(4),
      frames: data.map((l) => {
        expect(l).toMatch(/^data: [A-Za-z0-9+/]+=*$/);
        return new Uint8Array(Buffer.from(l.slice(6), 'base64'));
      }),
    });
  }
  return events;
}

/** Frames of a binary stream: u32 LE length, then that many bytes, to the end. */
function streamFrames(bytes: Buffer): Uint8Array[] {
  const frames: Uint8Array[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const length = bytes.readUInt32LE(offset);
    expect(offset + 4 + length).toBeLessThanOrEqual(bytes.length);
    frames.push(new Uint8Array(bytes.subarray(offset + 4, offset + 4 + length)));
    offset += 4 + length;
  }
  return frames;
}

/** Digests of the bytes each client received, recorded from the server before the stream path was optimised. */
const GOLDEN: Record<string, { bytes: number; sha256: string }> = {
  sse: { bytes: 24361, sha256: 'f1008e8084ce4aac3dca986ffc887f52a4cfee3e54d55c18a80197ba414b5fef' },
  stream: { bytes: 5687, sha256: 'da60d755670b7c15303f9df46c2eed0df9cc4e145a621cf6f78e25230c3fe17d' },
  'sse-compact': { bytes: 10956, sha256: '2f187c7bc79e9e7cbff5d7ba9f3e28b5bb2d501042470d927bfdd4064030a0ee' },
  'stream-compact': { bytes: 4814, sha256: 'e04b8fe3fa30bf5829e1ae5ceff18c8985b095a0e102865db09a9848e7f978b0' },
  'sse-empty': { bytes: 9363, sha256: '8e5c8e4a87954ec36c3fcb776781394543dec4953104e1a2f900231785abfdcb' },
  'sse-resumed': { bytes: 20833, sha256: '045c38fcdc4cfc66b5e77a793ff980dd4827b264ee3126612dd91234f5edb4fa' },
  'stream-resumed': { bytes: 11672, sha256: '18cdfd6ffda7d1daf67d41baa60b9276a21d0aea23c723ffa6abd3abd566d1d7' },
};

describe('HTTP stream bytes', () => {
  const recorded = runScenario();

  it('are well-formed SSE events and length-prefixed frames, with every kind of frame', () => {
    const types = new Set<number>();
    for (const { name, res } of recorded) {
      const frames = name.startsWith('sse') ? sseEvents(res.bytes().toString('utf8')).flatMap((e) => e.frames) : streamFrames(res.bytes());
      expect(frames.length, name).toBeGreaterThan(2);
      for (const f of frames) {
        const decoded = decodeFrame(f);
        expect(decoded.ok, `${name}: ${decoded.ok ? '' : decoded.error}`).toBe(true);
        types.add(f[1]!);
      }
      expect(res.ended, name).toBe(true);
    }
    // The scenario reaches the paths it means to: replay on resume, both encodings on a switched stream.
    const typesOf = (name: string) => {
      const res = recorded.find((r) => r.name === name)!.res;
      const frames = name.startsWith('sse') ? sseEvents(res.bytes().toString('utf8')).flatMap((e) => e.frames) : streamFrames(res.bytes());
      return frames.map((f) => f[1]);
    };
    expect(typesOf('sse-resumed').slice(0, 2)).toEqual([FrameType.Hello, FrameType.Updates]);
    expect(typesOf('stream-resumed').slice(0, 2)).toEqual([FrameType.Hello, FrameType.Updates]);
    expect(typesOf('sse-compact')).toEqual(expect.arrayContaining([FrameType.Updates, FrameType.UpdatesCompact]));
    for (const t of [FrameType.Hello, FrameType.Snapshot, FrameType.Updates, FrameType.UpdatesCompact, FrameType.Heartbeat, FrameType.Ack]) {
      expect(types.has(t), `frame type ${t}`).toBe(true);
    }
  });

  it('are byte for byte what the server sent before its stream path was optimised', () => {
    const digests = Object.fromEntries(
      recorded.map(({ name, res }) => [name, { bytes: res.bytes().length, sha256: createHash('sha256').update(res.bytes()).digest('hex') }]),
    );
    expect(digests).toEqual(GOLDEN);
  });
});
