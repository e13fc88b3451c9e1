// --trust-proxy: forwarding headers are believed only from trusted peers. Unit: the nearest untrusted
// hop from the right is the client, for X-Forwarded-For and RFC 7239 Forwarded; forged prefixes do not
// matter. Integration: real SSE requests from loopback source addresses 127.0.0.1 (the "proxy") and
// 127.0.0.2 (a direct, untrusted client) against the per-address cap of 2, with headers and with a
// PROXY protocol v2 header written by hand on a raw socket (the uWS build parses it).
import { request, type ClientRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrustedProxies, parseCidrList } from '../src/client-address.js';
import { parseConfig } from '../src/config.js';
import type { TickwireServer } from '../src/server.js';
import { startServer } from './harness.js';

describe('TrustedProxies', () => {
  const proxies = new TrustedProxies(parseCidrList(['10.0.0.0/8', '127.0.0.1', 'fd00::/8']));

  it('ignores the headers of an untrusted peer', () => {
    expect(proxies.clientAddress('198.51.100.7', '203.0.113.5', '')).toBe('198.51.100.7');
  });
  it('takes the nearest untrusted hop from the right, skipping trusted proxies', () => {
    expect(proxies.clientAddress('127.0.0.1', '203.0.113.5', '')).toBe('203.0.113.5');
    expect(proxies.clientAddress('10.1.2.3', '6.6.6.6, 203.0.113.5, 10.0.0.9', '')).toBe('203.0.113.5');
    expect(proxies.clientAddress('::ffff:127.0.0.1', '203.0.113.5', '')).toBe('203.0.113.5');
  });
  it('stops at a hop it cannot parse (left of it is the client’s own invention)', () => {
    expect(proxies.clientAddress('127.0.0.1', '6.6.6.6, garbage, 10.0.0.9', '')).toBe('10.0.0.9');
  });
  it('reads RFC 7239 Forwarded, IPv6 in brackets and IPv4 with a port, in preference to X-Forwarded-For', () => {
    expect(proxies.clientAddress('127.0.0.1', '6.6.6.6', 'for=198.51.100.1;proto=https, for="[2001:db8::1]:4711"')).toBe('2001:db8::1');
    expect(proxies.clientAddress('127.0.0.1', '', 'for=192.0.2.60:8080')).toBe('192.0.2.60');
  });
  it('takes the PROXY protocol source from a trusted peer only, as one more hop before the headers', () => {
    const proxies = new TrustedProxies(parseCidrList(['127.0.0.1', '10.0.0.0/8']));
    expect(proxies.clientAddress('127.0.0.1', '', '', '203.0.113.9')).toBe('203.0.113.9');
    expect(proxies.clientAddress('198.51.100.7', '', '', '203.0.113.9')).toBe('198.51.100.7');
    // The balancer's peer is itself a trusted proxy (nginx behind HAProxy): its header names the client.
    expect(proxies.clientAddress('127.0.0.1', '203.0.113.5', '', '10.0.0.4')).toBe('203.0.113.5');
    // …but an untrusted PROXY source ends the chain: headers it sent are its own invention.
    expect(proxies.clientAddress('127.0.0.1', '6.6.6.6', '', '203.0.113.9')).toBe('203.0.113.9');
    expect(proxies.clientAddress('127.0.0.1', '', '', 'garbage')).toBe('127.0.0.1');
  });

  it('uses the peer when a trusted proxy sends no header', () => {
    expect(proxies.clientAddress('10.0.0.2', '', '')).toBe('10.0.0.2');
  });
  it('refuses a bad --trust-proxy at start', () => {
    expect(() => parseConfig(['--trust-proxy', '10.0.0.0/99'])).toThrow(/bad prefix length/);
    expect(() => parseConfig(['--trust-proxy', 'proxy.example'])).toThrow(/not an IP address/);
    expect(parseConfig(['--trust-proxy', '10.0.0.0/8, ::1']).trustProxy).toEqual(['10.0.0.0/8', '::1']);
  });
});

describe('per-address caps behind a trusted proxy', () => {
  let server: TickwireServer;
  const open: ClientRequest[] = [];
  beforeAll(async () => {
    server = await startServer({ trustProxy: ['127.0.0.1/32'], maxConnectionsPerIp: 2 });
  });
  afterAll(async () => {
    for (const r of open) r.destroy();
    await server.close();
  });

  /** Opens /sse from `localAddress` with an X-Forwarded-For; resolves with the status (streams stay open). */
  function sse(localAddress: string, xff: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: server.port, path: '/sse?symbols=AAPL', localAddress, headers: { 'X-Forwarded-For': xff } }, (res) => {
        resolve(res.statusCode ?? 0);
        if (res.statusCode !== 200) res.resume();
      });
      req.on('error', reject);
      req.end();
      open.push(req);
    });
  }

  it('gives each forwarded client address its own cap', async () => {
    expect(await sse('127.0.0.1', '203.0.113.5')).toBe(200);
    expect(await sse('127.0.0.1', '203.0.113.5')).toBe(200);
    expect(await sse('127.0.0.1', '203.0.113.5')).toBe(429);
    // Another client behind the same proxy is not affected.
    expect(await sse('127.0.0.1', '203.0.113.6')).toBe(200);
    // A client forging a hop in front of its real one is still charged to its real one.
    expect(await sse('127.0.0.1', '203.0.113.77, 203.0.113.6')).toBe(200);
    expect(await sse('127.0.0.1', '203.0.113.78, 203.0.113.6')).toBe(429);
  });

  it('ignores a forged X-Forwarded-For from an untrusted peer', async () => {
    expect(await sse('127.0.0.2', '198.51.100.1')).toBe(200);
    expect(await sse('127.0.0.2', '198.51.100.2')).toBe(200);
    // Every forged address is charged to the peer 127.0.0.2, which has used its two.
    expect(await sse('127.0.0.2', '198.51.100.3')).toBe(429);
  });
});

/** A PROXY protocol v2 header (TCP over IPv4) naming `source` as the client. */
function proxyV2(source: string, port: number): Buffer {
  const signature = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
  const header = Buffer.alloc(16);
  header[0] = 0x21; // version 2, PROXY command
  header[1] = 0x11; // AF_INET, STREAM
  header.writeUInt16BE(12, 2);
  Buffer.from(source.split('.').map(Number)).copy(header, 4);
  Buffer.from([127, 0, 0, 1]).copy(header, 8);
  header.writeUInt16BE(40_000, 12);
  header.writeUInt16BE(port, 14);
  return Buffer.concat([signature, header]);
}

describe('per-address caps behind a balancer speaking the PROXY protocol', () => {
  let server: TickwireServer;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    server = await startServer({ trustProxy: ['127.0.0.1/32'], maxConnectionsPerIp: 2 });
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await server.close();
  });

  /** Opens /sse from `localAddress` on a raw socket that starts with a PROXY v2 header naming `source`; resolves with the HTTP status. */
  function sseViaProxyProtocol(localAddress: string, source: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: server.port, localAddress }, () => {
        socket.write(Buffer.concat([proxyV2(source, server.port), Buffer.from(`GET /sse?symbols=AAPL HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`)]));
      });
      sockets.push(socket);
      let head = '';
      socket.on('data', (chunk) => {
        head += chunk.toString('latin1');
        const m = /^HTTP\/1\.1 (\d{3})/.exec(head);
        if (m) resolve(Number(m[1]));
      });
      socket.on('error', reject);
      setTimeout(() => reject(new Error(`no answer; got ${JSON.stringify(head)}`)), 5_000).unref();
    });
  }

  it('charges each PROXY-protocol client address its own cap when the balancer is trusted', async () => {
    expect(await sseViaProxyProtocol('127.0.0.1', '203.0.113.50')).toBe(200);
    expect(await sseViaProxyProtocol('127.0.0.1', '203.0.113.50')).toBe(200);
    expect(await sseViaProxyProtocol('127.0.0.1', '203.0.113.50')).toBe(429);
    expect(await sseViaProxyProtocol('127.0.0.1', '203.0.113.51')).toBe(200);
  });

  it('ignores a PROXY header sent by an untrusted peer', async () => {
    expect(await sseViaProxyProtocol('127.0.0.2', '198.51.100.1')).toBe(200);
    expect(await sseViaProxyProtocol('127.0.0.2', '198.51.100.2')).toBe(200);
    // Every claimed source is charged to the peer 127.0.0.2, which has used its two.
    expect(await sseViaProxyProtocol('127.0.0.2', '198.51.100.3')).toBe(429);
  });
});
