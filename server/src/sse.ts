// Server-Sent Events transport: GET /sse?symbols=A,B&history=N streams the same binary frames as /ws,
// base64-encoded, one event per batch (one data line per frame) with a resume cursor as its id.
// POST /sse/control?session=ID takes the WebSocket's JSON control messages, so a browser changes its
// subscriptions on the open stream without losing continuity. uWS puts no cap on what an HTTP response
// buffers, so this file enforces one.
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { encodeHello } from '../../protocol/src/codec.js';
import { CloseCode, ErrorCode } from '../../protocol/src/codes.js';
import { MAX_HISTORY, isTicker } from '../../protocol/src/control.js';
import { formatCursor } from '../../protocol/src/cursor.js';
import type { FrameSink } from './fanout.js';
import type { Metrics } from './metrics.js';
import { newSessionId, type Session, type SessionRegistry } from './sessions.js';
import type { Subscriptions } from './subscriptions.js';
import { MAX_CONTROL_BYTES } from './ws.js';
import { readBody, sendJson } from './http-util.js';

/** A stream whose unsent backlog passes this is ended; EventSource reconnects and resumes from its cursor. */
export const SSE_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
/** Comment lines keep proxies from timing out an idle stream (spec suggests ~15 s). */
export const SSE_KEEPALIVE_MS = 15_000;
/** Reconnection delay hint for EventSource. */
export const SSE_RETRY_MS = 1000;

function base64(frame: Uint8Array): string {
  return Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength).toString('base64');
}

class SseSession implements Session {
  readonly transport = 'sse' as const;
  readonly symbols = new Set<number>();
  /** Base64 frames collected during the current batch, written as one event at its end. */
  readonly batch: string[] = [];
  closed = false;
  private written = 0;

  constructor(
    readonly id: string,
    private readonly res: HttpResponse,
    private readonly hub: SseHub,
  ) {}

  send(frame: Uint8Array): void {
    this.event([base64(frame)]);
    this.hub.countFrame(frame);
  }

  /** Writes one event whose data lines are the given base64 frames; the id is the cursor after them. */
  event(frames: readonly string[]): void {
    if (this.closed) return;
    const id = formatCursor(this.hub.epoch(), this.cursorEntries());
    this.write(`id: ${id}\ndata: ${frames.join('\ndata: ')}\n\n`);
  }

  private *cursorEntries(): Generator<readonly [number, number]> {
    for (const id of this.symbols) yield [id, this.hub.seqOf(id)] as const;
  }

  write(text: string): void {
    if (this.closed) return;
    this.res.cork(() => {
      this.res.write(text);
    });
    this.written += Buffer.byteLength(text);
    // What uWS holds for us = what we wrote minus what reached the socket.
    if (this.written - this.res.getWriteOffset() > SSE_MAX_BUFFERED_BYTES) {
      this.hub.slowDisconnect();
      this.close(CloseCode.SlowConsumer, 'client too slow');
    }
  }

  attach(symbolId: number): void {
    this.hub.attach(this, symbolId);
  }

  detach(symbolId: number): void {
    this.hub.detach(this, symbolId);
  }

  close(_code: number, _reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.res.cork(() => this.res.end());
    this.hub.remove(this);
  }

  aborted(): void {
    this.closed = true;
    this.hub.remove(this);
  }
}

export interface SseDeps {
  sessions: SessionRegistry;
  subscriptions: Subscriptions;
  metrics: Metrics;
  epoch: () => number;
  seqOf: (symbolId: number) => number;
  now: () => number;
  hello: { heartbeatMs: number; maxSymbols: number; serverId: string };
  defaultHistory: number;
}

export class SseHub implements FrameSink {
  private readonly bySymbol = new Map<number, Set<SseSession>>();
  private readonly pending = new Set<SseSession>();
  private readonly keepalive: NodeJS.Timeout;

  constructor(private readonly deps: SseDeps) {
    this.keepalive = setInterval(() => {
      for (const s of deps.sessions) if (s instanceof SseSession) s.write(': keepalive\n\n');
    }, SSE_KEEPALIVE_MS);
    this.keepalive.unref();
  }

  epoch(): number {
    return this.deps.epoch();
  }

  seqOf(symbolId: number): number {
    return this.deps.seqOf(symbolId);
  }

  publish(symbolId: number, frame: Uint8Array): void {
    const receivers = this.bySymbol.get(symbolId);
    if (receivers === undefined || receivers.size === 0) return;
    const text = base64(frame);
    for (const s of receivers) {
      s.batch.push(text);
      this.pending.add(s);
    }
    this.deps.metrics.framesSent.inc({ transport: 'sse', type: frame[1]! }, receivers.size);
    this.deps.metrics.bytesSent.inc({ transport: 'sse' }, text.length * receivers.size);
  }

  endOfBatch(): void {
    for (const s of this.pending) {
      s.event(s.batch);
      s.batch.length = 0;
    }
    this.pending.clear();
  }

  countFrame(frame: Uint8Array): void {
    this.deps.metrics.framesSent.inc({ transport: 'sse', type: frame[1]! });
    this.deps.metrics.bytesSent.inc({ transport: 'sse' }, Math.ceil(frame.length / 3) * 4);
  }

  slowDisconnect(): void {
    this.deps.metrics.slowDisconnects.inc({ transport: 'sse' });
  }

  attach(session: SseSession, symbolId: number): void {
    let set = this.bySymbol.get(symbolId);
    if (!set) this.bySymbol.set(symbolId, (set = new Set()));
    set.add(session);
  }

  detach(session: SseSession, symbolId: number): void {
    this.bySymbol.get(symbolId)?.delete(session);
  }

  remove(session: SseSession): void {
    for (const id of session.symbols) this.detach(session, id);
    this.pending.delete(session);
    this.deps.sessions.remove(session);
  }

  close(): void {
    clearInterval(this.keepalive);
  }

  /** GET /sse */
  open(res: HttpResponse, req: HttpRequest): void {
    const { subscriptions } = this.deps;
    const symbolsParam = req.getQuery('symbols') ?? '';
    const historyParam = req.getQuery('history') ?? '';
    const tickers = symbolsParam === '' ? [] : symbolsParam.split(',');
    const problems: string[] = [];
    const ids: number[] = [];
    for (const t of tickers) {
      const id = isTicker(t) ? subscriptions.symbolId(t) : undefined;
      if (id === undefined) problems.push(t.slice(0, 20));
      else if (!ids.includes(id)) ids.push(id);
    }
    let history = this.deps.defaultHistory;
    if (historyParam !== '') {
      history = Number(historyParam);
      if (!/^\d+$/.test(historyParam) || history > MAX_HISTORY) {
        return sendJson(res, 400, { error: { code: ErrorCode.BadMessage, name: 'BadMessage', message: `history must be an integer in 0..${MAX_HISTORY}` } });
      }
    }
    // Refuse before the stream starts: a non-200 answer stops EventSource's retries, which is right for bad input.
    if (problems.length > 0) {
      return sendJson(res, 404, { error: { code: ErrorCode.UnknownSymbol, name: 'UnknownSymbol', message: `unknown symbol(s): ${problems.join(', ')}` } });
    }
    if (ids.length > this.deps.hello.maxSymbols) {
      return sendJson(res, 400, {
        error: { code: ErrorCode.TooManySymbols, name: 'TooManySymbols', message: `${ids.length} symbols; at most ${this.deps.hello.maxSymbols} per connection` },
      });
    }
    const session = new SseSession(newSessionId(), res, this);
    res.onAborted(() => session.aborted());
    this.deps.sessions.add(session);
    this.deps.metrics.connectionsOpened.inc({ transport: 'sse' });
    res.cork(() => {
      res.writeStatus('200 OK');
      res.writeHeader('Content-Type', 'text/event-stream; charset=utf-8');
      res.writeHeader('Cache-Control', 'no-cache, no-transform');
      res.writeHeader('X-Accel-Buffering', 'no');
      res.writeHeader('Connection', 'keep-alive');
      res.write(`retry: ${SSE_RETRY_MS}\n\n`);
    });
    session.send(encodeHello(this.deps.epoch(), this.deps.now(), { ...this.deps.hello, sessionId: session.id }));
    if (ids.length > 0) subscriptions.subscribe(session, ids, Math.min(history, MAX_HISTORY), null);
  }

  /** POST /sse/control?session=ID */
  control(res: HttpResponse, req: HttpRequest): void {
    const sessionId = req.getQuery('session') ?? '';
    readBody(res, MAX_CONTROL_BYTES, (body) => {
      if (body === null) {
        return sendJson(res, 413, { error: { name: 'TooLarge', message: `control body exceeds ${MAX_CONTROL_BYTES} bytes` } });
      }
      const session = this.deps.sessions.get(sessionId);
      if (!(session instanceof SseSession) || session.closed) {
        return sendJson(res, 404, { error: { name: 'UnknownSession', message: 'no open SSE stream has this session id; reconnect the stream first' } });
      }
      let text: string;
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(body);
      } catch {
        const outcome = this.deps.subscriptions.reject(session, ErrorCode.BadMessage, 0, 'control message is not valid UTF-8');
        return sendJson(res, 400, { error: { code: outcome.code, name: 'BadMessage', message: outcome.message } });
      }
      const outcome = this.deps.subscriptions.handle(session, text);
      if (outcome.ok) return sendJson(res, 200, { ok: true });
      return sendJson(res, 400, { error: { code: outcome.code, message: outcome.message } });
    });
  }
}

export function mountSse(app: TemplatedApp, deps: SseDeps): SseHub {
  const hub = new SseHub(deps);
  app.get('/sse', (res, req) => hub.open(res, req));
  app.post('/sse/control', (res, req) => hub.control(res, req));
  return hub;
}
