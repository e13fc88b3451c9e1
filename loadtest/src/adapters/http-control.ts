// Gap repair for the HTTP streaming adapters (SSE, binary stream): on a loss the symbol is re-subscribed
// through POST /sse/control or /stream/control (X-Tickwire-Session: <id from Hello>), and its fresh Snapshot arrives on
// the stream, in order. At most one request per symbol per second, as the WebSocket adapter does.
import { routeUrl } from '@tickwire/protocol/routes';
import http from 'node:http';
import https from 'node:https';
import { controlText } from '@tickwire/protocol/control';
import type { ClientHooks } from './types.js';

export const RESYNC_MIN_INTERVAL_MS = 1_000;

export interface HttpResyncOptions {
  base: URL;
  /** Route.sseControl or Route.streamControl. */
  path: string;
  tickers: ReadonlyMap<number, string>;
  localAddress: string | undefined;
  token: string | null;
  hooks: ClientHooks;
  now: () => number;
  /** False once the stream is gone: no more requests. */
  live: () => boolean;
}

/** Installs the stream's onLoss handler. */
export function installHttpResync(o: HttpResyncOptions): void {
  const stream = o.hooks.stream;
  const counters = stream.sink.counters;
  const askedAt = new Map<number, number>();
  const lib = o.base.protocol === 'https:' ? https : http;
  stream.onLoss = (symbolId) => {
    const ticker = o.tickers.get(symbolId);
    const session = stream.sessionId;
    const t = o.now();
    if (ticker === undefined || session === null || !o.live()) return;
    if (t - (askedAt.get(symbolId) ?? -Infinity) < RESYNC_MIN_INTERVAL_MS) return;
    askedAt.set(symbolId, t);
    counters.resyncs++;
    counters.requests++;
    const url = routeUrl(o.base, o.path);
    const body = controlText('subscribe', [ticker], { history: 0 });
    const req = lib.request(
      url,
      {
        method: 'POST',
        agent: false,
        localAddress: o.localAddress,
        // The session id is the stream's capability: a header, never the URL.
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'x-tickwire-session': session,
          ...(o.token !== null ? { authorization: `Bearer ${o.token}` } : {}),
        },
        timeout: 5_000,
      },
      (res) => {
        if (res.statusCode !== 200) o.hooks.failed(new Error(`POST ${url.pathname} answered ${res.statusCode}`));
        res.resume();
      },
    );
    req.on('timeout', () => req.destroy(new Error(`POST ${url.pathname} timed out`)));
    req.on('error', (error) => {
      if (o.live()) o.hooks.failed(error);
    });
    req.end(body);
  };
}
