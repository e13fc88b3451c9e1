// /admin: off without --admin-token; with it, Basic auth with the token as password (401 with a
// challenge otherwise), an HTML page with no script that refreshes itself, and JSON whose numbers match
// what real WebSocket and SSE clients opened: connections by transport and address, subscribers per
// symbol, per-connection backlog, session ids shown only as digests.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameType } from '@tickwire/protocol/messages';
import type { AdminState } from '../src/admin.js';
import type { TickwireServer } from '../src/server.js';
import { connectSse, connectWs, startServer, type SseClient, type WsClient } from './harness.js';

const TOKEN = 'admin-token-0123456789';
const basic = (password: string) => `Basic ${Buffer.from(`ops:${password}`).toString('base64')}`;

describe('/admin', () => {
  let server: TickwireServer;
  let plain: TickwireServer;
  const clients: Array<WsClient | SseClient> = [];
  beforeAll(async () => {
    [server, plain] = await Promise.all([startServer({ adminToken: TOKEN }), startServer({})]);
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await Promise.all([server.close(), plain.close()]);
  });

  it('does not exist without --admin-token', async () => {
    expect((await fetch(`${plain.url}/admin`, { headers: { Authorization: basic(TOKEN) } })).status).toBe(404);
  });

  it('asks for credentials and refuses a wrong token', async () => {
    const none = await fetch(`${server.url}/admin`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    expect((await fetch(`${server.url}/admin/state.json`, { headers: { Authorization: basic('wrong-token-0123456789') } })).status).toBe(401);
  });

  it('reports what real clients opened', async () => {
    for (let i = 0; i < 2; i++) {
      const c = await connectWs(server.url);
      c.send(JSON.stringify({ op: 'subscribe', symbols: ['AAPL', 'MSFT'], history: 0, id: 1 }));
      await c.waitFor(FrameType.Ack);
      clients.push(c);
    }
    const sse = await connectSse(server.url, '/sse?symbols=AAPL');
    clients.push(sse);
    await sse.waitFor(FrameType.Hello);

    const res = await fetch(`${server.url}/admin/state.json`, { headers: { Authorization: basic(TOKEN) } });
    expect(res.status).toBe(200);
    const state = (await res.json()) as AdminState;
    expect(state.connections).toMatchObject({ ws: 2, sse: 1 });
    expect(state.addresses).toEqual([{ address: '127.0.0.1', total: 3, byTransport: { ws: 2, sse: 1 } }]);
    expect(state.symbols.slice(0, 2)).toEqual([
      { ticker: 'AAPL', subscribers: 3 },
      { ticker: 'MSFT', subscribers: 2 },
    ]);
    expect(state.busiest).toHaveLength(3);
    for (const c of state.busiest) {
      expect(c.session).toMatch(/^[0-9a-f]{10}$/);
      expect(c.backlogBytes).toBeGreaterThanOrEqual(0);
    }
    expect(state.feed.stalled).toBe(false);

    const page = await fetch(`${server.url}/admin`, { headers: { Authorization: basic(TOKEN) } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await page.text();
    expect(html).toContain('http-equiv="refresh"');
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('<td>AAPL</td><td>3</td>');
    // The SSE session id steers that stream: it must not be shown.
    const sessionId = sse.of(FrameType.Hello)[0]!.frame.sessionId;
    expect(sessionId.length).toBeGreaterThan(10);
    expect(html).not.toContain(sessionId);
    expect(JSON.stringify(state)).not.toContain(sessionId);
  });
});
