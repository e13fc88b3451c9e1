// HEAD on every GET route answers the GET's status and headers with no body (one `HEAD /` used to abort
// the process), and the same server keeps serving afterwards. Raw sockets: the reader below parses the
// head only, and then checks that not one body byte follows.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../harness.js';
import type { TickwireServer } from '../../src/server.js';
import { rawExchange, rawGet } from './raw-http.js';

let server: TickwireServer;

beforeAll(async () => {
  server = await startServer({});
});
afterAll(async () => {
  await server.close();
});

interface Head {
  status: number;
  headers: Record<string, string>;
  /** Bytes after the head that arrived within the wait: must be 0 for HEAD. */
  extra: number;
}

/** Sends one request and parses the response head; then waits `settleMs` and counts any further bytes. */
function headOf(port: number, method: 'GET' | 'HEAD', path: string, settleMs = 300): Promise<Head> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let text = '';
    let headEnd = -1;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`${method} ${path}: no response head within 5 s`));
    }, 5000);
    const finish = () => {
      socket.destroy();
      const [statusLine, ...lines] = text.slice(0, headEnd).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const i = line.indexOf(':');
        if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine ?? '')?.[1] ?? 0), headers, extra: text.length - headEnd - 4 });
    };
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (headEnd === -1) {
        headEnd = text.indexOf('\r\n\r\n');
        if (headEnd !== -1) {
          clearTimeout(timer);
          setTimeout(finish, settleMs);
        }
      }
    });
    socket.on('close', () => {
      if (headEnd !== -1) return;
      clearTimeout(timer);
      reject(new Error(`${method} ${path}: closed without a response`));
    });
    socket.on('error', () => {});
    socket.write(`${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`, 'latin1');
  });
}

/** Headers whose values legitimately differ between two answers (time, per-request ids, stream length). */
const VOLATILE = new Set(['date', 'content-length', 'x-tickwire-cursor', 'uwebsockets', 'transfer-encoding']);

const ROUTES = [
  '/',
  '/index.html',
  '/api/symbols',
  '/api/candles?symbol=AAPL&interval=1m&limit=50',
  '/api/candles?symbol=NOPE&interval=1m',
  '/healthz',
  '/metrics',
  '/poll?symbols=AAPL',
  '/sse?symbols=AAPL',
  '/stream?symbols=AAPL',
  '/no-such-file',
  '/poll',
  '/client/tickwire-client.js',
];

describe('HEAD on every GET route', () => {
  for (const path of ROUTES) {
    it(`HEAD ${path} answers like GET, without a body`, async () => {
      const get = await headOf(server.port, 'GET', path, 50);
      const head = await headOf(server.port, 'HEAD', path);
      expect(head.status).toBe(get.status);
      expect(head.extra).toBe(0);
      const names = (h: Head) =>
        Object.keys(h.headers)
          .filter((k) => !VOLATILE.has(k))
          .sort();
      expect(names(head)).toEqual(names(get));
      for (const k of names(get)) if (k !== 'etag' && k !== 'last-modified') expect(head.headers[k], k).toBe(get.headers[k]);
      // A fixed-length GET answer announces the same length on HEAD (a 404 names the method, and health,
      // metrics and polls change between the two requests).
      if (get.status !== 404 && get.headers['content-length'] !== undefined && !path.startsWith('/poll') && path !== '/healthz' && path !== '/metrics') {
        expect(head.headers['content-length']).toBe(get.headers['content-length']);
      }
    });
  }

  it('still serves after HEAD on every route, and holds no stream session open', async () => {
    await Promise.all(ROUTES.map((p) => headOf(server.port, 'HEAD', p, 10)));
    await new Promise((r) => setTimeout(r, 200));
    expect(server.sessions.size).toBe(0);
    const { responses } = await rawExchange(server.port, rawGet(server.port, '/api/symbols'));
    expect(responses[0]!.status).toBe(200);
    expect(JSON.parse(responses[0]!.body).symbols.length).toBeGreaterThan(0);
  });
});
