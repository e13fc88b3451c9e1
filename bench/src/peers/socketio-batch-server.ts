// Same-design peer on Socket.IO v4: Tickwire's design (ticks batched per symbol per 20 ms into one binary
// Updates frame) on Socket.IO's rooms — `io.to(ticker).emit('updates', frame)` encodes the packet once per
// room and writes it to every member, so each batch is encoded once per symbol as in Tickwire. Subscribe
// and snapshots as the per-tick Socket.IO peer; every tick goes out in a binary event.
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { systemClock } from '@tickwire/feeds/clock';
import type { PeerSnapshot } from '@tickwire/loadtest/adapters/peer-json';
import { SymbolBatcher } from './batcher.js';
import { announce, onShutdown, parsePeerArgs, startFeed, symbolsHandler } from './common.js';

const options = parsePeerArgs('socketio-batch-peer', process.argv.slice(2));
let io: Server | null = null;

let batcher: SymbolBatcher | null = null;
const feed = startFeed(options, (tick) => batcher?.add(tick));
batcher = new SymbolBatcher(feed.instruments.length, options.batchMs, (symbolId, frame) => {
  // Socket.IO sends a Buffer as a binary attachment (a Uint8Array would be JSON-serialised).
  io?.to(feed.instruments[symbolId]!.ticker).emit('updates', Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength));
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
        seq: feed.simulator.lastSeq(inst.id) - (batcher?.pending(inst.id) ?? 0),
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
  announce('socketio-batch', typeof address === 'object' && address !== null ? address.port : options.port);
});

onShutdown(() => {
  feed.stop();
  batcher?.stop();
  void io?.close();
  http.close();
});
