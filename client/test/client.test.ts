// connect() (client/src/client.ts) over scripted transports and fake timers: the first attempt carries
// what was subscribed synchronously, events arrive decoded and stop when unsubscribed, refusals and
// server closes are typed errors, a dropped connection resumes with a cursor, close() ends everything.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { encodeError, encodeHello, encodeSnapshot, encodeUpdates } from '@tickwire/protocol/codec';
import { CloseCode, ErrorCode } from '@tickwire/protocol/codes';
import type { EpochMs, PriceTicks, SizeLots } from '@tickwire/protocol/units';
import { connect, TickwireError, type ConnectionStatus, type PriceTick, type SnapshotEvent } from '../src/index.js';
import type { Transport, TransportHandlers, TransportKind, TransportOptions } from '../src/transport/types.js';

const EPOCH = 4;

class Scripted implements Transport {
  sent: Array<{ op: string; symbols: string[]; id: number }> = [];
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
    this.handlers.frame(encodeHello(EPOCH, 0, { heartbeatMs: 1000, maxSymbols: 10, sessionId: 's', serverId: 'x' }));
  }
  snapshot(ticker: string, id: number, seq: number, last: number): void {
    this.handlers.frame(
      encodeSnapshot(EPOCH, 0, {
        symbolId: id,
        ticker,
        priceScale: 2,
        sizeScale: 0,
        seq,
        lastTimeMs: 0 as EpochMs,
        last: last as PriceTicks,
        lastSize: 1 as SizeLots,
        bid: last as PriceTicks,
        ask: last as PriceTicks,
        open: last as PriceTicks,
        high: last as PriceTicks,
        low: last as PriceTicks,
        volume: 0,
        sessionStartMs: 0 as EpochMs,
        candles: [],
      }),
    );
  }
  tick(id: number, seq: number, price: number): void {
    const p = price as PriceTicks;
    this.handlers.frame(encodeUpdates(EPOCH, 0, [{ symbolId: id, flags: 0, seq, eventTimeMs: 0 as EpochMs, price: p, size: 3 as SizeLots, bid: p, ask: p }]));
  }
}

function setup() {
  const transports: Scripted[] = [];
  const c = connect('http://h:1', {
    createTransport: (kind, options, handlers) => {
      const t = new Scripted(kind, options, handlers);
      transports.push(t);
      return t;
    },
    random: () => 0.5,
  });
  return { c, transports, last: () => transports.at(-1)! };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('connect()', () => {
  it('opens after the synchronous setup, with what was subscribed, and delivers decoded events until unsubscribed', async () => {
    const { c, transports, last } = setup();
    const statuses: ConnectionStatus['state'][] = [];
    const snapshots: SnapshotEvent[] = [];
    const ticks: PriceTick[] = [];
    c.on('status', (s) => statuses.push(s.state));
    c.on('snapshot', (s) => snapshots.push(s));
    const off = c.on('ticks', (batch) => ticks.push(...batch));
    c.subscribe(['AAPL', 'MSFT'], { history: 20 });
    expect(transports).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(0);
    expect(transports).toHaveLength(1);
    expect(last().kind).toBe('ws');
    expect(last().options).toMatchObject({ symbols: ['AAPL', 'MSFT'], history: 20 });
    last().hello();
    last().snapshot('AAPL', 1, 5, 19_000);
    last().tick(1, 6, 19_012);
    expect(statuses).toEqual(['connecting', 'live']);
    expect(snapshots.map((s) => [s.ticker, s.last])).toEqual([['AAPL', 190]]);
    expect(ticks.length).toBeGreaterThan(0);
    expect(ticks.map((t) => [t.ticker, t.price, t.size])).toEqual([['AAPL', 190.12, 3]]);
    off();
    last().tick(1, 7, 19_013);
    expect(ticks).toHaveLength(1);
    expect(c.symbol('AAPL')).toMatchObject({ ready: true, seq: 7, priceScale: 2, stale: null });
    c.unsubscribe(['MSFT']);
    expect(last().sent.at(-1)).toMatchObject({ op: 'unsubscribe', symbols: ['MSFT'] });
    expect(c.symbols()).toEqual(['AAPL']);
    c.close();
  });

  it('reports refusals and server closes as typed errors with protocol codes', async () => {
    const { c, last } = setup();
    const errors: TickwireError[] = [];
    c.on('error', (e) => errors.push(e));
    c.subscribe(['AAPL']);
    await vi.advanceTimersByTimeAsync(0);
    last().hello();
    c.subscribe(['NOPE']);
    const request = last().sent.at(-1)!;
    last().handlers.frame(encodeError(EPOCH, 0, ErrorCode.UnknownSymbol, request.id, 'unknown symbol NOPE'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(TickwireError);
    expect(errors[0]).toMatchObject({ kind: 'refused', code: ErrorCode.UnknownSymbol, symbols: ['NOPE'], symbolsRejected: true, codeName: 'UnknownSymbol' });
    expect(c.symbol('NOPE')?.rejected).toBe('unknown symbol NOPE');
    last().handlers.closed({ opened: true, reached: true, code: CloseCode.TokenExpired, reason: 'token expired' });
    expect(errors[1]).toMatchObject({ kind: 'closed', code: CloseCode.TokenExpired, tokenExpired: true });
    c.close();
  });

  it('reconnects after a drop with a resume cursor of what it holds, and close() stops for good', async () => {
    const { c, transports, last } = setup();
    c.subscribe(['AAPL']);
    await vi.advanceTimersByTimeAsync(0);
    last().hello();
    last().snapshot('AAPL', 1, 5, 19_000);
    last().tick(1, 6, 19_010);
    last().handlers.closed({ opened: true, reached: true, code: CloseCode.GoingAway, reason: 'restart; retry-after-ms=700' });
    await vi.advanceTimersByTimeAsync(699);
    expect(transports).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(transports).toHaveLength(2);
    expect(last().options.resume).toBe(`e${EPOCH.toString(36)}-1.${(6).toString(36)}`);
    c.close();
    expect(last().closed).toBe(true);
    expect(c.status.state).toBe('stopped');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(transports).toHaveLength(2);
  });
});
