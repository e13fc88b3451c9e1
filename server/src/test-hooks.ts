// Fault injection for tests, mounted only with --test-hooks: stall the feed, lose Updates frames of a
// symbol between the fan-out and the transports (a transport-level gap that heartbeats must reveal), and
// report memory after a forced GC (soak tests), and throw inside a handler (proves the handler guard).
import type { TemplatedApp } from 'uWebSockets.js';
import type { Fanout } from '@tickwire/core/fanout';
import { readBody, sendJson } from './http-util.js';
import type { Subscriptions } from './subscriptions.js';

export interface FeedSwitch {
  stalled: boolean;
}

export function mountTestHooks(app: TemplatedApp, fanout: Fanout, subscriptions: Subscriptions, feed: FeedSwitch): void {
  app.post('/__test/feed/stall', (res) => {
    feed.stalled = true;
    sendJson(res, 200, { stalled: true });
  });
  app.post('/__test/feed/resume', (res) => {
    feed.stalled = false;
    sendJson(res, 200, { stalled: false });
  });
  // Memory after a full collection (needs node --expose-gc): what a soak test trends over time.
  app.post('/__test/memory', (res) => {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    sendJson(res, 200, { gcRan: gc !== undefined, ...process.memoryUsage() });
  });
  // A handler that throws before answering, and one that throws in its body callback after returning.
  app.get('/__test/throw', () => {
    throw new Error('test hook: thrown inside a GET handler');
  });
  app.post('/__test/throw', (res) => {
    readBody(res, 1024, () => {
      throw new Error('test hook: thrown inside an onData continuation');
    });
  });
  app.post('/__test/drop', (res, req) => {
    const id = subscriptions.symbolId(req.getQuery('symbol') ?? '');
    const frames = Number(req.getQuery('frames') ?? '1');
    if (id === undefined || !Number.isInteger(frames) || frames < 1 || frames > 1000) {
      return sendJson(res, 400, { error: { name: 'BadRequest', message: 'use /__test/drop?symbol=TICKER&frames=1..1000' } });
    }
    fanout.dropFrames.set(id, frames);
    sendJson(res, 200, { symbolId: id, frames });
  });
}
