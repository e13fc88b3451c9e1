// DNS rebinding and foreign origins against every data endpoint: the server's own origin comes from the
// listen address or --public-origin, never from the request's Host, so a rebinding page (Host and Origin
// both attacker.test, pointing at 127.0.0.1) is refused; other localhost ports are trusted only with
// --dev-origins. Raw requests, so the test controls Host and Origin exactly.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TickwireServer } from '../../src/server.js';
import { startServer } from '../harness.js';
import { rawExchange, rawGet, rawPost } from './raw-http.js';

const WS_HEADERS = { Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version': '13' };

/** Status of each data endpoint for one Host/Origin pair (101 = WebSocket upgraded, 200 = stream/poll started). */
async function statuses(port: number, host: string, origin: string | null): Promise<Record<string, number | undefined>> {
  const o: Record<string, string> = origin === null ? {} : { Origin: origin };
  const one = async (bytes: string) => (await rawExchange(port, bytes, 1, 1500)).responses[0]?.status;
  return {
    ws: await statusLine(port, rawGet(port, '/ws', { ...WS_HEADERS, ...o }, host)),
    sse: await statusLine(port, rawGet(port, '/sse?symbols=AAPL', o, host)),
    stream: await statusLine(port, rawGet(port, '/stream?symbols=AAPL', o, host)),
    poll: await one(rawGet(port, '/poll?symbols=AAPL', o, host)),
    control: await one(rawPost(port, '/sse/control', { ...o, 'Content-Type': 'application/json', 'X-Tickwire-Session': 'x' }, '{}', host)),
  };
}

/** The status code of the first response line, for answers whose body never ends (upgrade, streams). */
async function statusLine(port: number, bytes: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let text = '';
    const done = (v: number | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(undefined), 2000);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      text += chunk;
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (m) done(Number(m[1]));
    });
    socket.on('error', () => done(undefined));
    socket.write(bytes);
  });
}

const admitted = { ws: 101, sse: 200, stream: 200, poll: 200, control: 404 };
const all = (status: number) => ({ ws: status, sse: status, stream: status, poll: status, control: status });

describe('default: own origin from the listen address', () => {
  let server: TickwireServer;
  let port: number;
  beforeAll(async () => {
    server = await startServer({ allowedOrigins: ['https://trader.example'] });
    port = server.port;
  });
  afterAll(() => server.close());

  it('admits the dashboard served by the server itself (127.0.0.1 and localhost on its port) and Origin-less clients', async () => {
    expect(await statuses(port, `127.0.0.1:${port}`, `http://127.0.0.1:${port}`)).toEqual(admitted);
    expect(await statuses(port, `localhost:${port}`, `http://localhost:${port}`)).toEqual(admitted);
    expect(await statuses(port, `127.0.0.1:${port}`, null)).toEqual(admitted);
    expect(await statuses(port, `127.0.0.1:${port}`, 'https://trader.example')).toEqual(admitted);
  });

  it('refuses a DNS-rebinding page: Host and Origin both the attacker’s name (421), with or without Origin', async () => {
    expect(await statuses(port, `rebind.attacker.test:${port}`, `http://rebind.attacker.test:${port}`)).toEqual(all(421));
    // A same-origin GET (poll, EventSource) from the rebinding page carries no Origin at all.
    expect(await statuses(port, `rebind.attacker.test:${port}`, null)).toEqual(all(421));
    expect(await statuses(port, 'rebind.attacker.test', null)).toEqual(all(421));
  });

  it('refuses a foreign Origin on our own Host (403), including other localhost ports', async () => {
    for (const origin of ['https://evil.test', `http://127.0.0.1:${port + 1}`, 'http://localhost:5173', 'null', `http://127.0.0.1:${port}.evil.test`]) {
      expect(await statuses(port, `127.0.0.1:${port}`, origin), origin).toEqual(all(403));
    }
  });
});

describe('--public-origin', () => {
  let server: TickwireServer;
  let port: number;
  beforeAll(async () => {
    server = await startServer({ publicOrigins: ['https://ticks.example'] });
    port = server.port;
  });
  afterAll(() => server.close());

  it('admits the public name (with or without the default port spelled out) and the listen address', async () => {
    expect(await statuses(port, 'ticks.example', 'https://ticks.example')).toEqual(admitted);
    expect(await statuses(port, 'ticks.example:443', 'https://ticks.example')).toEqual(admitted);
    // A proxy forwarding Host as the upstream address (nginx's default) still works: an IP cannot be rebound.
    expect(await statuses(port, `127.0.0.1:${port}`, null)).toEqual(admitted);
  });

  it('refuses other names and the public name’s plain-http or other-port twins', async () => {
    expect(await statuses(port, 'other.example', 'https://other.example')).toEqual(all(421));
    expect(await statuses(port, 'ticks.example', 'http://ticks.example')).toEqual(all(403));
    expect(await statuses(port, 'ticks.example', 'https://ticks.example:8443')).toEqual(all(403));
  });
});

describe('--dev-origins', () => {
  let server: TickwireServer;
  let port: number;
  beforeAll(async () => {
    server = await startServer({ devOrigins: true });
    port = server.port;
  });
  afterAll(() => server.close());

  it('admits a dev server on another localhost port (Vite’s proxy forwards its own Host and Origin)', async () => {
    expect(await statuses(port, 'localhost:5173', 'http://localhost:5173')).toEqual(admitted);
    expect(await statuses(port, `127.0.0.1:${port}`, 'http://127.0.0.1:5173')).toEqual(admitted);
  });

  it('still refuses foreign origins and rebinding names', async () => {
    expect(await statuses(port, `127.0.0.1:${port}`, 'https://evil.test')).toEqual(all(403));
    expect(await statuses(port, `localhost.attacker.test:${port}`, null)).toEqual(all(421));
  });
});
