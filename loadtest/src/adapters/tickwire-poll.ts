// Tickwire over polling (GET /poll) through @tickwire/client's PollingTransport: short polling (wait=0,
// one request per interval) and long polling (wait>0, RFC 6202 §2: the server holds the request until a
// named symbol ticks). The client owns the cursor chain (X-Tickwire-Cursor → next request, a failed
// request repeated with the same cursor), the Hello and the Heartbeats it synthesises from each answer's
// cursor; the run's --poll-interval and --long-poll-wait replace its browser cadence. One keep-alive
// socket per client and never two requests in flight.
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { PollingTransport, type PollingDeps, type PollingMode } from '@tickwire/client/transport/polling';
import type { TransportHandlers, TransportOptions } from '@tickwire/client/transport/types';
import type { Connect } from './types.js';
import { nodeFetch } from './node-platform.js';
import { installResync } from './resync.js';
import { WireMeter } from './wire-meter.js';

export type PollMode = 'short' | 'long';

/** Defaults when the run does not say: 4 polls/s for short polling; the server's longest hold for long. */
export const DEFAULT_POLL_INTERVAL_MS = 250;
export const DEFAULT_LONG_POLL_WAIT_MS = 25_000;

/** The client's polling loop at the run's fixed cadence. */
class LoadPollTransport extends PollingTransport {
  readonly kind: 'longpoll' | 'poll';

  constructor(mode: PollMode, cadence: PollingMode, options: TransportOptions, handlers: TransportHandlers, deps: PollingDeps) {
    super(cadence, options, handlers, deps);
    this.kind = mode === 'long' ? 'longpoll' : 'poll';
  }
}

export function pollConnect(mode: PollMode): Connect {
  return ({ base, symbols, history, localAddress, hooks, now, token, poll }) => {
    const intervalMs = poll?.intervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    const waitMs = mode === 'long' ? (poll?.waitMs ?? DEFAULT_LONG_POLL_WAIT_MS) : 0;
    const cadence: PollingMode = { waitMs: () => waitMs, intervalMs: () => (mode === 'long' ? 0 : intervalMs) };
    const agent = new (base.protocol === 'https:' ? https : http).Agent({ keepAlive: true, maxSockets: 1 });
    const counters = hooks.stream.sink.counters;
    const meter = new WireMeter(() => counters);
    let socket: Socket | null = null;
    let done = false;
    const finish = (code: number, reason: string): void => {
      if (done) return;
      done = true;
      meter.flush();
      agent.destroy();
      hooks.closed(code, reason);
    };
    const fetchImpl = nodeFetch(
      localAddress,
      {
        socket: (s) => {
          socket = s;
          meter.attach(s);
        },
        error: (error) => hooks.failed(error),
      },
      agent,
    );
    const transport = new LoadPollTransport(
      mode,
      cadence,
      { baseUrl: base.href, symbols: symbols.map((s) => s.ticker), history, requestId: 1, ...(token !== null ? { token } : {}) },
      {
        open: () => hooks.opened(),
        frame: (bytes) => {
          const t = now();
          meter.flush();
          counters.bytes += bytes.byteLength;
          hooks.stream.tickwireFrame(bytes, t);
          hooks.received(bytes.byteLength);
        },
        closed: (info) => finish(info.opened ? 200 : Number(/answered (\d+)/.exec(info.reason)?.[1] ?? 0), info.reason),
      },
      {
        fetch: (input, init) => {
          counters.requests++;
          return fetchImpl(input, init);
        },
        now: () => Date.now(),
      },
    );
    installResync(hooks, transport, symbols, history, now, false);
    return {
      close() {
        transport.close();
        finish(200, 'closed by client');
      },
      pause: () => socket?.pause(),
      resume: () => socket?.resume(),
    };
  };
}

export const connectTickwireLongPoll: Connect = pollConnect('long');
export const connectTickwirePoll: Connect = pollConnect('short');
