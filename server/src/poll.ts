// Polling transports at GET /poll?symbols=A,B&cursor=C&wait=MS. Stateless on the server: the client's
// cursor (epoch + last seq per symbol) says what it has; the answer carries every frame it lacks (missed
// ticks from the resume window, or a snapshot) as length-prefixed binary frames, and the next cursor in
// X-Tickwire-Cursor. wait=0 is short polling (answer now, possibly empty); wait>0 is long polling (RFC
// 6202): the request is held until data exists or the wait passes. Held requests are bounded in number
// and time and released on abort and on shutdown. `compact=1` answers missed ticks as compact Updates.
import { Route } from '@tickwire/protocol/routes';
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { encodeHeartbeat, encodeHello } from '@tickwire/protocol/codec';
import { ErrorCode } from '@tickwire/protocol/codes';
import { formatCursor, parseCursor, type Cursor } from '@tickwire/protocol/cursor';
import { joinFrames } from '@tickwire/protocol/framing';
import type { FrameSink } from '@tickwire/core/fanout';
import { HelloFlag } from '@tickwire/protocol/messages';
import { compactQuery } from './http-stream.js';
import { endBody, sendJson, statusLine, writeCommonHeaders } from './http-util.js';
import { parseSymbolQuery } from './symbol-query.js';
import type { TransportDeps } from './transport-deps.js';

interface Waiter {
  res: HttpResponse;
  /** Client address: a held poll counts as one of its connections until answered. */
  ip: string;
  ids: number[];
  cursor: Cursor | null;
  history: number;
  compact: boolean;
  timer: NodeJS.Timeout;
}

export interface PollDeps extends TransportDeps {
  maxWaitMs: number;
  maxHeld: number;
}

export class PollHub implements FrameSink {
  private readonly held = new Set<Waiter>();
  private readonly bySymbol = new Map<number, Set<Waiter>>();
  private readonly woken = new Set<Waiter>();
  private closing = false;

  constructor(private readonly deps: PollDeps) {}

  get heldCount(): number {
    return this.held.size;
  }

  publish(symbolId: number): void {
    const waiters = this.bySymbol.get(symbolId);
    if (waiters) for (const w of waiters) this.woken.add(w);
  }

  endOfBatch(): void {
    for (const w of this.woken) {
      this.release(w);
      this.answer(w.res, this.collect(w.ids, w.cursor, w.history, w.compact), w.ids);
    }
    this.woken.clear();
  }

  handle(res: HttpResponse, req: HttpRequest): void {
    const { deps } = this;
    // Host, Origin, token and both connection caps apply; a held poll counts as a connection of its
    // address while it is held (a short poll is answered at once and holds nothing).
    const allowed = deps.admission.authorize(req);
    if (!allowed.ok) return deps.admission.refuse(res, allowed.refusal);
    const ip = deps.admission.clientIp(res, req);
    const refusal = deps.admission.capRefusal(ip);
    if (refusal) return deps.admission.refuse(res, refusal);
    // A held poll is answered (empty) when its token expires: the next poll is refused with TokenExpired.
    const tokenLeftMs = allowed.claims === null ? Infinity : Math.max(0, allowed.claims.exp * 1000 - Date.now());
    const query = parseSymbolQuery(req, deps.subscriptions, deps.hello.maxSymbols, deps.defaultHistory);
    if (!query.ok) return sendJson(res, query.status, { error: query.error });
    if (query.ids.length === 0) {
      return sendJson(res, 400, { error: { code: ErrorCode.BadMessage, name: 'BadMessage', message: 'name at least one symbol: /poll?symbols=AAPL' } });
    }
    const waitText = req.getQuery('wait') ?? '';
    const wait = waitText === '' ? 0 : Number(waitText);
    if (!/^\d*$/.test(waitText) || wait > deps.maxWaitMs) {
      return sendJson(res, 400, { error: { code: ErrorCode.BadMessage, name: 'BadMessage', message: `wait must be an integer in 0..${deps.maxWaitMs} ms` } });
    }
    const compact = compactQuery(req.getQuery('compact'));
    if (compact === null) return sendJson(res, 400, { error: { code: ErrorCode.BadMessage, name: 'BadMessage', message: 'compact must be 1 or 0' } });
    let cursor: Cursor | null = null;
    const cursorText = req.getQuery('cursor') ?? '';
    if (cursorText !== '') {
      const parsed = parseCursor(cursorText, deps.hello.maxSymbols);
      if (!parsed.ok) return sendJson(res, 400, { error: { code: ErrorCode.BadMessage, name: 'BadMessage', message: `bad cursor: ${parsed.error}` } });
      cursor = parsed.value;
    }
    deps.metrics.connectionsOpened.inc({ transport: 'poll' });
    // A gateway syncs symbols it does not hold yet from the feed first (a poll keeps them for a while).
    const ids = query.ids;
    const history = query.history;
    const held = Math.min(wait, tokenLeftMs);
    if (!deps.subscriptions.prepare(ids, () => this.serve(res, ip, ids, cursor, history, held, compact))) {
      res.onAborted(() => {
        res.done = true;
      });
      return;
    }
    this.serve(res, ip, ids, cursor, history, held, compact);
  }

  private serve(res: HttpResponse, ip: string, ids: number[], cursor: Cursor | null, history: number, wait: number, compact: boolean): void {
    if (res.done) return;
    const { deps } = this;
    // The poll's catch-up is charged to its address's snapshot byte budget (snapshot-budget.ts).
    const frames = deps.subscriptions.pollCatchUp(ip, ids, cursor, history, deps.now(), compact);
    if (frames === null) {
      const message = "this poll's snapshots exceed the snapshot byte budget of this address; retry shortly or poll with a cursor";
      return sendJson(res, 429, { error: { code: ErrorCode.RateLimited, name: 'RateLimited', message } }, { 'Retry-After': '1' });
    }
    if (cursor === null) frames.unshift(encodeHello(deps.epoch(), deps.now(), { ...deps.hello, sessionId: '', flags: HelloFlag.Compact }));
    if (frames.length > 0 || wait === 0 || this.closing) return this.answer(res, frames, ids);
    if (this.held.size >= deps.maxHeld) {
      return deps.admission.refuse(res, { status: 503, name: 'Busy', message: `${deps.maxHeld} long polls are already held; retry shortly`, retryAfterSec: 1 });
    }
    const waiter: Waiter = {
      res,
      ip,
      ids,
      cursor,
      history,
      compact,
      timer: setTimeout(() => {
        this.release(waiter);
        // Nothing arrived: an empty answer with a heartbeat, so the client still learns the latest seqs.
        this.answer(res, [this.heartbeat(waiter.ids)], waiter.ids);
      }, wait),
    };
    res.onAborted(() => {
      res.done = true;
      this.release(waiter);
    });
    this.held.add(waiter);
    deps.admission.opened(waiter.ip);
    for (const id of ids) {
      let set = this.bySymbol.get(id);
      if (!set) this.bySymbol.set(id, (set = new Set()));
      set.add(waiter);
    }
    deps.sessions.counts.poll = this.held.size;
  }

  /** Answers every held request (shutdown): 503 with Retry-After, so clients back off and come back. */
  close(): void {
    this.closing = true;
    for (const w of [...this.held]) {
      this.release(w);
      sendJson(w.res, 503, { error: { name: 'ShuttingDown', message: 'server shutting down; retry shortly' } }, { 'Retry-After': '1', Connection: 'close' });
    }
  }

  private collect(ids: readonly number[], cursor: Cursor | null, history: number, compact: boolean): Uint8Array[] {
    const now = this.deps.now();
    const frames: Uint8Array[] = [];
    for (const id of ids) {
      const frame = this.deps.subscriptions.catchUp(id, cursor, history, now, compact);
      if (frame !== null) frames.push(frame);
    }
    return frames;
  }

  private heartbeat(ids: readonly number[]): Uint8Array {
    return encodeHeartbeat(
      this.deps.epoch(),
      this.deps.now(),
      ids.map((symbolId) => ({ symbolId, seq: this.deps.seqOf(symbolId) })),
    );
  }

  private release(w: Waiter): void {
    if (!this.held.delete(w)) return;
    this.deps.admission.closed(w.ip);
    clearTimeout(w.timer);
    for (const id of w.ids) this.bySymbol.get(id)?.delete(w);
    this.woken.delete(w);
    this.deps.sessions.counts.poll = this.held.size;
  }

  private answer(res: HttpResponse, frames: readonly Uint8Array[], ids: readonly number[]): void {
    if (res.done) return;
    res.done = true;
    const cursor = formatCursor(
      this.deps.epoch(),
      ids.map((id) => [id, this.deps.seqOf(id)] as const),
    );
    const body = joinFrames(frames);
    for (const f of frames) this.deps.metrics.framesSent.inc({ transport: 'poll', type: f[1]! });
    this.deps.metrics.bytesSent.inc({ transport: 'poll' }, body.length);
    res.cork(() => {
      res.writeStatus(statusLine(200));
      res.writeHeader('Content-Type', 'application/vnd.tickwire.frames');
      res.writeHeader('Cache-Control', 'no-store');
      res.writeHeader('X-Tickwire-Cursor', cursor);
      writeCommonHeaders(res);
      endBody(res, body);
    });
  }
}

export function mountPolling(app: TemplatedApp, deps: PollDeps): PollHub {
  const hub = new PollHub(deps);
  app.get(Route.poll, (res, req) => hub.handle(res, req));
  return hub;
}
