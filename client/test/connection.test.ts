// Connection manager policy with fake transports and fake time: fallback, attempt ids, backoff,
// resubscription, control messages (client/src/connection.ts).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { encodeAck, encodeError, encodeHeartbeat, encodeHello } from '@tickwire/protocol/codec';
import { AckOp, FrameType, type FrameHeader, type HelloFrame } from '@tickwire/protocol/messages';
import { ErrorCode } from '@tickwire/protocol/codes';
import { ConnectionManager, closeInWords, unreachable, type ConnectionStatus, type FrameSink } from '../src/connection.js';
import type { TransportPreference } from '../src/transport/policy.js';
import type { Transport, TransportHandlers, TransportKind, TransportOptions } from '../src/transport/types.js';

class FakeTransport implements Transport {
  sent: unknown[] = [];
  closed = false;
  constructor(
    readonly kind: TransportKind,
    readonly options: TransportOptions,
    readonly handlers: TransportHandlers,
  ) {}
  control(text: string): void {
    this.sent.push(JSON.parse(text));
  }
  close(): void {
    this.closed = true;
  }
  hello(): void {
    this.handlers.open();
    this.handlers.frame(encodeHello(7, Date.now(), { heartbeatMs: 1000, maxSymbols: 100, sessionId: `s-${this.kind}`, serverId: 'srv' }));
  }
  drop(code = 1001, reason = 'going away'): void {
    this.handlers.closed({ opened: true, reached: true, code, reason });
  }
  /** `reached`: the server answered with an error status (true) or could not be reached at all (false). */
  refuse(reached = true): void {
    this.handlers.closed({ opened: false, reached, code: null, reason: 'refused' });
  }
}

function setup(options: { preference?: TransportPreference; random?: () => number; cursor?: string | null } = {}) {
  const transports: FakeTransport[] = [];
  const frames: FrameHeader[] = [];
  const sessions: HelloFrame[] = [];
  const statuses: ConnectionStatus[] = [];
  const rejected: string[][] = [];
  const resumedFlags: boolean[] = [];
  const sink: FrameSink = {
    resumeCursor: () => options.cursor ?? null,
    sessionStarted: (h, resumed) => {
      sessions.push(h);
      resumedFlags.push(resumed);
    },
    frame: (_b, h) => frames.push(h),
  };
  const manager = new ConnectionManager({
    baseUrl: 'http://test',
    sink,
    createTransport: (kind, opts, handlers) => {
      const t = new FakeTransport(kind, opts, handlers);
      transports.push(t);
      return t;
    },
    preference: options.preference,
    random: options.random ?? (() => 0.5),
    onStatus: (s) => statuses.push(s),
    onRejected: (t) => rejected.push(t),
  });
  const latest = () => transports[transports.length - 1] as FakeTransport;
  return { manager, transports, frames, sessions, statuses, rejected, latest, resumedFlags };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('ConnectionManager', () => {
  it('opens a WebSocket first with the wanted symbols and goes live on Hello', () => {
    const { manager, latest, sessions } = setup();
    manager.setSymbols(['AAPL', 'MSFT']);
    manager.start();
    expect(latest().kind).toBe('ws');
    expect(latest().options.symbols).toEqual(['AAPL', 'MSFT']);
    expect(manager.snapshot.state).toBe('connecting');
    latest().hello();
    expect(manager.snapshot.state).toBe('live');
    expect(manager.snapshot.transport).toBe('ws');
    expect(sessions).toHaveLength(1);
  });

  it('falls back to SSE at once when the WebSocket cannot open', () => {
    const { manager, transports, latest } = setup();
    manager.start();
    latest().refuse();
    expect(manager.snapshot.retryAt).toBe(Date.now()); // no wait before the fallback
    vi.advanceTimersByTime(1);
    expect(transports.map((t) => t.kind)).toEqual(['ws', 'sse']);
    latest().hello();
    expect(manager.snapshot.state).toBe('fallback');
    expect(manager.snapshot.transport).toBe('sse');
  });

  it('falls back to SSE when the WebSocket opens but sends no Hello within 3 s', () => {
    const { manager, transports, latest } = setup();
    manager.start();
    latest().handlers.open();
    vi.advanceTimersByTime(2999);
    expect(transports).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(transports[0]?.closed).toBe(true);
    vi.advanceTimersByTime(1);
    expect(latest().kind).toBe('sse');
    expect(manager.snapshot.lastError).toMatch(/no Hello/);
  });

  it('ignores callbacks of dead attempts', () => {
    const { manager, transports, latest, sessions, frames } = setup();
    manager.start();
    const dead = latest();
    dead.refuse();
    vi.advanceTimersToNextTimer();
    const sse = latest();
    // The dead WebSocket "comes back": its frames and close must change nothing.
    dead.hello();
    dead.handlers.frame(encodeHeartbeat(7, 0, []));
    dead.drop();
    expect(sessions).toHaveLength(0);
    expect(frames).toHaveLength(0);
    expect(transports).toHaveLength(2);
    sse.hello();
    expect(manager.snapshot.state).toBe('fallback');
  });

  it('reconnects a dropped live WebSocket over WebSocket after a jittered delay and resubscribes', () => {
    const { manager, transports, latest, statuses } = setup({ random: () => 0.5 });
    manager.setSymbols(['AAPL', 'BTCUSD']);
    manager.start();
    latest().hello();
    latest().drop();
    expect(manager.snapshot.state).toBe('reconnecting');
    expect(transports).toHaveLength(1);
    vi.advanceTimersByTime(249);
    expect(transports).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(latest().kind).toBe('ws');
    expect(latest().options.symbols).toEqual(['AAPL', 'BTCUSD']);
    latest().hello();
    expect(manager.snapshot.state).toBe('live');
    expect(manager.snapshot.reconnects).toBe(1);
    expect(statuses.some((s) => s.state === 'reconnecting')).toBe(true);
  });

  it('walks WS → SSE → long poll → (backoff) → WS while the server is down, then recovers', () => {
    const { manager, transports, latest } = setup({ random: () => 0.999 });
    manager.start();
    latest().hello();
    latest().drop();
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      vi.advanceTimersToNextTimer();
      latest().refuse();
      delays.push((manager.snapshot.retryAt as number) - Date.now());
    }
    vi.advanceTimersToNextTimer();
    // ws failed → sse at once → long poll at once; all failed → back off (3 failures: < 2 s); ws → sse at once.
    expect(delays).toEqual([0, 0, 1998, 0]);
    expect(transports.map((t) => t.kind)).toEqual(['ws', 'ws', 'sse', 'longpoll', 'ws', 'sse']);
    latest().hello();
    expect(manager.snapshot.state).toBe('fallback');
  });

  it('falls back to long polling when WebSocket and SSE both stay silent, and stays on it', () => {
    const { manager, transports, latest } = setup();
    manager.setSymbols(['AAPL']);
    manager.start();
    vi.advanceTimersByTime(3000); // WebSocket: no Hello
    vi.advanceTimersByTime(1);
    expect(latest().kind).toBe('sse');
    vi.advanceTimersByTime(3000); // SSE: no Hello either (a proxy holding streamed responses)
    vi.advanceTimersByTime(1);
    expect(latest().kind).toBe('longpoll');
    expect(latest().options.symbols).toEqual(['AAPL']);
    latest().hello();
    expect(manager.snapshot).toMatchObject({ state: 'fallback', transport: 'longpoll' });
    latest().drop();
    vi.advanceTimersToNextTimer();
    expect(transports.map((t) => t.kind)).toEqual(['ws', 'sse', 'longpoll', 'longpoll']);
  });

  /** Delivers `releases` seconds of heartbeats the way a buffering proxy does: each second's 50 at once. */
  function bufferedSeconds(t: FakeTransport, releases: number, stillCurrent: () => boolean): number {
    let delivered = 0;
    for (let r = 0; r < releases && stillCurrent(); r++) {
      vi.advanceTimersByTime(1000);
      const sentFrom = Date.now() - 1000;
      for (let i = 0; i < 50 && stillCurrent(); i++) {
        t.handlers.frame(encodeHeartbeat(7, sentFrom + i * 20, []));
        delivered++;
      }
    }
    return delivered;
  }

  it('moves SSE that a proxy buffers to long polling at once, keeps every frame, and says why', () => {
    const { manager, transports, latest, frames } = setup();
    manager.setSymbols(['AAPL']);
    manager.start();
    latest().refuse();
    vi.advanceTimersByTime(1);
    const sse = latest();
    expect(sse.kind).toBe('sse');
    sse.hello();
    const delivered = bufferedSeconds(sse, 5, () => !sse.closed);
    // Two releases make the evidence: the third release's first frame tips it.
    expect(delivered).toBe(101);
    expect(frames.filter((f) => f.type === FrameType.Heartbeat)).toHaveLength(delivered);
    expect(sse.closed).toBe(true);
    vi.advanceTimersByTime(1);
    expect(transports.map((t) => t.kind)).toEqual(['ws', 'sse', 'longpoll']);
    expect(manager.snapshot.lastError).toMatch(/proxy on the path buffers the stream/);
    latest().hello();
    expect(manager.snapshot).toMatchObject({ state: 'fallback', transport: 'longpoll' });
    expect(manager.snapshot.lastError).toMatch(/buffers the stream/);
  });

  it('leaves a steady SSE stream and a forced SSE preference alone', () => {
    for (const preference of ['auto', 'sse'] as const) {
      const { manager, latest } = setup({ preference });
      manager.setSymbols(['AAPL']);
      manager.start();
      if (preference === 'auto') {
        latest().refuse();
        vi.advanceTimersByTime(1);
      }
      const sse = latest();
      expect(sse.kind).toBe('sse');
      sse.hello();
      if (preference === 'auto') {
        // Steady: one frame every 20 ms, on time.
        for (let i = 0; i < 250; i++) {
          vi.advanceTimersByTime(20);
          sse.handlers.frame(encodeHeartbeat(7, Date.now() - 3, []));
        }
      } else {
        // Forced SSE: the user asked for it, buffered or not.
        bufferedSeconds(sse, 5, () => true);
      }
      expect(latest()).toBe(sse);
      expect(sse.closed).toBe(false);
      manager.stop();
    }
  });

  it('treats a silent live connection as dead', () => {
    const { manager, transports, latest } = setup();
    manager.start();
    latest().hello();
    vi.advanceTimersByTime(2000);
    latest().handlers.frame(encodeHeartbeat(7, 0, []));
    vi.advanceTimersByTime(3900);
    expect(transports[0]?.closed).toBe(false);
    vi.advanceTimersByTime(200);
    expect(transports[0]?.closed).toBe(true);
    expect(manager.snapshot.lastError).toMatch(/no data/);
  });

  it('uses SSE only when forced', () => {
    const { manager, transports, latest } = setup({ preference: 'sse' });
    manager.start();
    expect(latest().kind).toBe('sse');
    latest().hello();
    expect(manager.snapshot.state).toBe('live');
    latest().drop();
    vi.advanceTimersToNextTimer();
    expect(transports.map((t) => t.kind)).toEqual(['sse', 'sse']);
  });

  it('switching preference reconnects immediately with the new transport', () => {
    const { manager, transports, latest } = setup();
    manager.start();
    latest().hello();
    manager.setPreference('sse');
    expect(transports[0]?.closed).toBe(true);
    expect(latest().kind).toBe('sse');
  });

  it('keeps server subscriptions equal to the watchlist', () => {
    const { manager, latest } = setup();
    manager.setSymbols(['AAPL']);
    manager.start();
    // Changes before the Hello are reconciled once the connection is up.
    manager.setSymbols(['AAPL', 'MSFT']);
    latest().hello();
    expect(latest().sent).toEqual([{ op: 'subscribe', symbols: ['MSFT'], id: expect.any(Number), history: 500 }]);
    manager.setSymbols(['MSFT', 'TSLA']);
    expect(latest().sent.slice(1)).toEqual([
      { op: 'unsubscribe', symbols: ['AAPL'], id: expect.any(Number) },
      { op: 'subscribe', symbols: ['TSLA'], id: expect.any(Number), history: 500 },
    ]);
  });

  it('resync re-subscribes carried symbols only (a subscribe of a held symbol brings a fresh snapshot)', () => {
    const { manager, latest } = setup();
    manager.setSymbols(['AAPL', 'MSFT']);
    manager.start();
    latest().hello();
    manager.resync(['MSFT', 'NOPE']);
    expect(latest().sent).toEqual([{ op: 'subscribe', symbols: ['MSFT'], id: expect.any(Number), history: 500 }]);
  });

  it('retries a refused multi-symbol subscribe one by one and reports only the culprit', () => {
    const { manager, latest, rejected, frames } = setup();
    manager.setSymbols(['AAPL', 'ZZZZ']);
    manager.start();
    const t = latest();
    t.hello();
    const initialId = t.options.requestId;
    t.handlers.frame(encodeError(7, 0, ErrorCode.UnknownSymbol, initialId, 'unknown symbol "ZZZZ"'));
    const retries = t.sent as Array<{ op: string; symbols: string[]; id: number }>;
    expect(retries.map((m) => m.symbols)).toEqual([['AAPL'], ['ZZZZ']]);
    t.handlers.frame(encodeAck(7, 0, retries[0]!.id, AckOp.Subscribe, [0]));
    t.handlers.frame(encodeError(7, 0, ErrorCode.UnknownSymbol, retries[1]!.id, 'unknown symbol "ZZZZ"'));
    expect(rejected).toEqual([['ZZZZ']]);
    expect(frames.filter((f) => f.type === FrameType.Error)).toHaveLength(2);
  });

  it('offers a resume cursor on reconnect and tells the sink the session resumed', () => {
    const { manager, latest, resumedFlags } = setup({ cursor: 'e7-3.2s' });
    manager.setSymbols(['MSFT']);
    manager.start();
    expect(latest().options.resume).toBe('e7-3.2s');
    latest().hello();
    expect(resumedFlags).toEqual([true]);
  });

  it('does not offer a cursor again after an attempt that carried one never got going', () => {
    const { manager, latest } = setup({ cursor: 'e7-3.2s', preference: 'sse' });
    manager.setSymbols(['MSFT']);
    manager.start();
    latest().refuse();
    vi.advanceTimersToNextTimer();
    expect(latest().options.resume).toBeUndefined();
    latest().hello();
    latest().drop();
    vi.advanceTimersToNextTimer();
    expect(latest().options.resume).toBe('e7-3.2s');
  });

  it('keeps the cursor while the server is down: unreachable attempts are no fault of it', () => {
    const { manager, latest } = setup({ cursor: 'e7-3.2s' });
    manager.setSymbols(['MSFT']);
    manager.start();
    latest().hello();
    latest().drop();
    // The server restarts: every transport of the chain finds nobody there, round after round.
    for (let i = 0; i < 6; i++) {
      vi.advanceTimersToNextTimer();
      expect(latest().options.resume).toBe('e7-3.2s');
      latest().refuse(false);
    }
    vi.advanceTimersToNextTimer();
    expect(latest().options.resume).toBe('e7-3.2s');
  });

  it('asks for plain snapshots when the server refuses the cursor', () => {
    const { manager, latest, rejected } = setup({ cursor: 'e7-3.2s' });
    manager.setSymbols(['AAPL', 'MSFT']);
    manager.start();
    const t = latest();
    t.hello();
    t.handlers.frame(encodeError(7, 0, ErrorCode.BadMessage, t.options.requestId, 'malformed cursor'));
    expect(t.sent).toEqual([{ op: 'subscribe', symbols: ['AAPL', 'MSFT'], id: expect.any(Number), history: 500 }]);
    expect(rejected).toEqual([]);
  });

  it('waits as long as a restarting server asks (1001 "retry-after-ms=N")', () => {
    const { manager, transports, latest } = setup({ random: () => 0 });
    manager.start();
    latest().hello();
    latest().drop(1001, 'restart; retry-after-ms=2345');
    expect((manager.snapshot.retryAt as number) - Date.now()).toBe(2345);
    vi.advanceTimersByTime(2344);
    expect(transports).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(transports).toHaveLength(2);
  });

  it('stop() closes the transport and cancels retries', () => {
    const { manager, transports, latest } = setup();
    manager.start();
    latest().refuse();
    manager.stop();
    vi.advanceTimersByTime(60_000);
    expect(transports).toHaveLength(1);
    expect(manager.snapshot.state).toBe('stopped');
  });
});

describe('when nothing can connect', () => {
  it('records the transports that failed, says unreachable once the whole chain failed, and forgets it when live', () => {
    const { manager, latest } = setup();
    manager.start();
    expect(unreachable(manager.snapshot)).toBe(false);
    latest().refuse();
    vi.advanceTimersByTime(1);
    latest().refuse();
    vi.advanceTimersByTime(1);
    expect(manager.snapshot.tried).toEqual(['ws', 'sse']);
    expect(unreachable(manager.snapshot)).toBe(false); // long polling not tried yet
    latest().refuse();
    expect(manager.snapshot.tried).toEqual(['ws', 'sse', 'longpoll']);
    expect(manager.snapshot.state).toBe('connecting');
    expect(unreachable(manager.snapshot)).toBe(true);
    vi.advanceTimersByTime(manager.snapshot.retryAt! - Date.now());
    latest().hello();
    expect(manager.snapshot.state).toBe('live');
    expect(manager.snapshot.tried).toEqual([]);
    expect(unreachable(manager.snapshot)).toBe(false);
  });

  it('a forced transport is unreachable after its own failure', () => {
    const { manager, latest } = setup({ preference: 'sse' });
    manager.start();
    latest().refuse();
    expect(manager.snapshot.tried).toEqual(['sse']);
    expect(unreachable(manager.snapshot)).toBe(true);
  });

  it('retryNow connects at once instead of after the backoff, and does nothing while live', () => {
    const { manager, transports, latest } = setup({ preference: 'ws', random: () => 0.99 });
    manager.start();
    latest().refuse();
    vi.advanceTimersByTime(1000);
    latest().refuse();
    const waiting = manager.snapshot.retryAt! - Date.now();
    expect(waiting).toBeGreaterThan(100);
    const before = transports.length;
    manager.retryNow();
    expect(transports.length).toBe(before + 1);
    expect(manager.snapshot.retryAt).toBeNull();
    latest().hello();
    manager.retryNow();
    expect(transports.length).toBe(before + 1);
    expect(manager.snapshot.state).toBe('live');
  });
});

describe('close reasons in words', () => {
  it('turns codes into what a user can act on', () => {
    expect(closeInWords({ code: 1001, reason: 'restart; retry-after-ms=2289' })).toBe('server restarting, back in 2 s');
    expect(closeInWords({ code: 1001, reason: '' })).toBe('server restarting');
    expect(closeInWords({ code: 4000, reason: 'slow consumer' })).toMatch(/fell too far behind/);
    expect(closeInWords({ code: 4001, reason: '' })).toBe('access token expired');
    expect(closeInWords({ code: 1006, reason: '' })).toBe('connection lost');
    expect(closeInWords({ code: 1009, reason: 'too big' })).toBe('the server refused a message (1009: too big)');
    expect(closeInWords({ code: null, reason: 'HTTP 503' })).toBe('HTTP 503');
  });

  it('a WebSocket dropped by a restart reports the human reason as lastError', () => {
    const { manager, latest } = setup();
    manager.start();
    latest().hello();
    latest().drop(1001, 'restart; retry-after-ms=2000');
    expect(manager.snapshot.lastError).toBe('WebSocket: server restarting, back in 2 s');
  });
});
