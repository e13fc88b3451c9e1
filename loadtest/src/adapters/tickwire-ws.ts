// Tickwire over WebSocket: binary frames straight into the accounting (visitTicks, no per-tick
// allocation), one JSON subscribe after open.
import { controlText } from '../../../protocol/src/control.js';
import { wsUrl, type Connect } from './types.js';
import { openWebSocket } from './ws-transport.js';

export const connectTickwireWs: Connect = ({ base, symbols, history, localAddress, hooks, now, wsClient, token }) => {
  const path = token === null ? '/ws' : `/ws?token=${encodeURIComponent(token)}`;
  const ws = openWebSocket(wsClient, wsUrl(base, path), localAddress, {
    open: () => {
      hooks.opened();
      ws.sendText(controlText('subscribe', symbols.map((s) => s.ticker), { id: 1, history }));
    },
    message: (data, isBinary) => {
      const t = now();
      hooks.stream.sink.counters.bytes += data.byteLength;
      if (isBinary) hooks.stream.tickwireFrame(data, t);
      hooks.received(data.byteLength);
    },
    error: (error) => hooks.failed(error),
    close: (code, reason) => hooks.closed(code, reason),
  });
  return ws;
};
