// Comparison peer: the usual plain-`ws` ticker server. One JSON text message per tick per subscriber
// (stringified once per tick, sent to each subscriber), subscriptions in a Map of Sets, no batching,
// no backpressure policy beyond a safety cap so a stuck client cannot eat the shared machine's memory.
import { createServer } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { systemClock } from '@tickwire/feeds/clock';
import { Route } from '@tickwire/protocol/routes';
import type { WsJsonMessage } from '@tickwire/loadtest/adapters/peer-json';
import { announce, onShutdown, parsePeerArgs, startFeed, symbolsHandler } from './common.js';

/** Not part of the tutorial design: a bound so a stalled reader is dropped instead of buffering forever. */
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

const options = parsePeerArgs('ws-json-peer', process.argv.slice(2));
const subscribers = new Map<string, Set<WebSocket>>();

const feed = startFeed(options, (tick, inst) => {
  const subs = subscribers.get(inst.ticker);
  if (subs === undefined || subs.size === 0) return;
  const message: WsJsonMessage = {
    type: 'tick',
    symbol: inst.ticker,
    seq: tick.seq,
    eventTimeMs: tick.eventTimeMs,
    sendTimeMs: systemClock.now(),
    price: tick.price,
    size: tick.size,
    bid: tick.bid,
    ask: tick.ask,
  };
  const text = JSON.stringify(message);
  for (const ws of subs) {
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) ws.terminate();
    else ws.send(text);
  }
});

const http = createServer(symbolsHandler(feed.instruments));
const wss = new WebSocketServer({ server: http, path: Route.ws, perMessageDeflate: false, maxPayload: 64 * 1024 });

wss.on('connection', (ws) => {
  const mine = new Set<string>();
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
      if (inst === undefined || mine.has(inst.ticker)) continue;
      mine.add(inst.ticker);
      let subs = subscribers.get(inst.ticker);
      if (subs === undefined) subscribers.set(inst.ticker, (subs = new Set()));
      subs.add(ws);
      const q = feed.simulator.quote(inst.id);
      const snapshot: WsJsonMessage = {
        type: 'snapshot',
        symbol: inst.ticker,
        seq: feed.simulator.lastSeq(inst.id),
        sendTimeMs: systemClock.now(),
        last: q.last,
        bid: q.bid,
        ask: q.ask,
      };
      ws.send(JSON.stringify(snapshot));
    }
  });
  ws.on('close', () => {
    for (const ticker of mine) subscribers.get(ticker)?.delete(ws);
  });
  ws.on('error', () => undefined);
});

http.listen(options.port, options.host, () => {
  const address = http.address();
  announce('ws-json', typeof address === 'object' && address !== null ? address.port : options.port);
});

onShutdown(() => {
  feed.stop();
  for (const ws of wss.clients) ws.terminate();
  wss.close();
  http.close();
});
