// The operator surface under hostile traffic: /metrics on its own listener (--metrics-port) or behind the
// token, tickwire_refusals_total{reason} counting each refusal exactly once (asserted as deltas per
// reason), refusal logs rate-limited per reason, and a Hello serverId that names neither host nor pid.
import { hostname } from 'node:os';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameType } from '@tickwire/protocol/messages';
import { REFUSAL_LOG_WINDOW_MS, RefusalLog } from '../../src/admission.js';
import { signToken } from '../../src/auth.js';
import type { TickwireServer } from '../../src/server.js';
import { connectSse, postControl, startServer, waitFor } from '../harness.js';
import { openWs, rawExchange, rawGet } from './raw-http.js';

/** The value of one labelled sample in a Prometheus text exposition (0 when absent). */
function sample(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('--metrics-port and refusal counting', () => {
  let server: TickwireServer;
  const lines: Array<Record<string, unknown>> = [];
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
        done();
      },
    });
    server = await startServer({ metricsPort: 0, maxConnectionsPerIp: 2 }, { logger: pino({ level: 'warn' }, sink) });
  });
  afterAll(() => server.close());

  const metricsUrl = () => `http://127.0.0.1:${server.metricsPort}/metrics`;
  const scrape = async () => {
    const res = await fetch(metricsUrl());
    expect(res.status).toBe(200);
    return res.text();
  };

  it('serves /metrics on the metrics port only', async () => {
    expect(server.metricsPort).toBeGreaterThan(0);
    expect(server.metricsPort).not.toBe(server.port);
    expect(await scrape()).toContain('tickwire_feed_ticks_total');
    expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${server.metricsPort}/ws`)).status).toBe(404);
  });

  it('counts each refusal once under its reason', async () => {
    const before = await scrape();
    const port = server.port;
    const n = 3;
    for (let i = 0; i < n; i++) {
      expect(await openWs(server.url, '', { Origin: 'https://evil.test' })).toBe(403);
      expect((await rawExchange(port, rawGet(port, '/poll?symbols=AAPL', {}, 'rebind.attacker.test'))).responses[0]?.status).toBe(421);
      expect((await postControl(server.url, '/sse/control', 'x', '{}', { 'content-type': 'text/plain' })).status).toBe(415);
    }
    const held = [await connectSse(server.url, '/sse'), await connectSse(server.url, '/sse')];
    await expect(connectSse(server.url, '/sse')).rejects.toMatchObject({ status: 429 });
    for (const h of held) h.close();
    const after = await scrape();
    const delta = (reason: string) =>
      sample(after, 'tickwire_refusals_total', `reason="${reason}"`) - sample(before, 'tickwire_refusals_total', `reason="${reason}"`);
    expect(delta('OriginNotAllowed')).toBe(n);
    expect(delta('HostNotAllowed')).toBe(n);
    expect(delta('UnsupportedMediaType')).toBe(n);
    expect(delta('TooManyConnections')).toBe(1);
    expect(delta('TokenMissing')).toBe(0);
  });

  it('logs refusals at most once per reason per window', async () => {
    for (let i = 0; i < 20; i++) expect(await openWs(server.url, '', { Origin: 'https://flood.test' })).toBe(403);
    // 23 OriginNotAllowed refusals so far (3 in the previous test), all within one window: one line.
    const logged = lines.filter((l) => l.msg === 'request refused' && l.reason === 'OriginNotAllowed');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ status: 403, suppressed: 0 });
    expect(lines.filter((l) => l.msg === 'request refused' && l.reason === 'HostNotAllowed')).toHaveLength(1);
  });

  it('announces a random serverId, stable per process, without host name or pid', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const c = await openWs(server.url);
      if (typeof c === 'number') throw new Error(`upgrade refused with ${c}`);
      await waitFor(() => c.frames.find((f) => f.type === FrameType.Hello), { what: 'hello' });
      const hello = c.frames.find((f) => f.type === FrameType.Hello)!;
      if (hello.type === FrameType.Hello) ids.push(hello.serverId);
      c.ws.close();
    }
    expect(ids).toHaveLength(2);
    expect(ids[0]).toBe(ids[1]);
    expect(ids[0]).toMatch(/^[0-9a-f]{12}$/);
    expect(ids[0]).not.toContain(hostname());
    expect(ids[0]).not.toContain(String(process.pid));
  });
});

describe('/metrics with --auth-secret on the main port', () => {
  const secret = 'metrics-test-secret-0123456789';
  let server: TickwireServer;
  beforeAll(async () => {
    server = await startServer({ authSecret: secret });
  });
  afterAll(() => server.close());

  it('needs a token, and counts the refusal', async () => {
    const none = await fetch(`${server.url}/metrics`);
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: { name: 'TokenMissing' } });
    const token = signToken(secret, { sub: 'prometheus', exp: Math.floor(Date.now() / 1000) + 600 });
    const ok = await fetch(`${server.url}/metrics`, { headers: { Authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    const text = await ok.text();
    expect(sample(text, 'tickwire_refusals_total', 'reason="TokenMissing"')).toBeGreaterThanOrEqual(1);
  });
});

describe('--metrics-port with --auth-secret', () => {
  const secret = 'metrics-port-secret-0123456789';
  let server: TickwireServer;
  beforeAll(async () => {
    server = await startServer({ authSecret: secret, metricsPort: 0 });
  });
  afterAll(() => server.close());

  it('serves the metrics listener without a token (its address guards it) and nothing on the main port', async () => {
    expect((await fetch(`http://127.0.0.1:${server.metricsPort}/metrics`)).status).toBe(200);
    expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
  });
});

describe('RefusalLog', () => {
  it('writes one line per reason per window, then reports how many it held back', () => {
    let t = 0;
    const out: Array<{ reason: string; suppressed: number }> = [];
    const log = new RefusalLog(
      (f) => out.push({ reason: f.reason, suppressed: f.suppressed }),
      () => t,
    );
    const refusal = (name: string) => ({ status: 403, name, message: 'm' });
    for (let i = 0; i < 50; i++) log.note(refusal('OriginNotAllowed'));
    log.note(refusal('TokenInvalid'));
    expect(out).toEqual([
      { reason: 'OriginNotAllowed', suppressed: 0 },
      { reason: 'TokenInvalid', suppressed: 0 },
    ]);
    t = REFUSAL_LOG_WINDOW_MS - 1;
    log.note(refusal('OriginNotAllowed'));
    expect(out).toHaveLength(2);
    t = REFUSAL_LOG_WINDOW_MS + 1;
    log.note(refusal('OriginNotAllowed'));
    expect(out[2]).toEqual({ reason: 'OriginNotAllowed', suppressed: 50 });
  });
});
