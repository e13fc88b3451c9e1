// Tickwire over binary HTTP streaming (GET /stream): one chunked response that never ends, each frame
// prefixed by its u32 LE length (no base64). Same frames and order as the WebSocket, so the same
// accounting applies; socket bytes are metered for the transport lab.
import { Route, routeUrl } from '@tickwire/protocol/routes';
import http from 'node:http';
import https from 'node:https';
import { FrameStreamParser } from '@tickwire/protocol/framing';
import type { Connect } from './types.js';
import { installHttpResync } from './http-control.js';
import { WireMeter } from './wire-meter.js';

export const connectTickwireStream: Connect = ({ base, symbols, history, localAddress, hooks, now, token, resume }) => {
  const url = routeUrl(base, Route.stream);
  url.searchParams.set('symbols', symbols.map((s) => s.ticker).join(','));
  url.searchParams.set('history', String(history));
  if (token !== null) url.searchParams.set('token', token);
  if (resume !== undefined) url.searchParams.set('cursor', resume);
  const counters = hooks.stream.sink.counters;
  const meter = new WireMeter(() => counters);
  let recvMs = 0;
  let done = false;
  let response: http.IncomingMessage | null = null;
  const parser = new FrameStreamParser((frame) => hooks.stream.tickwireFrame(frame, recvMs));
  const get = url.protocol === 'https:' ? https.get : http.get;
  counters.requests++;
  const req = get(url, { agent: false, localAddress, headers: { accept: 'application/vnd.tickwire.frames' }, timeout: 10_000 }, (res) => {
    if (res.statusCode !== 200) {
      hooks.failed(new Error(`GET ${url.pathname} answered ${res.statusCode}`));
      res.resume();
      finish(res.statusCode ?? 0, 'http status');
      return;
    }
    req.setTimeout(0);
    response = res;
    hooks.opened();
    res.on('data', (chunk: Buffer) => {
      recvMs = now();
      meter.flush();
      counters.bytes += chunk.byteLength;
      if (!parser.feed(chunk)) {
        counters.decodeErrors++;
        hooks.failed(new Error(parser.error ?? 'broken frame stream'));
        req.destroy();
        return;
      }
      hooks.received(chunk.byteLength);
    });
    res.on('end', () => finish(200, 'stream ended'));
    res.on('error', (error) => {
      if (!done) hooks.failed(error);
    });
    res.on('close', () => finish(200, 'stream closed'));
  });
  req.on('socket', (socket) => meter.attach(socket));
  req.on('timeout', () => req.destroy(new Error('stream connect timed out')));
  req.on('error', (error) => {
    hooks.failed(error);
    finish(0, error.message);
  });
  // Gap repair: re-subscribe a symbol that lost ticks through the control endpoint of this session.
  installHttpResync({
    base,
    path: Route.streamControl,
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
