// Tickwire behind Debian's nginx, using deploy/nginx/tickwire.conf as shipped (only the upstream, the TLS
// listen port and certificate paths substituted, plus the 75 s read timeouts cut to 3 s so the idle test
// is short) with a throw-away certificate made by openssl: HTTPS static files with the server's headers,
// WebSocket (wss) and SSE through the proxy with frames decoded on arrival, the idle path (a WebSocket and
// an SSE stream subscribed to a symbol nobody trades) kept up by heartbeats past twice the proxy's read
// timeout, and the dashboard live in Chromium over TLS. Twins of the file, each with its own port and one
// directive changed, are the proxies in the wild: one strips the WebSocket upgrade (the dashboard settles
// on SSE and says why), one buffers /sse (the dashboard detects it and moves to long polling without a
// lost tick), and one fronts a second server whose only instrument is ingested and has no producer.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { request } from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeHeader } from '@tickwire/protocol/codec';
import { FrameType } from '@tickwire/protocol/messages';
import { SpecSseReader, forgivingBase64Decode } from '@tickwire/protocol/test/sse-independent';
import { startServerProcess, throwAwayCertificate, type ServerProcess } from '@tickwire/server/test/harness';
import { REPO_ROOT, freeFixedPort, hook, lastPrices, launchBrowser, openPage, resultsPath, startDashboardServer, until } from './env.js';

const PROXY_READ_TIMEOUT_S = 3;
/** The quiet server's one instrument: ingested ("source" ingest under --feed none) and never written. */
const QUIET = 'QUIET';
const INGEST_TOKEN = 'nginx-idle-ingest-secret-0123456789';

/** Replaces `from` by `to` in `text`, failing when `from` is absent: the shipped file must keep its markers. */
function substitute(text: string, from: string | RegExp, to: string): string {
  const found = typeof from === 'string' ? text.includes(from) : from.test(text);
  if (!found) throw new Error(`deploy/nginx/tickwire.conf no longer contains ${String(from)}`);
  return typeof from === 'string' ? text.split(from).join(to) : text.replace(new RegExp(from.source, 'g'), to);
}

function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const s = connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve();
      });
      s.on('error', () => {
        s.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing listens on ${port} after ${timeoutMs} ms`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

let server: ServerProcess;
/** A second Tickwire whose only instrument is ingested with no producer: a symbol with no trades at all. */
let quiet: ServerProcess;
let browser: Browser;
let nginx: ChildProcess;
let nginxErr = '';
let proxyPort = 0;
/** A second server block: the same file misconfigured to buffer /sse (a proxy in the wild that does). */
let bufferingPort = 0;
/** A third: the same file with the WebSocket upgrade headers dropped from /ws. */
let strippedPort = 0;
/** A fourth: the same file in front of the quiet server. */
let idlePort = 0;
let dir = '';

/**
 * The file as a further server block on `port`, for the same nginx: the upstream and map blocks are left
 * to the first file (nginx refuses them twice).
 */
function twin(conf: string, port: number): string {
  const block = substitute(conf, `listen 127.0.0.1:${proxyPort} ssl;`, `listen 127.0.0.1:${port} ssl;`);
  return block.replace(/^upstream tickwire \{[\s\S]*?^\}\n/m, '').replace(/^map \$http_upgrade[\s\S]*?^\}\n/m, '');
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tickwire-nginx-'));
  chmodSync(dir, 0o755);
  const tls = throwAwayCertificate(dir);
  const instruments = join(dir, 'instruments.json');
  writeFileSync(instruments, JSON.stringify({ instruments: [{ id: 0, ticker: QUIET, name: 'Quiet Co', assetClass: 'equity', priceScale: 2, sizeScale: 0 }] }));
  [server, quiet, browser, proxyPort, bufferingPort, strippedPort, idlePort] = await Promise.all([
    startDashboardServer(),
    // --feed none: no simulator, every instrument of the file is ingested; nobody posts until the test does.
    startServerProcess(['--instruments', instruments, '--feed', 'none', '--ingest-token', INGEST_TOKEN]),
    launchBrowser(),
    freeFixedPort(),
    freeFixedPort(),
    freeFixedPort(),
    freeFixedPort(),
  ]);
  let conf = readFileSync(join(REPO_ROOT, 'deploy/nginx/tickwire.conf'), 'utf8');
  conf = substitute(conf, 'server 127.0.0.1:8080;', `server 127.0.0.1:${server.port};`);
  conf = substitute(conf, 'listen 443 ssl;', `listen 127.0.0.1:${proxyPort} ssl;`);
  conf = substitute(conf, '/etc/ssl/tickwire/fullchain.pem', tls.cert);
  conf = substitute(conf, '/etc/ssl/tickwire/privkey.pem', tls.key);
  // The read timeouts (75 s as shipped, above the 1 s heartbeat and 60 s ping) cut to 3 s, so the idle test
  // can outlast twice the proxy's read timeout in seconds; the heartbeat still beats it by far.
  conf = substitute(conf, /proxy_read_timeout 75s;/, `proxy_read_timeout ${PROXY_READ_TIMEOUT_S}s;`);
  writeFileSync(join(dir, 'tickwire.conf'), conf);
  // The buffering twin: /sse and /stream with proxy_buffering on. That alone is not enough: the server
  // answers streams with "X-Accel-Buffering: no", which nginx honours over proxy_buffering, so the twin
  // must also ignore that header — as a proxy that is not nginx (or an nginx told to) would; honouring it,
  // nginx forwards unbuffered and flushes every chunk. Buffering alone still does not hold frames back:
  // nginx 1.22 writes what it has read as soon as the client can take it (buffering lets it read ahead of
  // a slow client), so the frames arrive as sent and the dashboard rightly stays on SSE (tried: 40 s on
  // SSE, no verdict). What holds a buffered stream in the wild is a filter that waits for full buffers:
  // gzip, which in the buffered path emits only full output buffers (no flush per chunk). So gzip is on
  // too, for text/event-stream only. /poll keeps its proxy_buffering off: long polling is the way out.
  let buffering = twin(conf, bufferingPort);
  buffering = substitute(
    buffering,
    '        proxy_buffering off;\n        proxy_cache off;\n        gzip off;',
    '        proxy_buffering on;\n        proxy_ignore_headers X-Accel-Buffering;\n        proxy_cache off;\n        gzip on;\n        gzip_types text/event-stream;',
  );
  writeFileSync(join(dir, 'buffering.conf'), buffering);
  // The upgrade-stripping twin: /ws passes no Upgrade and no "Connection: upgrade" (the classic proxy
  // misconfiguration). The server refuses such a handshake with 400 (RFC 6455 §4.2.1; uWS alone upgrades
  // on Sec-WebSocket-Key, and nginx tunnels a 101 its client asked for), so the WebSocket never opens.
  let stripped = twin(conf, strippedPort);
  stripped = substitute(stripped, '        proxy_set_header Upgrade $http_upgrade;\n', '');
  stripped = substitute(stripped, '        proxy_set_header Connection $tickwire_connection;\n', '');
  writeFileSync(join(dir, 'stripped.conf'), stripped);
  // The idle twin: the shipped file in front of the quiet server (its own upstream block, only the name
  // and address differ), with the 3 s read timeouts above.
  let idle = substitute(conf, `listen 127.0.0.1:${proxyPort} ssl;`, `listen 127.0.0.1:${idlePort} ssl;`);
  idle = idle.replace(/^map \$http_upgrade[\s\S]*?^\}\n/m, '');
  idle = substitute(idle, 'upstream tickwire {', 'upstream tickwire_quiet {');
  idle = substitute(idle, `server 127.0.0.1:${server.port};`, `server 127.0.0.1:${quiet.port};`);
  idle = substitute(idle, 'proxy_pass http://tickwire;', 'proxy_pass http://tickwire_quiet;');
  writeFileSync(join(dir, 'idle.conf'), idle);
  // The wrapper a distribution's nginx.conf would be: everything under the scratch directory.
  writeFileSync(
    join(dir, 'nginx.conf'),
    [
      'daemon off;',
      'worker_processes 1;',
      ...(process.getuid?.() === 0 ? ['user root;'] : []),
      `pid ${join(dir, 'nginx.pid')};`,
      `error_log ${join(dir, 'error.log')} warn;`,
      'events { worker_connections 1024; }',
      'http {',
      '  access_log off;',
      `  client_body_temp_path ${join(dir, 'body')};`,
      `  proxy_temp_path ${join(dir, 'proxy')};`,
      `  fastcgi_temp_path ${join(dir, 'fastcgi')};`,
      `  uwsgi_temp_path ${join(dir, 'uwsgi')};`,
      `  scgi_temp_path ${join(dir, 'scgi')};`,
      `  include ${join(dir, 'tickwire.conf')};`,
      `  include ${join(dir, 'buffering.conf')};`,
      `  include ${join(dir, 'stripped.conf')};`,
      `  include ${join(dir, 'idle.conf')};`,
      '}',
    ].join('\n'),
  );
  nginx = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  nginx.stderr!.setEncoding('utf8').on('data', (s: string) => (nginxErr += s));
  nginx.once('exit', (code) => (nginxErr += `\nnginx exited with ${code}`));
  await waitForPort(proxyPort, 10_000).catch((e: Error) => {
    throw new Error(
      `${e.message}; nginx: ${nginxErr} ${(() => {
        try {
          return readFileSync(join(dir, 'error.log'), 'utf8');
        } catch {
          return '';
        }
      })()}`,
    );
  });
}, 60_000);

afterAll(async () => {
  if (nginx && nginx.exitCode === null) {
    const exited = new Promise((r) => nginx.once('exit', r));
    nginx.kill('SIGTERM');
    await exited;
  }
  await browser?.close();
  const codes = await Promise.all([server?.stop(), quiet?.stop()]);
  expect(codes).toEqual([server ? 0 : undefined, quiet ? 0 : undefined]);
}, 30_000);

/** Opens an SSE stream through nginx on `port`: every frame's type (base64 data lines decoded) with its arrival time. */
function openHttpsSse(port: number, path: string): Promise<{ frames: Array<{ type: number; at: number }>; closed: () => boolean; close: () => void }> {
  return new Promise((resolve, reject) => {
    const frames: Array<{ type: number; at: number }> = [];
    let closed = false;
    const reader = new SpecSseReader((event) => {
      for (const line of event.data.split('\n')) {
        const bytes = forgivingBase64Decode(line);
        const head = bytes === null ? null : decodeHeader(bytes);
        if (head?.ok) frames.push({ type: head.value.type, at: performance.now() });
      }
    });
    const req = request({ host: '127.0.0.1', port, path, headers: { Accept: 'text/event-stream' }, rejectUnauthorized: false }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`SSE through nginx answered ${res.statusCode}`));
        return;
      }
      res.on('data', (chunk: Buffer) => reader.feedBytes(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
      res.once('close', () => (closed = true));
      resolve({ frames, closed: () => closed, close: () => req.destroy() });
    });
    req.on('error', (e) => {
      closed = true;
      reject(e);
    });
    req.end();
  });
}

function httpsGet(path: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: proxyPort, path, rejectUnauthorized: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens wss://…/ws through nginx (the shipped block, or the one on `port`) and records every frame's type with its arrival time. */
function openWss(port = proxyPort): Promise<{ ws: WebSocket; frames: Array<{ type: number; at: number }>; closed: () => boolean }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`wss://127.0.0.1:${port}/ws`, { rejectUnauthorized: false });
    ws.binaryType = 'arraybuffer';
    const frames: Array<{ type: number; at: number }> = [];
    let closed = false;
    ws.on('message', (data: ArrayBuffer) => {
      const head = decodeHeader(new Uint8Array(data));
      if (head.ok) frames.push({ type: head.value.type, at: performance.now() });
    });
    ws.on('close', () => (closed = true));
    ws.once('open', () => resolve({ ws, frames, closed: () => closed }));
    ws.once('error', reject);
  });
}

describe('behind nginx (deploy/nginx/tickwire.conf as shipped, TLS)', () => {
  it('serves the dashboard over HTTPS with the server headers, and keeps /metrics private', async () => {
    const page = await httpsGet('/');
    expect(page.status).toBe(200);
    expect(page.body.toString('utf8')).toContain('<div id="app">');
    expect(String(page.headers['content-security-policy'])).toContain("frame-ancestors 'none'");
    expect((await httpsGet('/api/symbols')).status).toBe(200);
    expect((await httpsGet('/healthz')).status).toBe(200);
    expect((await httpsGet('/metrics')).status).toBe(404);
  });

  it('carries a WebSocket subscription over wss: Hello, Snapshot, Ack, then Updates', async () => {
    const { ws, frames } = await openWss();
    try {
      ws.send(JSON.stringify({ op: 'subscribe', symbols: ['AAPL', 'EURUSD'], history: 10, id: 1 }));
      await until(async () => frames.filter((f) => f.type === FrameType.Updates).length >= 10, 'Updates through nginx');
      const types = frames.map((f) => f.type);
      expect(types[0]).toBe(FrameType.Hello);
      expect(types.filter((t) => t === FrameType.Snapshot)).toHaveLength(2);
      expect(types).toContain(FrameType.Ack);
    } finally {
      ws.close();
    }
  });

  it('streams SSE unbuffered: events arrive spread over time, not in one burst', async () => {
    const arrivals: number[] = [];
    let text = '';
    const req = request(
      { host: '127.0.0.1', port: proxyPort, path: '/sse?symbols=AAPL,MSFT', headers: { Accept: 'text/event-stream' }, rejectUnauthorized: false },
      (res) => {
        expect(res.statusCode).toBe(200);
        res.setEncoding('utf8').on('data', (s: string) => {
          text += s;
          arrivals.push(performance.now());
        });
      },
    );
    req.end();
    const start = performance.now();
    await new Promise((r) => setTimeout(r, 3000));
    req.destroy();
    const events = text.split('\n\n').filter((e) => /^data:/m.test(e));
    expect(events.length).toBeGreaterThan(20);
    // A buffering proxy delivers in a few large bursts; unbuffered, chunks keep coming every few tens of ms.
    const late = arrivals.filter((t) => t - start > 1000);
    expect(late.length).toBeGreaterThan(20);
    expect(arrivals[0]! - start).toBeLessThan(1000);
  });

  it(
    `keeps a WebSocket and an SSE stream subscribed to a quiet symbol up past twice the proxy read timeout (${PROXY_READ_TIMEOUT_S} s) with heartbeats`,
    { timeout: 30_000 },
    async () => {
      const wss = await openWss(idlePort);
      const sse = await openHttpsSse(idlePort, `/sse?symbols=${QUIET}&history=0`);
      try {
        wss.ws.send(JSON.stringify({ op: 'subscribe', symbols: [QUIET], history: 0, id: 1 }));
        await until(async () => wss.frames.some((f) => f.type === FrameType.Snapshot), 'the quiet symbol subscribed over wss');
        await until(async () => sse.frames.some((f) => f.type === FrameType.Snapshot), 'the quiet symbol subscribed over SSE');
        const mark = { wss: wss.frames.length, sse: sse.frames.length };
        // The quiet spell: nobody trades QUIET, so only heartbeats cross the proxy.
        await new Promise((r) => setTimeout(r, 2 * PROXY_READ_TIMEOUT_S * 1000 + 1000));
        for (const [name, c, m] of [
          ['wss', wss, mark.wss],
          ['sse', sse, mark.sse],
        ] as const) {
          const spell = c.frames.slice(m).map((f) => f.type);
          expect(
            spell.filter((t) => t === FrameType.Updates || t === FrameType.UpdatesCompact),
            `${name}: the symbol was quiet`,
          ).toEqual([]);
          expect(spell.filter((t) => t === FrameType.Heartbeat).length, `${name}: heartbeats`).toBeGreaterThanOrEqual(2 * PROXY_READ_TIMEOUT_S);
          // The same connection throughout: never closed, one Hello (no reconnect, no new session).
          expect(c.closed(), `${name}: closed`).toBe(false);
          expect(
            c.frames.filter((f) => f.type === FrameType.Hello),
            `${name}: Hellos`,
          ).toHaveLength(1);
        }
        // And both still carry data after the quiet spell: a producer's first trade reaches them.
        const r = await fetch(`${quiet.url}/ingest`, {
          method: 'POST',
          body: `${JSON.stringify({ ticker: QUIET, price: '10.00', size: '1', id: 'first' })}\n`,
          headers: { authorization: `Bearer ${INGEST_TOKEN}` },
        });
        expect(r.status).toBe(200);
        await until(async () => wss.frames.slice(mark.wss).some((f) => f.type === FrameType.Updates), 'the trade over wss after the quiet spell');
        await until(async () => sse.frames.slice(mark.sse).some((f) => f.type === FrameType.Updates), 'the trade over SSE after the quiet spell');
        expect([wss.closed(), sse.closed()]).toEqual([false, false]);
        expect([wss, sse].map((c) => c.frames.filter((f) => f.type === FrameType.Hello).length)).toEqual([1, 1]);
      } finally {
        wss.ws.close();
        sse.close();
      }
    },
  );

  it('shows the dashboard live over WebSocket in Chromium through nginx with TLS', { timeout: 45_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, ignoreHTTPSErrors: true });
    try {
      const { page, errors } = await openPage(context, `https://127.0.0.1:${proxyPort}/`);
      await until(async () => (await hook.connection(page)).state === 'live', 'live connection through nginx', 15_000);
      expect((await hook.connection(page)).transport).toBe('ws');
      await until(async () => {
        const charts = await hook.charts(page);
        return charts[0] !== undefined && charts[0].bars >= 5;
      }, 'chart bars');
      await page.screenshot({ path: resultsPath('nginx-tls-dashboard.png') });
      expect(errors.unexpected()).toEqual([]);
    } finally {
      await context.close();
    }
  });
  it('settles the dashboard on SSE when nginx strips the WebSocket upgrade, says why, and keeps prices moving without a gap', { timeout: 60_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, ignoreHTTPSErrors: true });
    try {
      const { page, errors } = await openPage(context, `https://127.0.0.1:${strippedPort}/`);
      await until(
        async () => {
          const c = await hook.connection(page);
          if (c.transport === 'sse' && c.state === 'fallback') return c;
          throw new Error(`at ${c.transport}/${c.state}, attempts ${c.attempts}, last error: ${c.lastError}`);
        },
        'the SSE fallback behind the upgrade-stripping proxy',
        30_000,
      );
      // WebSocket was tried first and failed without opening (the server refused the header-less
      // handshake nginx passed on); then SSE, the one and only other attempt.
      await until(async () => server.stdout().includes('"reason":"NotAWebSocketHandshake"'), 'the server logging the refused handshake');
      const settled = await hook.connection(page);
      expect(settled.lastError).toBe('WebSocket could not connect');
      expect(settled.attempts).toBe(2);
      // The status bar says why, in words.
      await expect(page.locator('footer .issue').textContent()).resolves.toBe('on SSE because WebSocket could not connect');
      await expect(page.locator('footer [data-state]').getAttribute('data-state')).resolves.toBe('fallback');
      // It settles there: no further attempts, same session, and prices keep moving.
      const pricesBefore = await lastPrices(page);
      await page.waitForTimeout(4000);
      const after = await hook.connection(page);
      expect({ transport: after.transport, state: after.state, attempts: after.attempts, sessionId: after.sessionId, reconnects: after.reconnects }).toEqual({
        transport: 'sse',
        state: 'fallback',
        attempts: settled.attempts,
        sessionId: settled.sessionId,
        reconnects: 0,
      });
      const pricesAfter = await lastPrices(page);
      const moved = Object.keys(pricesAfter).filter((t) => pricesAfter[t] !== '' && pricesAfter[t] !== pricesBefore[t]);
      expect(moved.length, JSON.stringify({ pricesBefore, pricesAfter })).toBeGreaterThan(0);
      const stats = await hook.stats(page);
      expect(stats.updatesPerSec).toBeGreaterThan(0);
      // No gap since the page loaded: every tick continued its symbol's seq, nothing was repaired or conflated.
      expect({ gaps: stats.gaps, resyncs: stats.resyncs, conflations: stats.conflations, epochChanges: stats.epochChanges }).toEqual({
        gaps: 0,
        resyncs: 0,
        conflations: 0,
        epochChanges: 0,
      });
      await page.screenshot({ path: resultsPath('nginx-upgrade-stripped-sse.png') });
      expect(errors.unexpected()).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('moves the dashboard from SSE that a proxy buffers to long polling, and loses no tick', { timeout: 60_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, ignoreHTTPSErrors: true });
    try {
      // WebSocket blocked on this path: the dashboard steps down to SSE, which this proxy buffers.
      await context.routeWebSocket(/\/ws$/, (ws) => ws.close({ code: 1011, reason: 'blocked by the test' }));
      const { page } = await openPage(context, `https://127.0.0.1:${bufferingPort}/`);
      const seen = new Set<string>();
      await until(
        async () => {
          const c = await hook.connection(page);
          if (c.transport !== null) seen.add(c.transport);
          if (c.transport === 'longpoll' && (c.state === 'fallback' || c.state === 'live')) return c;
          throw new Error(`at ${c.transport}/${c.state}, attempts ${c.attempts}, last error: ${c.lastError}`);
        },
        'long polling after the buffered SSE',
        40_000,
      );
      expect([...seen]).toContain('sse');
      const status = await hook.connection(page);
      expect(status.lastError).toMatch(/buffers the stream/);
      // The status bar says why, in words.
      await expect(page.locator('footer .issue').textContent()).resolves.toMatch(/on Long poll because a proxy on the path buffers the stream/);
      // Long polling resumes from what SSE delivered: prices keep moving.
      const pricesBefore = await lastPrices(page);
      await page.waitForTimeout(3000);
      const pricesAfter = await lastPrices(page);
      expect(Object.keys(pricesAfter).some((t) => pricesAfter[t] !== '' && pricesAfter[t] !== pricesBefore[t])).toBe(true);
      expect((await hook.connection(page)).transport).toBe('longpoll');
      // No lost tick over the whole page life — SSE, the switch and long polling — counted from page load:
      // every watched symbol got exactly one snapshot (a re-snapshot at the switch would make two), and
      // every tick after it continued its seq (no gap, no repair, nothing conflated).
      const stats = await hook.stats(page);
      const watched = Object.keys(await hook.symbols(page)).length;
      expect(watched).toBeGreaterThan(0);
      expect({
        snapshots: stats.snapshots,
        gaps: stats.gaps,
        resyncs: stats.resyncs,
        conflations: stats.conflations,
        epochChanges: stats.epochChanges,
      }).toEqual({ snapshots: watched, gaps: 0, resyncs: 0, conflations: 0, epochChanges: 0 });
      await page.screenshot({ path: resultsPath('nginx-buffering-fallback.png') });
    } finally {
      await context.close();
    }
  });
});
