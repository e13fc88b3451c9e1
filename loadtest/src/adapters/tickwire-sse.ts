// Tickwire over Server-Sent Events: a plain HTTP GET whose text/event-stream body carries, per data line,
// the base64 of one binary frame — the same bytes as the WebSocket path, so the same accounting applies.
import { Route, routeUrl } from '@tickwire/protocol/routes';
import http from 'node:http';
import https from 'node:https';
import { SseParser } from '@tickwire/protocol/sse';
import type { Connect } from './types.js';
import { installHttpResync } from './http-control.js';
import { WireMeter } from './wire-meter.js';

export const connectTickwireSse: Connect = ({ base, symbols, history, localAddress, hooks, now, token, resume }) => {
  const url = routeUrl(base, Route.sse);
  url.searchParams.set('symbols', symbols.map((s) => s.ticker).join(','));
  url.searchParams.set('history', String(history));
  if (token !== null) url.searchParams.set('token', token);
  if (resume !== undefined) url.searchParams.set('cursor', resume);
  const meter = new WireMeter(() => hooks.stream.sink.counters);
  hooks.stream.sink.counters.requests++;
  let recvMs = 0;
  let done = false;
  let response: http.IncomingMessage | null = null;
  const parser = new SseParser((event) => {
    // One data line per frame; the parser joined lines with \n. Buffer's base64 decoder is native and
    // several times faster than atob + charCodeAt (protocol's base64ToFrame), which matters at 1,000 clients.
    const data = event.data;
    let start = 0;
    for (;;) {
      const nl = data.indexOf('\n', start);
      const line = nl === -1 ? data.slice(start) : data.slice(start, nl);
      if (line.length > 0) hooks.stream.tickwireFrame(Buffer.from(line, 'base64'), recvMs);
      if (nl === -1) break;
      start = nl + 1;
    }
  });
  const get = url.protocol === 'https:' ? https.get : http.get;
  const req = get(url, { agent: false, localAddress, headers: { accept: 'text/event-stream' }, timeout: 10_000 }, (res) => {
    if (res.statusCode !== 200) {
      hooks.failed(new Error(`GET ${url.pathname} answered ${res.statusCode}`));
      res.resume();
      finish(res.statusCode ?? 0, 'http status');
      return;
    }
    req.setTimeout(0);
    response = res;
    hooks.opened();
    // SSE here is pure ASCII (base64 and ids), so latin1 decoding is exact and the cheapest.
    res.setEncoding('latin1');
    res.on('data', (chunk: string) => {
      recvMs = now();
      meter.flush();
      hooks.stream.sink.counters.bytes += chunk.length;
      parser.feed(chunk);
      hooks.received(chunk.length);
    });
    res.on('end', () => finish(200, 'stream ended'));
    res.on('error', (error) => hooks.failed(error));
    res.on('close', () => finish(200, 'stream closed'));
  });
  req.on('socket', (socket) => meter.attach(socket));
  req.on('timeout', () => req.destroy(new Error('SSE connect timed out')));
  req.on('error', (error) => {
    hooks.failed(error);
    finish(0, error.message);
  });
  // Gap repair: re-subscribe a symbol that lost ticks through the control endpoint of this session.
  installHttpResync({
    base,
    path: Route.sseControl,
    tickers: new Map(symbols.map((s) => [s.id, s.ticker])),
    localAddress,
    token,
    hooks,
    now,
    live: () => !done,
  });
  function finish(code: number, reason: string): void {
    if (done) return;
    done = true;
    meter.flush();
    hooks.closed(code, reason);
  }
  return {
    close() {
      req.destroy();
      finish(200, 'closed by client');
    },
    pause: () => response?.pause(),
    resume: () => response?.resume(),
  };
};
