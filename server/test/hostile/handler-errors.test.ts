// Handler guard: an exception inside a uWS handler (synchronously, or in a body callback after the
// handler returned) answers 500 with the unified error body, is counted by route, and the process lives
// on to serve the next request. The server runs in this process: an uWS abort would kill the test run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../harness.js';
import type { TickwireServer } from '../../src/server.js';
import { rawExchange, rawGet, rawPost } from './raw-http.js';

let server: TickwireServer;

beforeAll(async () => {
  server = await startServer({ testHooks: true });
});
afterAll(async () => {
  await server.close();
});

async function handlerErrors(route: string): Promise<number> {
  const { responses } = await rawExchange(server.port, rawGet(server.port, '/metrics'));
  const line = responses[0]!.body.split('\n').find((l) => l.startsWith(`tickwire_handler_errors_total{route="${route}"}`));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

describe('handler guard', () => {
  it('answers 500 when a GET handler throws, counts it, and keeps serving', async () => {
    const before = await handlerErrors('GET /__test/throw');
    const { responses } = await rawExchange(server.port, rawGet(server.port, '/__test/throw'));
    expect(responses).toHaveLength(1);
    expect(responses[0]!.status).toBe(500);
    expect(responses[0]!.headers['x-content-type-options']).toBe('nosniff');
    expect(JSON.parse(responses[0]!.body)).toEqual({ error: { name: 'Internal', message: expect.any(String) } });
    expect(await handlerErrors('GET /__test/throw')).toBe(before + 1);
    const after = await rawExchange(server.port, rawGet(server.port, '/api/symbols'));
    expect(after.responses[0]!.status).toBe(200);
  });

  it('answers 500 when an onData continuation throws after the handler returned', async () => {
    const before = await handlerErrors('POST /__test/throw');
    const { responses } = await rawExchange(server.port, rawPost(server.port, '/__test/throw', { 'Content-Type': 'application/json' }, '{}'));
    expect(responses).toHaveLength(1);
    expect(responses[0]!.status).toBe(500);
    expect(JSON.parse(responses[0]!.body).error.name).toBe('Internal');
    expect(await handlerErrors('POST /__test/throw')).toBe(before + 1);
    const after = await rawExchange(server.port, rawGet(server.port, '/api/symbols'));
    expect(after.responses[0]!.status).toBe(200);
  });

  it('survives a burst of failing requests on one pipelined connection', async () => {
    const one = rawGet(server.port, '/__test/throw');
    const { responses } = await rawExchange(server.port, one.repeat(20), 20);
    expect(responses).toHaveLength(20);
    expect(responses.every((r) => r.status === 500)).toBe(true);
    const after = await rawExchange(server.port, rawGet(server.port, '/api/symbols'));
    expect(after.responses[0]!.status).toBe(200);
  });
});
