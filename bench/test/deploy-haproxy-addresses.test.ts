// Real client addresses behind HAProxy in TCP mode: deploy/haproxy/haproxy.cfg as shipped (its
// `send-proxy-v2` prefixes each gateway connection with a PROXY protocol header) in front of a server
// started with --trust-proxy 127.0.0.1/32 and a per-address cap of 2 (both gateway lines point at it).
// Clients reach HAProxy from different loopback sources, so the server must charge each connection to
// the address HAProxy saw: separate caps, a refusal for the full address only, and an X-Forwarded-For
// a client sends (TCP mode passes it on untouched) believed for nothing. Counts from /admin/state.json.
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Route } from '@tickwire/protocol/routes';
import type { AdminState } from '@tickwire/server/admin';
import { freeFixedPort, startServerProcess, type ServerProcess } from '@tickwire/server/test/harness';
import { startHaproxy, type RunningProxy } from '../src/proxies.js';

const CAP = 2;
const TOKEN = 'admin-token-for-the-haproxy-test';

let server: ServerProcess;
let haproxy: RunningProxy;
let frontPort = 0;
const sockets: WebSocket[] = [];

beforeAll(async () => {
  server = await startServerProcess(['--trust-proxy', '127.0.0.1/32', '--max-connections-per-ip', String(CAP), '--admin-token', TOKEN]);
  frontPort = await freeFixedPort();
  haproxy = await startHaproxy({ frontPort, gateways: [server.port, server.port] });
}, 60_000);

afterAll(async () => {
  for (const ws of sockets) ws.terminate();
  await haproxy?.stop();
  if (server) expect(await server.stop()).toBe(0);
}, 30_000);

/** Opens a WebSocket through HAProxy from `localAddress`; resolves with 101 (left open) or the refusal's status. */
function throughHaproxy(localAddress: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${frontPort}/ws`, { localAddress, headers });
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

async function perAddress(): Promise<Record<string, number>> {
  const res = await fetch(`${server.url}${Route.adminState}`, { headers: { Authorization: `Basic ${Buffer.from(`ops:${TOKEN}`).toString('base64')}` } });
  expect(res.status).toBe(200);
  const state = (await res.json()) as AdminState;
  return Object.fromEntries(state.addresses.map((a) => [a.address, a.total]));
}

describe('client addresses through HAProxy (TCP mode, PROXY protocol v2, --trust-proxy 127.0.0.1/32)', () => {
  it('gives each client address its own cap; the next connection of a full address alone is refused', async () => {
    for (let i = 0; i < CAP; i++) expect(await throughHaproxy('127.0.0.2')).toBe(101);
    // Had the server charged HAProxy's own address, these would be over the cap already.
    for (let i = 0; i < CAP; i++) expect(await throughHaproxy('127.0.0.3')).toBe(101);
    const counts = await perAddress();
    expect(counts['127.0.0.2']).toBe(CAP);
    expect(counts['127.0.0.3']).toBe(CAP);
    expect(counts['127.0.0.1']).toBeUndefined();
    expect(await throughHaproxy('127.0.0.2')).toBe(429);
    expect(await throughHaproxy('127.0.0.4')).toBe(101);
  });

  it('believes no X-Forwarded-For a client sends through TCP mode: the PROXY header names the real peer', async () => {
    expect(await throughHaproxy('127.0.0.5', { 'X-Forwarded-For': '203.0.113.30' })).toBe(101);
    expect(await throughHaproxy('127.0.0.5', { 'X-Forwarded-For': '203.0.113.31' })).toBe(101);
    expect(await throughHaproxy('127.0.0.5', { 'X-Forwarded-For': '203.0.113.32' })).toBe(429);
    const counts = await perAddress();
    expect(counts['127.0.0.5']).toBe(CAP);
    expect(Object.keys(counts).filter((a) => a.startsWith('203.0.113.'))).toEqual([]);
  });
});
