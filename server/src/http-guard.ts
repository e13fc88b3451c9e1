// Makes every uWS handler total. guardApp() wraps a TemplatedApp so each route registration (HTTP and
// WebSocket) runs inside one guard: an exception answers 500 (or cuts the connection when the status line
// is already out, or closes a WebSocket with 1011) instead of reaching uWS, which aborts the process.
// The same guard rejects ambiguous framing uWS lets through (conflicting Content-Length, duplicate Host)
// and gives every GET route a HEAD twin that answers the GET's status and headers without a body.
import type { HttpRequest, HttpResponse, TemplatedApp, WebSocket, WebSocketBehavior } from 'uWebSockets.js';
import { sendJson } from './http-util.js';

/** Handler failures within this window per route are logged once, with a count of the suppressed ones. */
const ERROR_LOG_WINDOW_MS = 10_000;

export interface GuardDeps {
  /** Counts a failure (tickwire_handler_errors_total{route}). */
  count(route: string): void;
  log(fields: { route: string; suppressed: number; err: unknown }): void;
  now(): number;
}

type HttpHandler = (res: HttpResponse, req: HttpRequest) => void | Promise<void>;

/** What a guarded response knows about itself: whether anything reached the wire. */
interface Tracked {
  started: boolean;
  aborted: boolean;
}

export class HandlerErrorLog {
  private readonly byRoute = new Map<string, { lastMs: number; suppressed: number }>();
  constructor(private readonly deps: GuardDeps) {}

  note(route: string, err: unknown): void {
    this.deps.count(route);
    const t = this.deps.now();
    const entry = this.byRoute.get(route);
    if (entry !== undefined && t - entry.lastMs < ERROR_LOG_WINDOW_MS) {
      entry.suppressed++;
      return;
    }
    this.byRoute.set(route, { lastMs: t, suppressed: 0 });
    this.deps.log({ route, suppressed: entry?.suppressed ?? 0, err });
  }
}

/** Answers a failed request: 500 if nothing was written yet, otherwise the connection is cut. */
function failResponse(res: HttpResponse, state: Tracked): void {
  if (state.aborted) return;
  try {
    if (!state.started && !res.done) {
      sendJson(res, 500, { error: { name: 'Internal', message: 'the server failed to handle this request' } }, {}, true);
      return;
    }
  } catch {
    // The response could not be finished: fall through and cut it.
  }
  try {
    res.done = true;
    state.aborted = true;
    res.close();
  } catch {
    // Already gone (uWS invalidated it): nothing is left to answer.
  }
}

/**
 * Why a request must not be served: duplicate Host, or Content-Length headers that disagree or are not a
 * plain decimal (RFC 9112 §6.3: the framing is unknowable, so the rest of the bytes cannot be trusted).
 */
export function framingProblem(req: HttpRequest): string | null {
  let hosts = 0;
  let length: string | null = null;
  let problem: string | null = null;
  req.forEach((key, value) => {
    if (key === 'host') {
      hosts++;
      if (hosts > 1) problem ??= 'duplicate Host header';
    } else if (key === 'content-length') {
      const v = value.trim();
      if (!/^\d{1,15}$/.test(v)) problem ??= 'Content-Length is not a decimal number';
      else if (length !== null && length !== v) problem ??= 'conflicting Content-Length headers';
      length = v;
    } else if (key === 'transfer-encoding' && length !== null) {
      problem ??= 'both Content-Length and Transfer-Encoding';
    }
  });
  if (problem === null && length !== null) {
    let te = false;
    req.forEach((key) => {
      if (key === 'transfer-encoding') te = true;
    });
    if (te) problem = 'both Content-Length and Transfer-Encoding';
  }
  return problem;
}

/** Wraps the callbacks a handler registers on `res`, so failures after the handler returned are caught too. */
function trackResponse(res: HttpResponse, state: Tracked, fail: (err: unknown) => void): void {
  const onData = res.onData.bind(res);
  const onAborted = res.onAborted.bind(res);
  const onWritable = res.onWritable.bind(res);
  const writeStatus = res.writeStatus.bind(res);
  const writeHeader = res.writeHeader.bind(res);
  const write = res.write.bind(res);
  res.onData = (cb) =>
    onData((chunk, isLast) => {
      try {
        cb(chunk, isLast);
      } catch (err) {
        fail(err);
      }
    });
  res.onAborted = (cb) =>
    onAborted(() => {
      state.aborted = true;
      try {
        cb();
      } catch (err) {
        fail(err);
      }
    });
  res.onWritable = (cb) =>
    onWritable((offset) => {
      try {
        return cb(offset);
      } catch (err) {
        fail(err);
        return true;
      }
    });
  res.writeStatus = (status) => {
    state.started = true;
    return writeStatus(status);
  };
  res.writeHeader = (key, value) => {
    state.started = true;
    return writeHeader(key, value);
  };
  res.write = (chunk) => {
    state.started = true;
    return write(chunk);
  };
}

/**
 * A view of `res` for HEAD: the GET handler runs unchanged, and the first body byte (or the end) becomes
 * the end of a body-less answer. After that every call is a no-op and the handler's onAborted runs, so a
 * streaming route (SSE, stream, held poll) releases what it opened.
 */
function headView(res: HttpResponse): HttpResponse {
  let finished = false;
  let aborted: (() => void) | null = null;
  const finish = (length: number | null) => {
    if (finished) return;
    finished = true;
    if (length !== null) res.writeHeader('Content-Length', String(length));
    res.endWithoutBody();
    res.done = true;
    const release = aborted;
    aborted = null;
    release?.();
  };
  const view: Record<string | symbol, unknown> = {
    end(body?: string | ArrayBuffer | ArrayBufferView) {
      if (!finished) finish(body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength);
      return view;
    },
    endWithoutBody(length?: number) {
      if (!finished) finish(length ?? null);
      return view;
    },
    tryEnd(_body: string | ArrayBuffer | ArrayBufferView, total: number) {
      if (!finished) finish(total);
      return [true, true];
    },
    write() {
      if (!finished) finish(null);
      return true;
    },
    writeStatus(status: string) {
      if (!finished) res.writeStatus(status);
      return view;
    },
    writeHeader(key: string, value: string) {
      if (!finished && key.toLowerCase() !== 'content-length') res.writeHeader(key, value);
      return view;
    },
    cork(cb: () => void) {
      if (finished) cb();
      else res.cork(cb);
      return view;
    },
    onAborted(cb: () => void) {
      aborted = cb;
      res.onAborted(() => {
        finished = true;
        const release = aborted;
        aborted = null;
        release?.();
      });
      return view;
    },
    onWritable(cb: (offset: number) => boolean) {
      if (!finished) res.onWritable(cb);
      return view;
    },
    onData(cb: (chunk: ArrayBuffer, isLast: boolean) => void) {
      if (!finished) res.onData(cb);
      return view;
    },
    getWriteOffset() {
      return finished ? 0 : res.getWriteOffset();
    },
    close() {
      if (!finished) {
        finished = true;
        res.close();
      }
      return view;
    },
  };
  return new Proxy(res, {
    get(target, key) {
      if (key in view) return view[key];
      const value: unknown = Reflect.get(target, key);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
    set(target, key, value) {
      if (key === 'done' && finished) return true;
      return Reflect.set(target, key, value);
    },
  });
}

/**
 * Answers 400 + close on the next turn of the loop, not now: uWS parses the bytes it already read as
 * further requests as soon as this handler returns a finished response (a smuggled request would run),
 * but a request that arrives while a response is pending makes uWS cut the connection. So the pending
 * answer keeps whatever follows in the same read from ever running; a lone bad request gets its 400.
 */
function refuseFraming(res: HttpResponse, problem: string): void {
  let aborted = false;
  res.onAborted(() => {
    aborted = true;
  });
  setImmediate(() => {
    if (!aborted) sendJson(res, 400, { error: { name: 'BadRequest', message: problem } }, {}, true);
  });
}

export function guardHttp(route: string, handler: HttpHandler, errors: HandlerErrorLog): HttpHandler {
  return (res, req) => {
    const state: Tracked = { started: false, aborted: false };
    const fail = (err: unknown) => {
      errors.note(route, err);
      failResponse(res, state);
    };
    try {
      const problem = framingProblem(req);
      if (problem !== null) {
        refuseFraming(res, problem);
        return;
      }
      trackResponse(res, state, fail);
      const answered = handler(res, req);
      if (answered instanceof Promise) answered.catch(fail);
    } catch (err) {
      fail(err);
    }
  };
}

function guardWs<U>(route: string, behavior: WebSocketBehavior<U>, errors: HandlerErrorLog): WebSocketBehavior<U> {
  const closeSocket = (ws: WebSocket<U>) => {
    try {
      ws.end(1011, 'internal error');
    } catch {
      // Already closed: nothing to tell the peer.
    }
  };
  const out: WebSocketBehavior<U> = { ...behavior };
  const wrapSocket = <A extends unknown[]>(name: string, fn: ((ws: WebSocket<U>, ...a: A) => void | Promise<void>) | undefined, closeOnError: boolean) =>
    fn === undefined
      ? undefined
      : (ws: WebSocket<U>, ...a: A) => {
          try {
            const r = fn(ws, ...a);
            if (r instanceof Promise)
              r.catch((err: unknown) => {
                errors.note(`${route} ${name}`, err);
                if (closeOnError) closeSocket(ws);
              });
          } catch (err) {
            errors.note(`${route} ${name}`, err);
            if (closeOnError) closeSocket(ws);
          }
        };
  if (behavior.upgrade !== undefined) {
    const upgrade = behavior.upgrade;
    const guarded = guardHttp(`${route} upgrade`, (res, req) => upgrade(res, req, contextOf.get(res)!), errors);
    const contextOf = new WeakMap<HttpResponse, Parameters<typeof upgrade>[2]>();
    out.upgrade = (res, req, context) => {
      contextOf.set(res, context);
      guarded(res, req);
    };
  }
  const open = wrapSocket('open', behavior.open, true);
  if (open) out.open = open;
  const message = wrapSocket('message', behavior.message, true);
  if (message) out.message = message;
  const drain = wrapSocket('drain', behavior.drain, true);
  if (drain) out.drain = drain;
  const ping = wrapSocket('ping', behavior.ping, true);
  if (ping) out.ping = ping;
  const pong = wrapSocket('pong', behavior.pong, true);
  if (pong) out.pong = pong;
  const close = wrapSocket('close', behavior.close, false);
  if (close) out.close = close;
  return out;
}

/**
 * The app every route is registered on. get() also registers HEAD for the same pattern, so HEAD works for
 * every GET route without a second registration that could drift.
 */
export function guardApp(app: TemplatedApp, errors: HandlerErrorLog): TemplatedApp {
  const http = (method: 'get' | 'post' | 'put' | 'del' | 'patch' | 'options' | 'any' | 'head') => (pattern: string, handler: HttpHandler) => {
    const route = `${method.toUpperCase()} ${pattern}`;
    app[method](pattern, guardHttp(route, handler, errors));
    if (method === 'get') {
      app.head(
        pattern,
        guardHttp(`HEAD ${pattern}`, (res, req) => handler(headView(res), req), errors),
      );
    }
    return proxy;
  };
  const overrides: Record<string, unknown> = {
    get: http('get'),
    post: http('post'),
    put: http('put'),
    del: http('del'),
    patch: http('patch'),
    options: http('options'),
    any: http('any'),
    head: http('head'),
    ws: <U>(pattern: string, behavior: WebSocketBehavior<U>) => {
      app.ws<U>(pattern, guardWs(`WS ${pattern}`, behavior, errors));
      return proxy;
    },
  };
  const proxy: TemplatedApp = new Proxy(app, {
    get(target, key) {
      if (typeof key === 'string' && key in overrides) return overrides[key];
      const value: unknown = Reflect.get(target, key);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return proxy;
}
