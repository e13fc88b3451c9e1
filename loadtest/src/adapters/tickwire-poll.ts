// Tickwire over polling (GET /poll): short polling (wait=0, one request per client-chosen interval) and
// long polling (wait>0, RFC 6202 §2: the server holds the request until a named symbol ticks). Each
// answer is length-prefixed frames that bring the client from its cursor to the present; the next
// cursor comes in X-Tickwire-Cursor, so chaining cursors delivers every tick once with the same accounting
// as a stream. One keep-alive socket per client and never two requests in flight: a request starts only
// after the previous answer ended (and, paused by a slow reader, only after resume).
import { Route, routeUrl } from '@tickwire/protocol/routes';
import http from 'node:http';
import https from 'node:https';
import { FrameStreamParser } from '@tickwire/protocol/framing';
import type { Connect, Connection } from './types.js';
import { WireMeter } from './wire-meter.js';

export type PollMode = 'short' | 'long';

/** Defaults when the run does not say: 4 polls/s for short polling; the server's longest hold for long. */
export const DEFAULT_POLL_INTERVAL_MS = 250;
export const DEFAULT_LONG_POLL_WAIT_MS = 25_000;

export function pollConnect(mode: PollMode): Connect {
  return ({ base, symbols, history, localAddress, hooks, now, token, poll }) => {
    const intervalMs = poll?.intervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    const waitMs = mode === 'long' ? (poll?.waitMs ?? DEFAULT_LONG_POLL_WAIT_MS) : 0;
    const lib = base.protocol === 'https:' ? https : http;
    const agent = new lib.Agent({ keepAlive: true, maxSockets: 1 });
    const counters = hooks.stream.sink.counters;
    const meter = new WireMeter(() => counters);
    const tickers = symbols.map((s) => s.ticker).join(',');
    let cursor: string | null = null;
    let req: http.ClientRequest | null = null;
    let timer: NodeJS.Timeout | null = null;
    let opened = false;
    let done = false;
    let paused = false;
    let due = false;

    function finish(code: number, reason: string): void {
      if (done) return;
      done = true;
      if (timer !== null) clearTimeout(timer);
      meter.flush();
      req?.destroy();
      agent.destroy();
      hooks.closed(code, reason);
    }

    function schedule(delayMs: number): void {
      if (done) return;
      timer = setTimeout(
        () => {
          timer = null;
          if (paused) due = true;
          else send();
        },
        Math.max(0, delayMs),
      );
    }

    function send(): void {
      if (done) return;
      const url = routeUrl(base, Route.poll);
      url.searchParams.set('symbols', tickers);
      url.searchParams.set('history', String(history));
      url.searchParams.set('wait', String(waitMs));
      if (cursor !== null) url.searchParams.set('cursor', cursor);
      if (token !== null) url.searchParams.set('token', token);
      const startedMs = now();
      counters.requests++;
      let recvMs = 0;
      const parser = new FrameStreamParser((frame) => hooks.stream.tickwireFrame(frame, recvMs));
      const r = lib.get(url, { agent, localAddress, headers: { accept: 'application/vnd.tickwire.frames' }, timeout: waitMs + 10_000 }, (res) => {
        if (res.statusCode !== 200) {
          hooks.failed(new Error(`GET ${url.pathname} answered ${res.statusCode}`));
          res.resume();
          finish(res.statusCode ?? 0, 'http status');
          return;
        }
        if (!opened) {
          opened = true;
          hooks.opened();
        }
        const next = res.headers['x-tickwire-cursor'];
        res.on('data', (chunk: Buffer) => {
          recvMs = now();
          meter.flush();
          counters.bytes += chunk.byteLength;
          if (!parser.feed(chunk)) counters.decodeErrors++;
          hooks.received(chunk.byteLength);
        });
        res.on('end', () => {
          meter.flush();
          if (parser.pendingBytes > 0) counters.decodeErrors++;
          if (typeof next === 'string' && next !== '') cursor = next;
          req = null;
          // An empty short-poll answer still proves the server is alive.
          hooks.received(0);
          schedule(mode === 'long' ? 0 : startedMs + intervalMs - now());
        });
        res.on('error', (error) => {
          // Our own close aborts a held answer: not a failure.
          if (done) return;
          hooks.failed(error);
          finish(0, error.message);
        });
      });
      req = r;
      r.on('socket', (socket) => meter.attach(socket));
      r.on('timeout', () => r.destroy(new Error('poll request timed out')));
      r.on('error', (error) => {
        if (done) return;
        hooks.failed(error);
        finish(0, error.message);
      });
    }

    send();
    const connection: Connection = {
      close() {
        finish(200, 'closed by client');
      },
      pause() {
        paused = true;
        req?.socket?.pause();
      },
      resume() {
        paused = false;
        req?.socket?.resume();
        if (due) {
          due = false;
          send();
        }
      },
    };
    return connection;
  };
}

export const connectTickwireLongPoll: Connect = pollConnect('long');
export const connectTickwirePoll: Connect = pollConnect('short');
