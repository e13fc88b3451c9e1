// Tickwire behind Debian's nginx, using deploy/nginx/tickwire.conf as shipped (only the upstream, the TLS
// listen port and certificate paths substituted, plus the 75 s read timeouts cut to 3 s so the idle test
// is short) with a throw-away certificate made by openssl: HTTPS static files with the server's headers,
// WebSocket (wss) and SSE through the proxy with frames decoded on arrival, the idle path kept up by
// heartbeats past twice the proxy's read timeout, the dashboard live in Chromium over TLS, and — through a
// twin of the file misconfigured to buffer and gzip /sse — the dashboard detecting the buffering and
// moving to long polling without a gap.
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
import { throwAwayCertificate, type ServerProcess } from '@tickwire/server/test/harness';
import { REPO_ROOT, freeFixedPort, hook, launchBrowser, openPage, resultsPath, startDashboardServer, until } from './env.js';

const PROXY_READ_TIMEOUT_S = 3;

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
let browser: Browser;
let nginx: ChildProcess;
let nginxErr = '';
let proxyPort = 0;
/** A second server block: the same file misconfigured to buffer /sse (a proxy in the wild that does). */
let bufferingPort = 0;
let dir = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tickwire-nginx-'));
  chmodSync(dir, 0o755);
  const tls = throwAwayCertificate(dir);
  [server, browser, proxyPort, bufferingPort] = await Promise.all([startDashboardServer(), launchBrowser(), freeFixedPort(), freeFixedPort()]);
  let conf = readFileSync(join(REPO_ROOT, 'deploy/nginx/tickwire.conf'), 'utf8');
  conf = substitute(conf, 'server 127.0.0.1:8080;', `server 127.0.0.1:${server.port};`);
  conf = substitute(conf, 'listen 443 ssl;', `listen 127.0.0.1:${proxyPort} ssl;`);
  conf = substitute(conf, '/etc/ssl/tickwire/fullchain.pem', tls.cert);
  conf = substitute(conf, '/etc/ssl/tickwire/privkey.pem', tls.key);
  conf = substitute(conf, /proxy_read_timeout 75s;/, `proxy_read_timeout ${PROXY_READ_TIMEOUT_S}s;`);
  writeFileSync(join(dir, 'tickwire.conf'), conf);
  // The misconfigured twin: its own port, the shared upstream and map left to the first file, and the
  // stream locations buffering, deaf to the server's X-Accel-Buffering: no.
  let buffering = substitute(conf, `listen 127.0.0.1:${proxyPort} ssl;`, `listen 127.0.0.1:${bufferingPort} ssl;`);
  buffering = buffering.replace(/^upstream tickwire \{[\s\S]*?^\}\n/m, '').replace(/^map \$http_upgrade[\s\S]*?^\}\n/m, '');
  buffering = substitute(buffering, 'proxy_buffering off;', 'proxy_buffering on;\n        proxy_ignore_headers X-Accel-Buffering;');
  // Compressing a stream is the common way a proxy ends up holding it: gzip emits only full blocks.
  buffering = substitute(buffering, 'gzip off;', 'gzip on;\n        gzip_types text/event-stream application/octet-stream;\n        gzip_min_length 1;');
  writeFileSync(join(dir, 'buffering.conf'), buffering);
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
  if (server) expect(await server.stop()).toBe(0);
}, 30_000);

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

/** Opens wss://…/ws through nginx and records every frame's type with its arrival time. */
function openWss(): Promise<{ ws: WebSocket; frames: Array<{ type: number; at: number }>; closed: () => boolean }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`wss://127.0.0.1:${proxyPort}/ws`, { rejectUnauthorized: false });
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

  it(`keeps an idle WebSocket up past twice the proxy read timeout (${PROXY_READ_TIMEOUT_S} s) with heartbeats`, async () => {
    const { ws, frames, closed } = await openWss();
    try {
      // No subscription: only heartbeats cross the proxy.
      await new Promise((r) => setTimeout(r, 2 * PROXY_READ_TIMEOUT_S * 1000 + 1000));
      expect(closed()).toBe(false);
      expect(frames.filter((f) => f.type === FrameType.Heartbeat).length).toBeGreaterThanOrEqual(2 * PROXY_READ_TIMEOUT_S);
      // And it still carries data after the quiet spell.
      ws.send(JSON.stringify({ op: 'subscribe', symbols: ['BTCUSD'], history: 0, id: 1 }));
      await until(async () => frames.some((f) => f.type === FrameType.Updates), 'Updates after the idle spell');
    } finally {
      ws.close();
    }
  }, 20_000);

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
          return c.transport === 'longpoll' && (c.state === 'fallback' || c.state === 'live') ? c : null;
        },
        'long polling after the buffered SSE',
        40_000,
      );
      expect([...seen]).toContain('sse');
      const status = await hook.connection(page);
      expect(status.lastError).toMatch(/buffers the stream/);
      // The status bar says why, in words.
      await expect(page.locator('footer .issue').textContent()).resolves.toMatch(/on Long poll because a proxy on the path buffers the stream/);
      // Long polling resumes from what SSE delivered: prices keep moving and no gap was ever seen.
      const before = await hook.stats(page);
      await page.waitForTimeout(3000);
      const after = await hook.stats(page);
      expect(after.gaps).toBe(0);
      expect(after.resyncs).toBe(before.resyncs);
      expect((await hook.connection(page)).transport).toBe('longpoll');
      await page.screenshot({ path: resultsPath('nginx-buffering-fallback.png') });
    } finally {
      await context.close();
    }
  });
});
