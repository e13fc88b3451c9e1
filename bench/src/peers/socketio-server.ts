// Comparison peer: the usual Socket.IO v4 ticker server. One room per symbol, `socket.join(ticker)` on
// subscribe, and `io.to(ticker).emit('tick', {...})` for every tick — one JSON event per tick per
// subscriber, as the tutorials build it. Default server options apart from disabling compression.
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { systemClock } from '@tickwire/feeds/clock';
import type { PeerSnapshot, PeerTick } from '@tickwire/loadtest/adapters/peer-json';
import { announce, onShutdown, parsePeerArgs, startFeed, symbolsHandler } from './common.js';

const options = parsePeerArgs('socketio-peer', process.argv.slice(2));
let io: Server | null = null;

const feed = startFeed(options, (tick, inst) => {
  if (io === null) return;
  const message: PeerTick = {
    symbol: inst.ticker,
    seq: tick.seq,
    eventTimeMs: tick.eventTimeMs,
    sendTimeMs: systemClock.now(),
    price: tick.price,
    size: tick.size,
    bid: tick.bid,
    ask: tick.ask,
  };
  io.to(inst.ticker).emit('tick', message);
});

const http = createServer(symbolsHandler(feed.instruments));
io = new Server(http, { serveClient: false, perMessageDeflate: false, httpCompression: false });

io.on('connection', (socket) => {
  socket.on('subscribe', (tickers: unknown) => {
    if (!Array.isArray(tickers)) return;
    for (const ticker of tickers) {
      const inst = typeof ticker === 'string' ? feed.byTicker.get(ticker) : undefined;
      if (inst === undefined || socket.rooms.has(inst.ticker)) continue;
      void socket.join(inst.ticker);
      const q = feed.simulator.quote(inst.id);
      const snapshot: PeerSnapshot = {
        symbol: inst.ticker,
        seq: feed.simulator.lastSeq(inst.id),
        sendTimeMs: systemClock.now(),
        last: q.last,
        bid: q.bid,
        ask: q.ask,
      };
      socket.emit('snapshot', snapshot);
    }
  });
});

http.listen(options.port, options.host, () => {
  const address = http.address();
  announce('socketio', typeof address === 'object' && address !== null ? address.port : options.port);
});

onShutdown(() => {
  feed.stop();
  void io?.close();
  http.close();
});
