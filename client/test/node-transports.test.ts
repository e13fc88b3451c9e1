// Every transport of the client in Node 20 against a real server on an ephemeral port: WebSocket through
// the injected `ws` constructor (Node has no global one), SSE through the fetch-based reader (no
// EventSource in Node), the binary stream and both pollings through Node's fetch. Each must deliver the
// Hello, the snapshot it asked for, and live updates; a later subscribe must take effect.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { decodeFrame } from '@tickwire/protocol/codec';
import { controlText } from '@tickwire/protocol/control';
import { FrameType, type Frame } from '@tickwire/protocol/messages';
import { startServer, waitFor } from '@tickwire/server/test/harness';
import type { TickwireServer } from '@tickwire/server/server';
import { createTransport } from '../src/transport/factory.js';
import { TRANSPORT_KINDS, type Transport, type TransportClose, type WebSocketConstructor } from '../src/transport/types.js';

let server: TickwireServer;
let baseUrl: string;

beforeAll(async () => {
  expect((globalThis as { EventSource?: unknown }).EventSource).toBeUndefined();
  server = await startServer({ tickRate: 2000, symbols: 20 });
  baseUrl = `http://127.0.0.1:${server.port}`;
});

afterAll(async () => {
  await server?.close();
});

/** `ws`'s class meets the client's WebSocket shape without a cast: what Node users pass. */
const NodeWebSocket: WebSocketConstructor = WebSocket;

describe('client transports in Node', () => {
  for (const kind of TRANSPORT_KINDS) {
    it(`${kind}: Hello, snapshot, live updates, and a later subscribe`, async () => {
      const frames: Frame[] = [];
      const closes: TransportClose[] = [];
      let transport: Transport | undefined;
      try {
        transport = createTransport(
          kind,
          { baseUrl, symbols: ['AAPL'], history: 10, requestId: 1 },
          {
            open: () => {},
            frame: (bytes) => {
              const f = decodeFrame(bytes);
              if (f.ok) frames.push(f.value);
            },
            closed: (info) => closes.push(info),
          },
          { WebSocket: NodeWebSocket },
        );
        const snapshotOf = (ticker: string) => frames.find((f) => f.type === FrameType.Snapshot && f.ticker === ticker);
        await waitFor(() => snapshotOf('AAPL'), { timeoutMs: 8000, what: `${kind} AAPL snapshot` });
        expect(frames[0]?.type).toBe(FrameType.Hello);
        await waitFor(() => frames.some((f) => f.type === FrameType.Updates), { timeoutMs: 8000, what: `${kind} updates` });
        transport.control(controlText('subscribe', ['MSFT'], { id: 2, history: 0 }));
        await waitFor(() => snapshotOf('MSFT'), { timeoutMs: 8000, what: `${kind} MSFT snapshot after a subscribe` });
        expect(closes).toEqual([]);
      } finally {
        transport?.close();
      }
    });
  }

  it('reports a refused WebSocket as never opened', async () => {
    const closes: TransportClose[] = [];
    const t = createTransport(
      'ws',
      { baseUrl: 'http://127.0.0.1:9', symbols: ['AAPL'], history: 0, requestId: 1 },
      { open: () => {}, frame: () => {}, closed: (info) => closes.push(info) },
      { WebSocket: NodeWebSocket },
    );
    await waitFor(() => closes.length > 0, { what: 'close of a refused socket' });
    expect(closes[0]).toMatchObject({ opened: false, reached: false, code: null });
    t.close();
  });

  it('says what to pass when there is no WebSocket at all', () => {
    expect(() => createTransport('ws', { baseUrl, symbols: [], history: 0, requestId: 1 }, { open() {}, frame() {}, closed() {} })).toThrow(/pass one/);
  });
});
