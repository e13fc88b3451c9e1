// examples/node-ticker: a live price table in the terminal from a running Tickwire server, built on
// @tickwire/client in Node 20 (WebSocket from the `ws` package, SSE through the client's fetch reader).
//   node examples/node-ticker/ticker.mjs [--url http://127.0.0.1:8080] [SYMBOL ...]
// Ctrl-C closes the connection and exits with code 0 once nothing is left open.
import WebSocket from 'ws';
import { connect } from '@tickwire/client';

const args = process.argv.slice(2);
let url = 'http://127.0.0.1:8080';
/** @type {string[]} */
const symbols = [];
for (let i = 0; i < args.length; i++) {
  const arg = args[i] ?? '';
  if (arg === '--url') url = args[++i] ?? url;
  else symbols.push(arg.toUpperCase());
}
if (symbols.length === 0) symbols.push('AAPL', 'MSFT', 'EURUSD', 'BTCUSD');

/** @type {Map<string, { last: number, open: number, bid: number, ask: number, decimals: number, stale: boolean, note: string }>} */
const rows = new Map();
let status = 'connecting';

const client = connect(url, { WebSocket, symbols, history: 0 });
client.on('snapshot', (s) => rows.set(s.ticker, { last: s.last, open: s.open, bid: s.bid, ask: s.ask, decimals: s.priceScale, stale: false, note: '' }));
client.on('ticks', (ticks) => {
  for (const t of ticks) Object.assign(rows.get(t.ticker) ?? {}, { last: t.price, bid: t.bid, ask: t.ask });
});
client.on('stale', (e) => Object.assign(rows.get(e.ticker) ?? {}, { stale: e.stale !== null }));
client.on('status', (s) => (status = `${s.state} (${s.transport ?? '-'})${s.lastError && s.state !== 'live' ? `: ${s.lastError}` : ''}`));
client.on('error', (e) => {
  if (e.symbolsRejected) for (const t of e.symbols) rows.set(t, { last: 0, open: 0, bid: 0, ask: 0, decimals: 0, stale: false, note: e.message });
});

function render() {
  /** @type {(text: string, n: number) => string} */
  const pad = (text, n) => text.padStart(n);
  const lines = [`Tickwire ${url} · ${status}`, `${'SYMBOL'.padEnd(8)}${pad('LAST', 14)}${pad('CHG %', 9)}${pad('BID', 14)}${pad('ASK', 14)}`];
  for (const ticker of symbols) {
    const r = rows.get(ticker);
    if (r === undefined) lines.push(`${ticker.padEnd(8)}${pad('…', 14)}`);
    else if (r.note) lines.push(`${ticker.padEnd(8)}  ${r.note}`);
    else {
      const change = r.open > 0 ? (((r.last - r.open) / r.open) * 100).toFixed(2) : '';
      /** @type {(v: number) => string} */
      const price = (v) => v.toFixed(r.decimals);
      lines.push(`${ticker.padEnd(8)}${pad(price(r.last), 14)}${pad(change, 9)}${pad(price(r.bid), 14)}${pad(price(r.ask), 14)}${r.stale ? '  stale' : ''}`);
    }
  }
  // In a terminal, redraw in place; piped, print one table per tick of the clock.
  process.stdout.write(process.stdout.isTTY ? `\x1b[H\x1b[2J${lines.join('\n')}\n` : `${lines.join('\n')}\n\n`);
}

const timer = setInterval(render, 500);
process.once('SIGINT', () => {
  clearInterval(timer);
  client.close();
  process.stdout.write('closed\n');
});
