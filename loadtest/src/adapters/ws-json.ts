// The plain `ws` peer: JSON text per tick, {"op":"subscribe","symbols":[…]} to subscribe.
import { accountPeerMessage } from './peer-json.js';
import { wsUrl, type Connect } from './types.js';
import { openWebSocket } from './ws-transport.js';

export const connectWsJson: Connect = ({ base, symbols, localAddress, hooks, now, wsClient }) => {
  const ids = new Map(symbols.map((s) => [s.ticker, s.id]));
  const ws = openWebSocket(wsClient, wsUrl(base, '/ws'), localAddress, {
    open: () => {
      hooks.opened();
      ws.sendText(JSON.stringify({ op: 'subscribe', symbols: symbols.map((s) => s.ticker) }));
    },
    message: (data, isBinary) => {
      const t = now();
      const c = hooks.stream.sink.counters;
      c.frames++;
      c.bytes += data.byteLength;
      let ok = false;
      if (!isBinary) {
        try {
          const msg = JSON.parse(data.toString()) as { type?: unknown };
          ok = accountPeerMessage(hooks.stream, ids, String(msg.type), msg, t);
        } catch {
          ok = false;
        }
      }
      if (!ok) c.decodeErrors++;
      hooks.received(data.byteLength);
    },
    error: (error) => hooks.failed(error),
    close: (code, reason) => hooks.closed(code, reason),
  });
  return ws;
};
