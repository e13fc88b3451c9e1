// The plain `ws` peers, {"op":"subscribe","symbols":[…]} to subscribe and JSON snapshots: the per-tick peer
// sends JSON text per tick; the same-design peer (ws-batch) sends Tickwire's binary Updates frames, which
// go through the same accounting as Tickwire's own.
import { Route } from '@tickwire/protocol/routes';
import { accountPeerMessage } from './peer-json.js';
import { wsUrl, type Connect } from './types.js';
import { openWebSocket } from './ws-transport.js';

export const connectWsJson: Connect = ({ base, symbols, localAddress, hooks, now, wsClient }) => {
  const ids = new Map(symbols.map((s) => [s.ticker, s.id]));
  const ws = openWebSocket(wsClient, wsUrl(base, Route.ws), localAddress, {
    open: () => {
      hooks.opened();
      ws.sendText(JSON.stringify({ op: 'subscribe', symbols: symbols.map((s) => s.ticker) }));
    },
    message: (data, isBinary) => {
      const t = now();
      const c = hooks.stream.sink.counters;
      c.bytes += data.byteLength;
      if (isBinary) {
        hooks.stream.tickwireFrame(data, t);
        hooks.received(data.byteLength);
        return;
      }
      c.frames++;
      let ok: boolean;
      try {
        const msg = JSON.parse(data.toString()) as { type?: unknown };
        ok = accountPeerMessage(hooks.stream, ids, String(msg.type), msg, t);
      } catch {
        ok = false;
      }
      if (!ok) c.decodeErrors++;
      hooks.received(data.byteLength);
    },
    error: (error) => hooks.failed(error),
    close: (code, reason) => hooks.closed(code, reason),
  });
  return ws;
};
