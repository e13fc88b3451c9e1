// A real server exports its current batch window in /metrics: a gauge at --batch-ms once nothing loads it.
// Polled for, not timed: on a machine shared with other jobs a start-up burst (connections, the candle
// history seeded in the background) could still widen it for a moment.
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
  it('shows the base window (--batch-ms) on an idle server', { timeout: 45_000 }, async () => {
    let value = await windowGauge();
    const deadline = Date.now() + 30_000;
    while (value !== 20 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      value = await windowGauge();
    }
    expect(value).toBe(20);
  });
});
