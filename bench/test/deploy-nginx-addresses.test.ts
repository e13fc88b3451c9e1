// Trusted client addresses through a real nginx: deploy/nginx/tickwire.conf as shipped (upstream, TLS port
// and certificate substituted) in front of a server started with --trust-proxy 127.0.0.1/32 and a
// per-address cap of 2. Clients reach nginx from different loopback sources (127.0.0.0/8 is all loopback
// on Linux), so nginx sees distinct peers — its access log is checked for them — and the server, via
// X-Forwarded-For from its trusted peer, must charge each connection to the address nginx saw: separate
// caps per address, a refusal for the full address only, and forged X-Forwarded-For / Forwarded headers
// (sent through nginx, or straight to the server from an untrusted peer) changing nothing. Counts per
// address come from the server's /admin/state.json.
import { mkdtempSync, readFileSync } from 'node:fs';
import type { ClientRequest } from 'node:http';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Route } from '@tickwire/protocol/routes';
import type { AdminState } from '@tickwire/server/admin';
import { freeFixedPort, startServerProcess, throwAwayCertificate, waitFor, type ServerProcess } from '@tickwire/server/test/harness';
import { eventually } from '@tickwire/server/test/nats-harness';
import { startNginx, type RunningProxy } from '../src/proxies.js';

const CAP = 2;
const TOKEN = 'admin-token-for-the-nginx-test';

let server: ServerProcess;
let nginx: RunningProxy;
let proxyPort = 0;
let ca: Buffer;
const sockets: WebSocket[] = [];
const streams: ClientRequest[] = [];

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tickwire-nginx-addr-'));
  const tls = throwAwayCertificate(dir);
  ca = readFileSync(tls.cert);
  server = await startServerProcess(['--trust-proxy', '127.0.0.1/32', '--max-connections-per-ip', String(CAP), '--admin-token', TOKEN]);
  proxyPort = await freeFixedPort();
  nginx = await startNginx({ upstreamPort: server.port, tlsPort: proxyPort, certificate: tls, accessLog: true });
}, 60_000);

afterAll(async () => {
  for (const ws of sockets) ws.terminate();
  for (const r of streams) r.destroy();
  await nginx?.stop();
  if (server) expect(await server.stop()).toBe(0);
}, 30_000);

/** Opens a WebSocket from `localAddress`; resolves with 101 (left open) or the refusal's HTTP status. */
function openWs(url: string, localAddress: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { localAddress, headers, ca });
    ws.once('open', () => {
      sockets.push(ws);
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      ws.terminate();
      resolve(res.statusCode ?? 0);
    });
    ws.once('error', reject);
  });
}

const throughNginx = (localAddress: string, headers: Record<string, string> = {}) => openWs(`wss://127.0.0.1:${proxyPort}/ws`, localAddress, headers);
const direct = (localAddress: string, headers: Record<string, string> = {}) => openWs(`ws://127.0.0.1:${server.port}/ws`, localAddress, headers);

/** Opens /sse through nginx from `localAddress`; resolves with the status (a 200 stream stays open). */
function sseThroughNginx(localAddress: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: proxyPort, path: '/sse?symbols=AAPL', localAddress, ca, headers: { Accept: 'text/event-stream', ...headers } },
      (res) => {
        resolve(res.statusCode ?? 0);
        if (res.statusCode !== 200) res.resume();
      },
    );
    req.on('error', reject);
    req.end();
    streams.push(req);
  });
}

/** Connections per client address as the server counts them (straight from the server, not via nginx). */
async function perAddress(): Promise<Record<string, number>> {
  const res = await fetch(`${server.url}${Route.adminState}`, { headers: { Authorization: `Basic ${Buffer.from(`ops:${TOKEN}`).toString('base64')}` } });
  expect(res.status).toBe(200);
  const state = (await res.json()) as AdminState;
  return Object.fromEntries(state.addresses.map((a) => [a.address, a.total]));
}

/** nginx's access log (`$remote_addr "$http_x_forwarded_for" $status $request_uri`): lines end when a request does. */
const accessLog = () => {
  try {
    return readFileSync(join(nginx.dir, 'access.log'), 'utf8');
  } catch {
    return '';
  }
};

describe('trusted client addresses through nginx (deploy/nginx/tickwire.conf as shipped, --trust-proxy 127.0.0.1/32)', () => {
  it('gives two client addresses behind nginx separate per-address caps; the next connection of a full address alone is refused', async () => {
    for (let i = 0; i < CAP; i++) expect(await throughNginx('127.0.0.2')).toBe(101);
    // Had the server charged nginx's own address, these would be over the cap already.
    for (let i = 0; i < CAP; i++) expect(await throughNginx('127.0.0.3')).toBe(101);
    const counts = await perAddress();
    expect(counts['127.0.0.2']).toBe(CAP);
    expect(counts['127.0.0.3']).toBe(CAP);
    expect(counts['127.0.0.1']).toBeUndefined();

    expect(await throughNginx('127.0.0.2')).toBe(429);
    expect(await throughNginx('127.0.0.3')).toBe(429);
    // A third address is untouched by the other two being full.
    expect(await throughNginx('127.0.0.6')).toBe(101);
    // nginx saw those peers itself (its own $remote_addr), and passed the refusals on.
    await waitFor(() => /^127\.0\.0\.2 "-" 429 \/ws$/m.test(accessLog()) && /^127\.0\.0\.3 "-" 429 \/ws$/m.test(accessLog()), {
      what: 'the refusals in nginx access log',
    });

    // Freeing a slot of 127.0.0.2 lets 127.0.0.2 in again (the cap counts what is open).
    const mine = sockets.filter((ws) => (ws as unknown as { _socket?: { localAddress?: string } })._socket?.localAddress === '127.0.0.2');
    mine[0]!.close();
    await eventually(async () => (await perAddress())['127.0.0.2'] === CAP - 1, { what: 'the server to release the slot' });
    expect(await throughNginx('127.0.0.2')).toBe(101);
  });

  it('does not believe a forged X-Forwarded-For or Forwarded sent through nginx: the address nginx saw is charged', async () => {
    // Each forged address would get a cap of its own if believed; instead all land on 127.0.0.4.
    expect(await throughNginx('127.0.0.4', { 'X-Forwarded-For': '203.0.113.9' })).toBe(101);
    // Claiming to be the trusted proxy itself does not help either: nginx appends the real peer.
    expect(await throughNginx('127.0.0.4', { 'X-Forwarded-For': '203.0.113.10, 127.0.0.1' })).toBe(101);
    expect(await throughNginx('127.0.0.4', { 'X-Forwarded-For': '203.0.113.11' })).toBe(429);
    // RFC 7239 Forwarded, which the server reads first: the shipped file drops the client's.
    expect(await throughNginx('127.0.0.4', { Forwarded: 'for=203.0.113.12' })).toBe(429);
    // The same on SSE (a location that inherits the server block's headers).
    expect(await sseThroughNginx('127.0.0.5', { Forwarded: 'for=203.0.113.13' })).toBe(200);
    expect(await sseThroughNginx('127.0.0.5', { 'X-Forwarded-For': '203.0.113.14' })).toBe(200);
    expect(await sseThroughNginx('127.0.0.5', { Forwarded: 'for=203.0.113.15', 'X-Forwarded-For': '203.0.113.15' })).toBe(429);

    const counts = await perAddress();
    expect(counts['127.0.0.4']).toBe(CAP);
    expect(counts['127.0.0.5']).toBe(CAP);
    expect(Object.keys(counts).filter((a) => a.startsWith('203.0.113.'))).toEqual([]);
    // nginx logged the forged header it received from 127.0.0.4, and the server still refused.
    await waitFor(() => /^127\.0\.0\.4 "203\.0\.113\.11" 429 \/ws$/m.test(accessLog()), { what: 'the forged refusal in nginx access log' });
  });

  it('ignores the same forged headers when they come straight from an untrusted peer', async () => {
    expect(await direct('127.0.0.7', { 'X-Forwarded-For': '203.0.113.20' })).toBe(101);
    expect(await direct('127.0.0.7', { Forwarded: 'for=203.0.113.21' })).toBe(101);
    expect(await direct('127.0.0.7', { 'X-Forwarded-For': '203.0.113.22', Forwarded: 'for=203.0.113.22' })).toBe(429);
    const counts = await perAddress();
    expect(counts['127.0.0.7']).toBe(CAP);
    expect(Object.keys(counts).filter((a) => a.startsWith('203.0.113.2'))).toEqual([]);
  });
});
