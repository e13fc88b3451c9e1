// Same-design peer on plain `ws`: Tickwire's design (ticks batched per symbol per 20 ms into one binary
// Updates frame, encoded once per symbol and sent to every subscriber) on the usual Node stack, so the
// bench separates what the design buys from what uWebSockets.js buys. Subscribe and snapshots as the
// ws-json peer ({"op":"subscribe",…} in, one JSON snapshot per symbol out); every tick goes out binary.
import { createServer } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { systemClock } from '@tickwire/feeds/clock';
import { Route } from '@tickwire/protocol/routes';
import type { WsJsonMessage } from '@tickwire/loadtest/adapters/peer-json';
import { SymbolBatcher } from './batcher.js';
import { announce, onShutdown, parsePeerArgs, startFeed, symbolsHandler } from './common.js';

/** As the ws-json peer: a bound so a stalled reader is dropped instead of buffering forever. */
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

const options = parsePeerArgs('ws-batch-peer', process.argv.slice(2));
/** Subscribers per symbol id. */
const subscribers = new Map<number, Set<WebSocket>>();

let batcher: SymbolBatcher | null = null;
const feed = startFeed(options, (tick) => batcher?.add(tick));
batcher = new SymbolBatcher(feed.instruments.length, options.batchMs, (symbolId, frame) => {
  const subs = subscribers.get(symbolId);
  if (subs === undefined) return;
  for (const ws of subs) {
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) ws.terminate();
    else ws.send(frame, { binary: true });
  }
});

const http = createServer(symbolsHandler(feed.instruments));
const wss = new WebSocketServer({ server: http, path: Route.ws, perMessageDeflate: false, maxPayload: 64 * 1024 });

wss.on('connection', (ws) => {
  const mine = new Set<number>();
  ws.on('message', (data) => {
    let msg: { op?: unknown; symbols?: unknown };
    try {
      msg = JSON.parse(data.toString()) as typeof msg;
    } catch {
      return;
    }
    if (msg.op !== 'subscribe' || !Array.isArray(msg.symbols)) return;
    for (const ticker of msg.symbols) {
      const inst = typeof ticker === 'string' ? feed.byTicker.get(ticker) : undefined;
      if (inst === undefined || mine.has(inst.id)) continue;
      mine.add(inst.id);
      let subs = subscribers.get(inst.id);
      if (subs === undefined) subscribers.set(inst.id, (subs = new Set()));
      subs.add(ws);
      const q = feed.simulator.quote(inst.id);
      const snapshot: WsJsonMessage = {
        type: 'snapshot',
        symbol: inst.ticker,
        seq: feed.simulator.lastSeq(inst.id) - (batcher?.pending(inst.id) ?? 0),
        sendTimeMs: systemClock.now(),
        last: q.last,
        bid: q.bid,
        ask: q.ask,
      };
      ws.send(JSON.stringify(snapshot));
    }
  });
  ws.on('close', () => {
    for (const id of mine) subscribers.get(id)?.delete(ws);
  });
  ws.on('error', () => undefined);
});

http.listen(options.port, options.host, () => {
  const address = http.address();
  announce('ws-batch', typeof address === 'object' && address !== null ? address.port : options.port);
});

onShutdown(() => {
  feed.stop();
  batcher?.stop();
  for (const ws of wss.clients) ws.terminate();
  wss.close();
  http.close();
});
