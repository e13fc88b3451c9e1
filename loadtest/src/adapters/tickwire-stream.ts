// Tickwire over binary HTTP streaming (GET /stream) through @tickwire/client's StreamTransport (URL,
// length-prefixed frame parsing, session control POSTs), on the load tester's fetch over node:http.
// Same frames and order as the WebSocket, so the same accounting applies.
import { StreamTransport } from '@tickwire/client/transport/stream';
import type { Socket } from 'node:net';
import type { Connect } from './types.js';
import { nodeFetch } from './node-platform.js';
import { installResync } from './resync.js';
import { WireMeter } from './wire-meter.js';

export const connectTickwireStream: Connect = ({ base, symbols, history, localAddress, hooks, now, token, resume }) => {
  const counters = hooks.stream.sink.counters;
  const meter = new WireMeter(() => counters);
  let socket: Socket | null = null;
  let done = false;
  const finish = (code: number, reason: string): void => {
    if (done) return;
    done = true;
    meter.flush();
    hooks.closed(code, reason);
  };
  const failed = (error: Error) => hooks.failed(error);
  counters.requests++;
  const transport = new StreamTransport(
    {
      baseUrl: base.href,
      symbols: symbols.map((s) => s.ticker),
      history,
      requestId: 1,
      ...(resume !== undefined ? { resume } : {}),
      ...(token !== null ? { token } : {}),
    },
    {
      open: () => hooks.opened(),
      frame: (bytes) => {
        const t = now();
        meter.flush();
        counters.bytes += bytes.byteLength + 4;
        hooks.stream.tickwireFrame(bytes, t);
        hooks.received(bytes.byteLength + 4);
      },
      // The transport says `answered 503` or why the stream ended; the report keys closes by HTTP status.
      closed: (info) => finish(info.opened ? 200 : Number(/answered (\d+)/.exec(info.reason)?.[1] ?? 0), info.reason),
    },
    {
      // The first request is the stream (its socket is metered and paused); later ones are control POSTs.
      fetch: nodeFetch(localAddress, {
        socket: (s) => {
          if (socket !== null) return;
          socket = s;
          meter.attach(s);
        },
        error: failed,
      }),
    },
  );
  installResync(hooks, transport, symbols, history, now, true);
  return {
    close() {
      transport.close();
      finish(200, 'closed by client');
    },
    // Pausing the socket (not the response, which the web stream resumes on every read) holds back the data.
    pause: () => socket?.pause(),
    resume: () => socket?.resume(),
  };
};
