// Small helpers for uWS HTTP responses: JSON replies and bounded body reads. Every write is corked
// because callers may answer after the handler returned (body reads, async work).
import type { HttpResponse } from 'uWebSockets.js';

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  304: 'Not Modified',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  421: 'Misdirected Request',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function statusLine(code: number): string {
  return `${code} ${STATUS_TEXT[code] ?? ''}`.trim();
}

/** Headers on every non-static answer (JSON, SSE, stream, poll, errors, metrics): written here only. */
export function writeCommonHeaders(res: HttpResponse): void {
  // Browsers must never sniff a JSON or event-stream body into HTML or script.
  res.writeHeader('X-Content-Type-Options', 'nosniff');
}

/** `closeConnection` ends the connection after the answer (bad framing: the rest of the bytes is unknowable). */
/**
 * An HTTP refusal (status, error name, message, optional Retry-After and headers) as admission, auth and
 * ingest produce it; `close` ends the connection after it (a body left unread makes the stream unusable).
 */
export type Refusal = { status: number; name: string; message: string; retryAfterSec?: number; headers?: Record<string, string>; close?: boolean };

export function sendJson(res: HttpResponse, status: number, body: unknown, headers: Record<string, string> = {}, closeConnection = false): void {
  if (res.done) return;
  res.done = true;
  res.cork(() => {
    res.writeStatus(statusLine(status));
    res.writeHeader('Content-Type', 'application/json; charset=utf-8');
    // Not cacheable unless the caller says otherwise (a cacheable page of /api/candles).
    if (headers['Cache-Control'] === undefined) res.writeHeader('Cache-Control', 'no-store');
    writeCommonHeaders(res);
    for (const [k, v] of Object.entries(headers)) res.writeHeader(k, v);
    res.end(JSON.stringify(body), closeConnection);
  });
}

/**
 * Headers of every HTML page we serve (the dashboard, /admin): its CSP, never framed (X-Frame-Options
 * for browsers that ignore frame-ancestors), no Referer (a page URL may carry a token).
 */
export function writePageHeaders(res: HttpResponse, csp: string): void {
  res.writeHeader('Content-Security-Policy', csp);
  res.writeHeader('X-Frame-Options', 'DENY');
  res.writeHeader('Referrer-Policy', 'no-referrer');
}

/**
 * Ends `res` with `body`, handing uWS only what the socket takes now and the rest as it drains. uWS
 * parses pipelined requests and buffers every answer, so a client that pipelines requests and never
 * reads would otherwise grow the server by a full answer per request; while an answer is unfinished,
 * a further request on that socket makes uWS cut the connection instead. Call it inside cork when
 * outside the request handler; the status and headers must be written already.
 */
export function endBody(res: HttpResponse, body: Uint8Array): void {
  const total = body.byteLength;
  const [ok, done] = res.tryEnd(body, total);
  if (ok || done) return;
  res.onAborted(() => {
    res.done = true;
  });
  res.onWritable((offset) => {
    const [sent, finished] = res.tryEnd(body.subarray(offset), total);
    return sent || finished;
  });
}

/**
 * Reads a request body of at most `limit` bytes, then calls `done` with it, or with null when the body
 * is larger (the caller answers 413). An aborted request calls nothing.
 */
export function readBody(res: HttpResponse, limit: number, done: (body: Uint8Array | null) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let over = false;
  res.onAborted(() => {
    res.done = true;
  });
  res.onData((chunk, isLast) => {
    if (!over) {
      size += chunk.byteLength;
      if (size > limit) over = true;
      // uWS reuses the chunk's memory after this callback returns: copy it.
      else chunks.push(Buffer.from(new Uint8Array(chunk).slice()));
    }
    if (isLast && !res.done) done(over ? null : Buffer.concat(chunks));
  });
}
