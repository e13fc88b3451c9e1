// Tickwire over WebSocket: binary frames straight into the accounting (visitTicks, no per-tick
// allocation), one JSON subscribe after open.
import { Route } from '@tickwire/protocol/routes';
import { controlText } from '@tickwire/protocol/control';
import { wsUrl, type Connect } from './types.js';
import { WireMeter } from './wire-meter.js';
import { openWebSocket } from './ws-transport.js';

const RESYNC_MIN_INTERVAL_MS = 1_000;

export const connectTickwireWs: Connect = ({ base, symbols, history, localAddress, hooks, now, wsClient, token, resume }) => {
  const counters = hooks.stream.sink.counters;
  const meter = new WireMeter(() => counters);
  const path = token === null ? Route.ws : `${Route.ws}?token=${encodeURIComponent(token)}`;
  const ws = openWebSocket(wsClient, wsUrl(base, path), localAddress, {
    open: () => {
      const socket = ws.socket();
      if (socket !== null) meter.attach(socket);
      counters.requests++;
      hooks.opened();
      ws.sendText(
        controlText(
          'subscribe',
          symbols.map((s) => s.ticker),
          resume === undefined ? { id: 1, history } : { id: 1, history, resume },
        ),
      );
    },
    message: (data, isBinary) => {
      const t = now();
      meter.flush();
      counters.bytes += data.byteLength;
      if (isBinary) hooks.stream.tickwireFrame(data, t);
      hooks.received(data.byteLength);
    },
    error: (error) => hooks.failed(error),
    close: (code, reason) => {
      meter.flush();
      hooks.closed(code, reason);
    },
  });
  // Gap repair (protocol: "Gaps and heartbeats"): re-subscribe the symbol for a fresh snapshot. One
  // request per symbol per second at most: the losses seen before that snapshot lands are the same loss.
  const tickerOf = new Map(symbols.map((s) => [s.id, s.ticker]));
  const askedAt = new Map<number, number>();
  let requestId = 1;
  hooks.stream.onLoss = (symbolId) => {
    const ticker = tickerOf.get(symbolId);
    const t = now();
    if (ticker === undefined || t - (askedAt.get(symbolId) ?? -Infinity) < RESYNC_MIN_INTERVAL_MS) return;
    askedAt.set(symbolId, t);
    counters.resyncs++;
    ws.sendText(controlText('subscribe', [ticker], { id: ++requestId, history }));
  };
  return ws;
};
