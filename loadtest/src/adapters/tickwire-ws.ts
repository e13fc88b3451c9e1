// Tickwire over WebSocket through @tickwire/client's WsTransport (subscribe with resume on open, controls
// queued until open), on the load tester's WebSocket class: binary frames straight into the accounting
// (visitTicks, no per-tick allocation).
import { WsTransport } from '@tickwire/client/transport/ws';
import type { Connect } from './types.js';
import { webSocketClass, type LoadWebSocket } from './node-platform.js';
import { installResync } from './resync.js';
import { WireMeter } from './wire-meter.js';

export const connectTickwireWs: Connect = ({ base, symbols, history, localAddress, hooks, now, wsClient, token, resume }) => {
  const counters = hooks.stream.sink.counters;
  const meter = new WireMeter(() => counters);
  let socket: LoadWebSocket | null = null;
  let done = false;
  const finish = (code: number, reason: string): void => {
    if (done) return;
    done = true;
    meter.flush();
    hooks.closed(code, reason);
  };
  const WebSocket = webSocketClass(wsClient, localAddress, { socket: (s) => meter.attach(s), error: (error) => hooks.failed(error) }, (ws) => (socket = ws));
  const transport = new WsTransport(
    {
      baseUrl: base.href,
      symbols: symbols.map((s) => s.ticker),
      history,
      requestId: 1,
      ...(resume !== undefined ? { resume } : {}),
      ...(token !== null ? { token } : {}),
    },
    {
      open: () => {
        counters.requests++;
        hooks.opened();
      },
      frame: (bytes) => {
        const t = now();
        meter.flush();
        counters.bytes += bytes.byteLength;
        hooks.stream.tickwireFrame(bytes, t);
        hooks.received(bytes.byteLength);
      },
      // A socket that never opened reports no code: 0, as the report counts failed attempts.
      closed: (info) => finish(info.code ?? 0, info.reason),
    },
    { WebSocket },
  );
  installResync(hooks, transport, symbols, history, now, false);
  return {
    close(graceful) {
      if (socket !== null) socket.abrupt = !graceful;
      transport.close();
      finish(graceful ? 1000 : 1006, 'closed by client');
    },
    pause: () => socket?.wire.pause(),
    resume: () => socket?.wire.resume(),
  };
};
