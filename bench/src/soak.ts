// Soak benchmark (not part of CI): a server under steady WebSocket and SSE clients plus churn for a long,
// bounded time, sampling its memory after a forced GC; a least-squares slope shows whether anything leaks.
//   npm run build:node && node bench/dist/soak.js --minutes 30 --clients 300 --churn-per-sec 5
// Loopback only; stops by itself; stops only the server it started.
import { Route, webSocketUrl } from '@tickwire/protocol/routes';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { Command } from 'commander';
import WebSocket from 'ws';

const o = new Command('tickwire-soak')
  .option('--minutes <n>', 'duration', Number, 30)
  .option('--clients <n>', 'steady WebSocket clients', Number, 300)
  .option('--sse <n>', 'steady SSE clients', Number, 30)
  .option('--churn-per-sec <n>', 'extra clients that connect, subscribe and leave each second', Number, 5)
  .option('--tick-rate <n>', 'feed ticks per second', Number, 2000)
  .option('--sample-sec <n>', 'seconds between memory samples', Number, 30)
  .option('--out <path>', 'JSON result file', 'soak-result.json')
  .parse()
  .opts<{ minutes: number; clients: number; sse: number; churnPerSec: number; tickRate: number; sampleSec: number; out: string }>();

const SYMBOLS = ['AAPL', 'MSFT', 'NVDA', 'TSLA', 'AMZN', 'EURUSD', 'BTCUSD', 'ETHUSD', 'GOOGL', 'META'];
const pick = () => Array.from({ length: 5 }, () => SYMBOLS[Math.floor(Math.random() * SYMBOLS.length)]!).filter((s, i, a) => a.indexOf(s) === i);

function post(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST' }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (s: string) => (body += s));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

function openWs(port: number): WebSocket {
  const ws = new WebSocket(webSocketUrl(`http://127.0.0.1:${port}`));
  ws.on('open', () => ws.send(JSON.stringify({ op: 'subscribe', symbols: pick(), history: 50 })));
  ws.on('error', () => {});
  return ws;
}

function openSse(port: number): () => void {
  const req = request({ host: '127.0.0.1', port, path: `${Route.sse}?symbols=${pick().join(',')}&history=50` }, (res) => res.resume());
  req.on('error', () => {});
  req.end();
  return () => req.destroy();
}

function slope(points: Array<[number, number]>): number {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const num = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const den = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

async function main(): Promise<void> {
  const server = spawn(
    process.execPath,
    ['--expose-gc', 'server/dist/main.js', '--port', '0', '--test-hooks', '--tick-rate', String(o.tickRate), '--max-connections-per-ip', '100000'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const port = await new Promise<number>((resolve) => {
    let out = '';
    server.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"port":(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
  });
  const steady = Array.from({ length: o.clients }, () => openWs(port));
  const sse = Array.from({ length: o.sse }, () => openSse(port));
  const churn = setInterval(() => {
    for (let i = 0; i < o.churnPerSec; i++) {
      const ws = openWs(port);
      setTimeout(() => ws.close(), 500 + Math.random() * 3000);
    }
  }, 1000);
  const samples: Array<{ minute: number; rss: number; heapUsed: number; external: number; arrayBuffers: number }> = [];
  const started = Date.now();
  const end = started + o.minutes * 60_000;
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, Math.min(o.sampleSec * 1000, Math.max(0, end - Date.now()))));
    const m = JSON.parse(await post(port, '/__test/memory')) as { rss: number; heapUsed: number; external: number; arrayBuffers: number };
    const minute = (Date.now() - started) / 60_000;
    samples.push({ minute, rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers });
    process.stdout.write(
      `${minute.toFixed(1)} min  rss ${(m.rss / 2 ** 20).toFixed(1)} MiB  heap ${(m.heapUsed / 2 ** 20).toFixed(1)} MiB  external ${(m.external / 2 ** 20).toFixed(1)} MiB\n`,
    );
  }
  clearInterval(churn);
  for (const ws of steady) ws.terminate();
  for (const close of sse) close();
  server.kill('SIGTERM');
  // Trend over the second half, after warm-up allocations settled.
  const tail = samples.filter((s) => s.minute >= o.minutes / 2);
  const perHour = (key: 'rss' | 'heapUsed' | 'external') => slope(tail.map((s) => [s.minute, s[key]])) * 60;
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    options: o,
    slopesBytesPerHour: { rss: perHour('rss'), heapUsed: perHour('heapUsed'), external: perHour('external') },
    samples,
  };
  writeFileSync(o.out, JSON.stringify(result, null, 2));
  process.stdout.write(
    `slopes over the second half (MiB/hour): rss ${(result.slopesBytesPerHour.rss / 2 ** 20).toFixed(2)}, heap ${(result.slopesBytesPerHour.heapUsed / 2 ** 20).toFixed(2)}, external ${(result.slopesBytesPerHour.external / 2 ** 20).toFixed(2)}\n`,
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`soak failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
