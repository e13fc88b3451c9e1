// A real server exports its current batch window in /metrics: a gauge at --batch-ms once nothing loads it.
// Polled for, not timed: the candle history seeded after start-up keeps the loop busy for a few seconds,
// and on a machine shared with other jobs that can widen the window until the seeding is done.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TickwireServer } from '../src/server.js';
import { startServer } from './harness.js';

let server: TickwireServer;
beforeAll(async () => {
  server = await startServer({ batchMs: 20, batchMaxMs: 50 });
});
afterAll(async () => {
  await server.close();
});

async function windowGauge(): Promise<number | null> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  expect(text).toMatch(/^# TYPE tickwire_batch_window_ms gauge$/m);
  const m = /^tickwire_batch_window_ms (\S+)$/m.exec(text);
  return m === null ? null : Number(m[1]);
}

describe('/metrics batch window', () => {
  it('shows the base window (--batch-ms) on an idle server', { timeout: 90_000 }, async () => {
    let value = await windowGauge();
    const deadline = Date.now() + 75_000;
    while (value !== 20 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      value = await windowGauge();
    }
    expect(value).toBe(20);
  });
});
