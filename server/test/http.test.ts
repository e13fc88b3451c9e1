// Integration: the plain HTTP routes — symbols API, health, Prometheus metrics, dashboard files.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameType } from '@tickwire/protocol/messages';
import { connectWs, httpJson, startServer } from './harness.js';
import type { TickwireServer } from '../src/server.js';

let server: TickwireServer;
let web: string;

beforeAll(async () => {
  web = mkdtempSync(join(tmpdir(), 'tickwire-static-'));
  mkdirSync(join(web, 'assets'));
  writeFileSync(join(web, 'index.html'), '<!doctype html><title>Tickwire</title><script src="/assets/app-1a2b.js"></script>');
  writeFileSync(join(web, 'assets', 'app-1a2b.js'), 'console.log(1)');
  writeFileSync(join(web, 'assets', 'app-1a2b.css'), 'body{}');
  server = await startServer({ webDir: web, symbols: 12 });
});

afterAll(() => server.close());

describe('HTTP routes', () => {
  it('lists symbols with their scales', async () => {
    const res = await httpJson(server.url, '/api/symbols');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const { symbols } = res.body as { symbols: Array<Record<string, unknown>> };
    expect(symbols).toHaveLength(12);
    expect(symbols[0]).toEqual({ id: 0, ticker: 'AAPL', name: expect.any(String), assetClass: 'equity', priceScale: 2, sizeScale: 0 });
    expect(new Set(symbols.map((s) => s.assetClass))).toEqual(new Set(['equity', 'fx', 'crypto']));
  });

  it('reports health with the native uWS flag and the feed epoch', async () => {
    const res = await httpJson(server.url, '/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', uwsNative: true, epoch: server.epoch, protocolVersion: 1 });
  });

  it('exposes Prometheus metrics that move with traffic', async () => {
    const c = await connectWs(server.url);
    c.send(JSON.stringify({ op: 'subscribe', symbols: ['AAPL'], history: 0 }));
    await c.waitFor(FrameType.Updates);
    const res = await httpJson(server.url, '/metrics');
    c.close();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    for (const name of [
      'tickwire_feed_ticks_total',
      'tickwire_batch_ticks_bucket',
      'tickwire_frames_sent_total',
      'tickwire_bytes_sent_total',
      'tickwire_connections{transport="ws"} 1',
      'tickwire_subscriptions 1',
      'tickwire_process_resident_memory_bytes',
    ]) {
      expect(res.text).toContain(name);
    }
    const sent = /tickwire_frames_sent_total\{transport="ws",type="3"\} (\d+)/.exec(res.text);
    expect(Number(sent?.[1])).toBeGreaterThan(0);
  });

  it('serves the dashboard with content types and cache headers', async () => {
    const index = await fetch(`${server.url}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const etag = index.headers.get('etag')!;
    const again = await fetch(`${server.url}/`, { headers: { 'If-None-Match': etag } });
    expect(again.status).toBe(304);
    const js = await fetch(`${server.url}/assets/app-1a2b.js`);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const css = await fetch(`${server.url}/assets/app-1a2b.css`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it('answers unknown paths and methods with a JSON 404', async () => {
    const res = await httpJson(server.url, '/nope');
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ error: { message: 'no route for GET /nope' } });
    const del = await httpJson(server.url, '/api/symbols', { method: 'DELETE' });
    expect(del.status).toBe(404);
  });
});
