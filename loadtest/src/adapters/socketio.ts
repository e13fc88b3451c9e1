// The Socket.IO v4 peer, spoken directly over a WebSocket: Engine.IO v4 packets ("0" open, "2" ping,
// "3" pong, "4" message) carrying Socket.IO packets ("40" connect, "42[name, data]" event). A minimal
// client instead of socket.io-client keeps the generator's cost per message close to the other adapters,
// so the comparison measures the server; an integration test checks it against the real server.
// The same-design peer (socketio-batch) sends binary events ("45<n>-[name, placeholder]" then n binary
// messages): an "updates" event's one attachment is a Tickwire Updates frame, accounted as Tickwire's own.
import { accountPeerMessage } from './peer-json.js';
import { wsUrl, type Connect } from './types.js';
import { openWebSocket } from './ws-transport.js';

export const connectSocketIo: Connect = ({ base, symbols, localAddress, hooks, now, wsClient }) => {
  const ids = new Map(symbols.map((s) => [s.ticker, s.id]));
  const url = `${wsUrl(base, '/socket.io/')}?EIO=4&transport=websocket`;
  /** Binary attachments still expected for the last binary event, and whether it is an "updates" event. */
  let attachments = 0;
  let updates = false;
  const ws = openWebSocket(wsClient, url, localAddress, {
    open: () => hooks.opened(),
    message: (data, isBinary) => {
      const t = now();
      const c = hooks.stream.sink.counters;
      c.bytes += data.byteLength;
      if (isBinary && attachments > 0) {
        attachments--;
        if (updates) hooks.stream.tickwireFrame(data, t);
        else c.frames++;
        hooks.received(data.byteLength);
        return;
      }
      c.frames++;
      if (isBinary || data.byteLength === 0) {
        c.decodeErrors++;
      } else {
        const engine = data[0];
        if (engine === 0x32 /* '2' ping */) {
          c.heartbeats++;
          ws.sendText('3');
        } else if (engine === 0x34 /* '4' message */) {
          const kind = data[1];
          if (kind === 0x32 /* '2' event */) {
            let ok = false;
            try {
              const packet = JSON.parse(data.toString('utf8', 2)) as unknown;
              if (Array.isArray(packet)) ok = accountPeerMessage(hooks.stream, ids, String(packet[0]), packet[1], t);
            } catch {
              ok = false;
            }
            if (!ok) c.decodeErrors++;
          } else if (kind === 0x35 /* '5' binary event */) {
            const dash = data.indexOf(0x2d /* '-' */, 2);
            attachments = dash > 2 ? Number(data.toString('latin1', 2, dash)) : 0;
            updates = attachments === 1 && data.includes('["updates",', dash);
            if (!(attachments > 0 && attachments < 16)) {
              attachments = 0;
              c.decodeErrors++;
            }
          } else if (kind === 0x30 /* '0' namespace connected */) {
            c.acks++;
            ws.sendText(`42${JSON.stringify(['subscribe', symbols.map((s) => s.ticker)])}`);
          } else if (kind === 0x34 /* '4' connect error */ || kind === 0x31 /* '1' disconnect */) {
            c.errorFrames++;
          }
        } else if (engine === 0x30 /* '0' open handshake */) {
          ws.sendText('40');
        }
      }
      hooks.received(data.byteLength);
    },
    error: (error) => hooks.failed(error),
    close: (code, reason) => hooks.closed(code, reason),
  });
  return ws;
};
