// HTTP streaming transports: one response that never ends, carrying the same frames as /ws.
//   GET /sse?symbols=A,B      Server-Sent Events: one event per batch, one base64 data line per frame,
//                             a resume cursor as every event's id (EventSource's Last-Event-ID resumes).
//   GET /stream?symbols=A,B   binary chunked body: each frame prefixed by its u32 LE length (no base64),
//                             for fetch() streaming readers.
// Both resume from a cursor (Last-Event-ID or ?cursor=), and change subscriptions on the open stream via
// POST /sse/control (or /stream/control) with the WebSocket's JSON, the stream's session id in the
// X-Tickwire-Session header (never the URL) and, with auth on, a token of the same subject. uWS puts no
// cap on what an HTTP response buffers, so this file enforces one. `compact=1` in the URL (or `compact` on
// a control POST) asks for compact Updates, shared per batch like the standard bytes.
import { STREAM_ROUTES, type StreamEncoding } from '@tickwire/protocol/routes';
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { HEADER_SIZE, encodeHeartbeat, encodeHello, visitTicks } from '@tickwire/protocol/codec';
import { CloseCode, ERROR_NAMES, ErrorCode } from '@tickwire/protocol/codes';
import { cursorEntry, cursorHead, formatCursor, joinCursor, parseCursor, type Cursor } from '@tickwire/protocol/cursor';
import { FrameType, HelloFlag } from '@tickwire/protocol/messages';
import { RateLimiter, type Refusal } from './admission.js';
import { onTokenExpiry } from './auth.js';
import type { CompactFrame, FrameSink } from '@tickwire/core/fanout';
import type { Lag } from './sessions.js';
import { backlogLimit } from './slow-consumer.js';
import { newSessionId, type Session } from './sessions.js';
import { CONTROL_BURST, CONTROL_PER_SECOND } from './subscriptions.js';
import { MAX_CONTROL_BYTES } from './ws.js';
import { readBody, sendJson, writeCommonHeaders } from './http-util.js';
import { StreamWriter, sseDataLine } from './stream-encoding.js';
import { parseSymbolQuery } from './symbol-query.js';
import type { TransportDeps } from './transport-deps.js';

/** Comment lines keep proxies from timing out an idle SSE stream (the spec suggests ~15 s). */
export const SSE_KEEPALIVE_MS = 15_000;
/** Reconnection delay hint for EventSource. */
export const SSE_RETRY_MS = 1000;

type Encoding = StreamEncoding;

/** `compact=1` asks for compact Updates, `0` or nothing for standard ones; anything else is refused. */
export function compactQuery(value: string | undefined): boolean | null {
  if (value === undefined || value === '' || value === '0') return false;
  return value === '1' ? true : null;
}

class StreamSession implements Session {
  readonly symbols = new Set<number>();
  /**
   * What the current batch brings this client, written at its end: SSE `data:` lines or bare frames (the
   * binary stream), each shared with every other client of the same symbol and encoding.
   */
  readonly batch: Uint8Array[] = [];
  lag: Lag | null = null;
  catchUpBytes = 0;
  closed = false;
  /** The hub picks each batch's encoding per stream when it publishes, so switching needs no re-attach. */
  compact = false;
  /**
   * The seq the client holds of each subscribed symbol that is not attached to the live batches (its
   * catch-up not written yet, or delivery paused): from the resume cursor, then from every Snapshot and
   * Updates frame written by send(). Attached symbols are at the published seq (see cursor()).
   */
  private readonly seen = new Map<number, number>();
  /** Until the URL's symbols are subscribed (the Hello event), the symbols the resume cursor names. */
  private resuming: ReadonlyMap<number, number> | null = null;
  /**
   * Bytes uWS holds for this response, from write() results: this uWS build does not advance
   * getWriteOffset() on streamed responses, and calls onWritable before draining its own buffer. A write
   * that returns true went straight to the kernel, so nothing was held; each refused write adds its size
   * (an upper bound: part of it may have gone out).
   */
  private backlog = 0;

  constructor(
    readonly id: string,
    readonly ip: string,
    readonly limiter: RateLimiter,
    readonly transport: Encoding,
    private readonly res: HttpResponse,
    private readonly hub: HttpStreamHub,
  ) {}

  send(frame: Uint8Array): void {
    this.noteSeqs(frame);
    this.flushBatch([this.transport === 'sse' ? sseDataLine(frame) : frame]);
    this.hub.countFrame(this.transport, frame);
  }

  /**
   * Writes a batch as ONE write: an SSE event (id = cursor after it, then the data lines) or the frames
   * as consecutive length-prefixed records.
   */
  flushBatch(pieces: ReadonlyArray<Uint8Array>): void {
    if (this.closed || pieces.length === 0) return;
    const writer = this.hub.writer;
    this.pendingWrite = this.transport === 'sse' ? writer.sseEvent(this.cursor(), pieces) : writer.records(pieces);
    this.res.cork(this.writePending);
    this.checkBacklog();
  }

  /** The bytes flushBatch() hands to writePending (a view of the hub's scratch buffer). */
  private pendingWrite: Uint8Array = new Uint8Array(0);
  /** Bound once: a closure per client per batch is measurable at thousands of streams. */
  private readonly writePending = (): void => this.track(this.res.write(this.pendingWrite), this.pendingWrite.length);

  writeText(text: string): void {
    if (this.closed) return;
    this.res.cork(() => this.track(this.res.write(text), text.length));
    this.checkBacklog();
  }

  private track(accepted: boolean, bytes: number): void {
    this.backlog = accepted ? 0 : this.backlog + bytes;
  }

  /**
   * Writes a few harmless bytes to learn whether uWS still holds data (a paused client gets no other
   * writes): an SSE comment line, or an empty Heartbeat frame on the binary stream.
   */
  probe(): void {
    if (this.closed) return;
    if (this.transport === 'sse') {
      this.writeText(':\n\n');
      return;
    }
    this.pendingWrite = this.hub.writer.records([encodeHeartbeat(this.hub.epoch(), this.hub.now(), [])]);
    this.res.cork(this.writePending);
  }

  /**
   * The resume cursor after this event: every subscribed symbol with the seq the client holds, so a
   * reconnect with it replays instead of re-snapshotting. A symbol whose first snapshot has not been
   * written yet (a gateway still syncing it) is left out: the client holds nothing of it.
   */
  private cursor(): string {
    if (this.resuming !== null) return formatCursor(this.hub.epoch(), this.resuming);
    const entries = this.cursorEntries;
    entries.length = 0;
    for (const id of this.symbols) {
      if (this.hub.isAttached(this, id)) entries.push(this.hub.cursorEntry(id));
      else {
        const seq = this.seen.get(id);
        if (seq !== undefined) entries.push(cursorEntry(id, seq));
      }
    }
    return joinCursor(this.hub.cursorHead(), entries);
  }

  private readonly cursorEntries: string[] = [];

  /** Called before the URL's symbols are subscribed: the resume cursor's seqs for those of them it names. */
  startResume(cursor: Cursor | null, ids: readonly number[], epoch: number): void {
    if (cursor === null || cursor.epoch !== epoch) return;
    const held = new Map<number, number>();
    for (const id of ids) {
      const seq = cursor.seqs.get(id);
      if (seq !== undefined) held.set(id, seq);
    }
    for (const [id, seq] of held) this.seen.set(id, seq);
    this.resuming = held;
  }

  endResume(): void {
    this.resuming = null;
  }

  /** Records the seqs a Snapshot or Updates frame brings the client to (our own frames: well-formed). */
  private noteSeqs(frame: Uint8Array): void {
    const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    if (frame[1] === FrameType.Snapshot) {
      this.seen.set(view.getUint16(HEADER_SIZE, true), view.getUint32(HEADER_SIZE + 4, true));
    } else if (frame[1] === FrameType.Updates || frame[1] === FrameType.UpdatesCompact) {
      visitTicks(frame, this.noteTick);
    }
  }

  private readonly noteTick = (t: { symbolId: number; seq: number }) => this.seen.set(t.symbolId, t.seq);

  /** What uWS holds for us (an upper bound; uWS puts no cap on it). */
  bufferedBytes(): number {
    return this.closed ? 0 : this.backlog;
  }

  private checkBacklog(): void {
    // Checked on every write too, not only by the policy's timer: nothing else bounds an HTTP response.
    if (this.bufferedBytes() > backlogLimit(this, this.hub.hardBytes)) this.close(CloseCode.SlowConsumer, 'client too slow');
  }

  attach(symbolId: number): void {
    if (this.lag === null) this.hub.attach(this, symbolId);
  }

  detach(symbolId: number): void {
    // Paused or unsubscribed: the client holds what the live batches brought it, the published seq.
    if (this.hub.isAttached(this, symbolId)) this.seen.set(symbolId, this.hub.seqOf(symbolId));
    this.hub.detach(this, symbolId);
  }

  goAway(retryAfterMs: number): void {
    // EventSource honours a retry field: the jitter spreads the reconnects of a restart.
    if (this.transport === 'sse') this.writeText(`retry: ${Math.round(retryAfterMs)}\n\n`);
    this.close(CloseCode.GoingAway, 'server shutting down');
  }

  close(code: number, _reason: string): void {
    if (this.closed) return;
    if (code === CloseCode.SlowConsumer) this.hub.slowDisconnect(this.transport);
    this.closed = true;
    this.res.cork(() => this.res.end());
    this.hub.remove(this);
  }

  aborted(): void {
    this.closed = true;
    this.hub.remove(this);
  }

  /** The token subject that opened the stream (null when auth is off): only it may steer the stream. */
  owner: string | null = null;
  /** Cancels the token-expiry close; called when the stream ends. */
  cancelExpiry: () => void = () => {};
}

/** Header carrying the stream's session id on control POSTs. */
export const SESSION_HEADER = 'x-tickwire-session';
const JSON_TYPE = /^application\/json\s*(;|$)/i;

export interface HttpStreamDeps extends TransportDeps {
  hardBytes: number;
}

export class HttpStreamHub implements FrameSink {
  private readonly bySymbol = new Map<number, Set<StreamSession>>();
  private readonly pending = new Set<StreamSession>();
  private readonly keepalive: NodeJS.Timeout;

  readonly hardBytes: number;
  /** Assembles every stream's writes in one reused buffer (uWS copies what it is given). */
  readonly writer = new StreamWriter();
  /** Cursor pieces of the published state, rebuilt only when the epoch or a symbol's seq moved. */
  private head = { epoch: -1, text: '' };
  private readonly entries: Array<{ seq: number; text: string }> = [];

  constructor(private readonly deps: HttpStreamDeps) {
    this.hardBytes = deps.hardBytes;
    this.keepalive = setInterval(() => {
      for (const s of deps.sessions) if (s instanceof StreamSession && s.transport === 'sse') s.writeText(': keepalive\n\n');
    }, SSE_KEEPALIVE_MS);
    this.keepalive.unref();
  }

  epoch(): number {
    return this.deps.epoch();
  }

  seqOf(symbolId: number): number {
    return this.deps.seqOf(symbolId);
  }

  now(): number {
    return this.deps.now();
  }

  cursorHead(): string {
    const epoch = this.deps.epoch();
    if (this.head.epoch !== epoch) this.head = { epoch, text: cursorHead(epoch) };
    return this.head.text;
  }

  /** The cursor entry of a symbol at its published seq: formatted once per batch, not once per client. */
  cursorEntry(symbolId: number): string {
    const seq = this.deps.seqOf(symbolId);
    let entry = this.entries[symbolId];
    if (entry === undefined) this.entries[symbolId] = entry = { seq, text: cursorEntry(symbolId, seq) };
    else if (entry.seq !== seq) {
      entry.seq = seq;
      entry.text = cursorEntry(symbolId, seq);
    }
    return entry.text;
  }

  publish(symbolId: number, frame: Uint8Array, compact: CompactFrame): void {
    const receivers = this.bySymbol.get(symbolId);
    if (receivers === undefined || receivers.size === 0) return;
    // Each SSE data line is produced once per frame and shared by every stream that wants it; binary
    // streams take the frame itself (its length prefix is written with the client's batch).
    let line: Uint8Array | undefined;
    let compactLine: Uint8Array | undefined;
    let sse = 0;
    let compactSse = 0;
    let compactStream = 0;
    for (const s of receivers) {
      if (s.compact) {
        if (s.transport === 'sse') {
          s.batch.push((compactLine ??= sseDataLine(compact.get())));
          compactSse++;
        } else {
          s.batch.push(compact.get());
          compactStream++;
        }
      } else if (s.transport === 'sse') {
        s.batch.push((line ??= sseDataLine(frame)));
        sse++;
      } else s.batch.push(frame);
      this.pending.add(s);
    }
    // Counted once per publish, not per receiver: label lookups are not free on this path.
    const stream = receivers.size - sse - compactSse - compactStream;
    if (sse > 0) this.countFrame('sse', frame, sse);
    if (stream > 0) this.countFrame('stream', frame, stream);
    if (compactSse > 0) this.countFrame('sse', compact.get(), compactSse);
    if (compactStream > 0) this.countFrame('stream', compact.get(), compactStream);
  }

  endOfBatch(): void {
    for (const s of this.pending) {
      s.flushBatch(s.batch);
      s.batch.length = 0;
    }
    this.pending.clear();
  }

  countFrame(transport: Encoding, frame: Uint8Array, receivers = 1): void {
    this.deps.metrics.framesSent.inc({ transport, type: frame[1]! }, receivers);
    const bytes = transport === 'sse' ? Math.ceil(frame.length / 3) * 4 : frame.length + 4;
    this.deps.metrics.bytesSent.inc({ transport }, bytes * receivers);
  }

  slowDisconnect(transport: Encoding): void {
    this.deps.metrics.slowDisconnects.inc({ transport });
  }

  attach(session: StreamSession, symbolId: number): void {
    let set = this.bySymbol.get(symbolId);
    if (!set) this.bySymbol.set(symbolId, (set = new Set()));
    set.add(session);
  }

  detach(session: StreamSession, symbolId: number): void {
    this.bySymbol.get(symbolId)?.delete(session);
  }

  isAttached(session: StreamSession, symbolId: number): boolean {
    return this.bySymbol.get(symbolId)?.has(session) ?? false;
  }

  remove(session: StreamSession): void {
    for (const id of session.symbols) this.detach(session, id);
    this.pending.delete(session);
    session.cancelExpiry();
    this.deps.sessions.remove(session);
    this.deps.admission.closed(session.ip);
  }

  close(): void {
    clearInterval(this.keepalive);
  }

  /** GET /sse and GET /stream */
  open(res: HttpResponse, req: HttpRequest, encoding: Encoding): void {
    const ip = this.deps.admission.clientIp(res, req);
    const admitted = this.deps.admission.admit(req, ip);
    if (!admitted.ok) return this.deps.admission.refuse(res, admitted.refusal);
    const query = parseSymbolQuery(req, this.deps.subscriptions, this.deps.hello.maxSymbols, this.deps.defaultHistory);
    // Refuse before the stream starts: a non-200 answer stops EventSource's retries, right for bad input.
    if (!query.ok) return sendJson(res, query.status, { error: query.error });
    let cursor: Cursor | null = null;
    const cursorText = req.getHeader('last-event-id') || req.getQuery('cursor') || '';
    if (cursorText !== '') {
      const parsed = parseCursor(cursorText, this.deps.hello.maxSymbols);
      if (!parsed.ok) {
        return sendJson(res, 400, { error: { code: ErrorCode.BadMessage, name: 'BadMessage', message: `bad resume cursor: ${parsed.error}` } });
      }
      cursor = parsed.value;
    }
    const compact = compactQuery(req.getQuery('compact'));
    if (compact === null) {
      return sendJson(res, 400, { error: { code: ErrorCode.BadMessage, name: 'BadMessage', message: 'compact must be 1 or 0' } });
    }
    const session = new StreamSession(newSessionId(), ip, new RateLimiter(CONTROL_BURST, CONTROL_PER_SECOND, this.deps.now()), encoding, res, this);
    session.compact = compact;
    res.onAborted(() => session.aborted());
    session.owner = admitted.claims?.sub ?? null;
    session.cancelExpiry = onTokenExpiry(admitted.claims, () => {
      if (session.closed) return;
      this.deps.metrics.tokenExpiries.inc({ transport: encoding });
      session.close(CloseCode.TokenExpired, 'token expired');
    });
    this.deps.sessions.add(session);
    this.deps.admission.opened(ip);
    this.deps.metrics.connectionsOpened.inc({ transport: encoding });
    res.cork(() => {
      res.writeStatus('200 OK');
      if (encoding === 'sse') {
        res.writeHeader('Content-Type', 'text/event-stream; charset=utf-8');
        res.writeHeader('Cache-Control', 'no-cache, no-transform');
      } else {
        res.writeHeader('Content-Type', 'application/vnd.tickwire.frames');
        res.writeHeader('Cache-Control', 'no-store, no-transform');
      }
      res.writeHeader('X-Accel-Buffering', 'no');
      writeCommonHeaders(res);
      res.writeHeader('Connection', 'keep-alive');
    });
    if (encoding === 'sse') session.writeText(`retry: ${SSE_RETRY_MS}\n\n`);
    session.startResume(cursor, query.ids, this.deps.epoch());
    session.send(encodeHello(this.deps.epoch(), this.deps.now(), { ...this.deps.hello, sessionId: session.id, flags: HelloFlag.Compact }));
    session.endResume();
    if (query.ids.length > 0) this.deps.subscriptions.subscribe(session, query.ids, query.history, null, cursor);
  }

  /**
   * POST /sse/control (and /stream/control): the same Host, Origin and token checks as the stream, JSON
   * only (a browser cannot send that cross-origin without a CORS preflight, which this server never
   * grants), and addressed by the X-Tickwire-Session header: the session id is the stream's capability,
   * handed out only in the stream's own Hello, so it must not travel in URLs (logs, Referer). With auth
   * on, the token's subject must also be the stream's.
   */
  control(res: HttpResponse, req: HttpRequest, encoding: Encoding): void {
    const admission = this.deps.admission;
    const refuse = (status: number, name: string, message: string) => admission.refuse(res, { status, name, message } satisfies Refusal);
    const admitted = admission.authorize(req);
    if (!admitted.ok) return admission.refuse(res, admitted.refusal);
    if (!JSON_TYPE.test(req.getHeader('content-type'))) {
      return refuse(415, 'UnsupportedMediaType', 'control posts need Content-Type: application/json');
    }
    if (req.getQuery('session') !== undefined) {
      return refuse(400, 'SessionInUrl', `send the session id in the X-Tickwire-Session header, never in the URL (URLs end up in logs)`);
    }
    const sessionId = req.getHeader(SESSION_HEADER);
    const session = this.deps.sessions.get(sessionId);
    if (!(session instanceof StreamSession) || session.closed || session.transport !== encoding) {
      return refuse(404, 'UnknownSession', `no open ${encoding} stream has this session id (X-Tickwire-Session); reconnect the stream first`);
    }
    if (session.owner !== null && session.owner !== admitted.claims?.sub) {
      return refuse(403, 'NotSessionOwner', 'this stream was opened with another token subject');
    }
    readBody(res, MAX_CONTROL_BYTES, (body) => {
      if (body === null) {
        return sendJson(res, 413, { error: { name: 'TooLarge', message: `control body exceeds ${MAX_CONTROL_BYTES} bytes` } });
      }
      if (session.closed) {
        return sendJson(res, 404, {
          error: { name: 'UnknownSession', message: 'the stream ended while the control body arrived; reconnect the stream first' },
        });
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
      return sendJson(res, 400, {
        error: { code: outcome.code, name: ERROR_NAMES[outcome.code ?? ErrorCode.Internal] ?? 'BadMessage', message: outcome.message },
      });
    });
  }
}

export function mountHttpStreams(app: TemplatedApp, deps: HttpStreamDeps, encodings: readonly Encoding[]): HttpStreamHub {
  const hub = new HttpStreamHub(deps);
  for (const encoding of encodings) {
    app.get(STREAM_ROUTES[encoding].stream, (res, req) => hub.open(res, req, encoding));
    app.post(STREAM_ROUTES[encoding].control, (res, req) => hub.control(res, req, encoding));
  }
  return hub;
}
