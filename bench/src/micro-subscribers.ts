// Child process of the fan-out micro-benchmark: opens N WebSocket or SSE subscribers of one symbol on a
// Tickwire server and drains them, so the server-side publish cost is timed in the parent while reading
// happens in another process. Prints {"ready":N} once every subscriber has its snapshot; exits on SIGTERM.
import http from 'node:http';
import WebSocket from 'ws';
import { controlText } from '@tickwire/protocol/control';
import { Route, routeUrl, webSocketUrl } from '@tickwire/protocol/routes';

const [url = '', countText = '100', mode = 'ws', ticker = 'AAPL'] = process.argv.slice(2);
const count = Number(countText);
const target = new URL(url);
if (!/^127\.|^localhost$|^\[::1\]$/.test(target.hostname)) throw new Error('micro-subscribers only connect to loopback');
let ready = 0;
let bytes = 0;
const sockets: Array<{ close(): void }> = [];

function markReady(): void {
  if (++ready === count) process.stdout.write(`${JSON.stringify({ ready })}\n`);
}

for (let i = 0; i < count; i++) {
  if (mode === 'ws') {
    const ws = new WebSocket(webSocketUrl(target), { perMessageDeflate: false });
    let acked = false;
    ws.on('open', () => ws.send(controlText('subscribe', [ticker], { id: 1, history: 0 })));
    ws.on('message', (data: Buffer) => {
      bytes += data.byteLength;
      if (!acked && data[1] === 5 /* Ack */) {
        acked = true;
        markReady();
      }
    });
    ws.on('error', () => undefined);
    sockets.push({ close: () => ws.terminate() });
  } else {
    const req = http.get(`${routeUrl(target, Route.sse).href}?symbols=${ticker}&history=0`, { agent: false }, (res) => {
      let first = true;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.byteLength;
        if (first) {
          first = false;
          markReady();
        }
      });
    });
    req.on('error', () => undefined);
    sockets.push({ close: () => req.destroy() });
  }
}

const stop = (): void => {
  for (const s of sockets) s.close();
  process.stdout.write(`${JSON.stringify({ bytes })}\n`);
  setTimeout(() => process.exit(0), 100).unref();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
// Never outlive the benchmark by much.
setTimeout(stop, 120_000).unref();
