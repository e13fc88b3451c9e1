// Record and replay through the real feed process and NATS: what a recording feed published and what a
// replaying feed publishes are the same tick records in the same per-symbol batches (only the header's
// epoch and send time differ: a replay is a new feed run), and a gateway serves the replay.
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEADER_SIZE } from '@tickwire/protocol/codec';
import { FrameType } from '@tickwire/protocol/messages';
import { connectWs, waitFor } from './harness.js';
import { startFeed, startGateway, startNats, stopAllChildren, type NatsServer } from './nats-harness.js';

let nats: NatsServer;
let nc: NatsConnection;
const dir = mkdtempSync(join(tmpdir(), 'tickwire-replay-'));

beforeAll(async () => {
  nats = await startNats();
  nc = await connect({ servers: nats.url, name: 'replay-test-capture' });
}, 20_000);

afterAll(async () => {
  await nc?.close();
  await nats?.stop();
  await stopAllChildren();
}, 20_000);

/** Everything published on tickwire.md.* while `run` runs: subject and frame bytes, in order. */
async function capture(run: () => Promise<void>): Promise<Array<{ subject: string; bytes: Uint8Array }>> {
  const got: Array<{ subject: string; bytes: Uint8Array }> = [];
  const sub = nc.subscribe('tickwire.md.*', {
    callback: (err, msg) => {
      if (err === null) got.push({ subject: msg.subject, bytes: msg.data.slice() });
    },
  });
  await nc.flush();
  await run();
  await nc.flush();
  await new Promise((r) => setTimeout(r, 300));
  sub.unsubscribe();
  return got;
}

describe('record and replay', () => {
  it('a replay publishes the identical tick stream in the identical batches', async () => {
    const file = join(dir, 'feed.twrec');
    let recordedEpoch = 0;
    const recorded = await capture(async () => {
      const feed = await startFeed(nats.url, ['--tick-rate', '3000', '--batch-ms', '20', '--symbols', '20', '--record', file]);
      recordedEpoch = feed.epoch;
      await new Promise((r) => setTimeout(r, 1500));
      expect(await feed.stop('SIGTERM')).toBe(0);
    });
    expect(recorded.length).toBeGreaterThan(200);
    expect(statSync(file).size).toBeGreaterThan(0);

    let replayEpoch = 0;
    const replayed = await capture(async () => {
      const feed = await startFeed(nats.url, ['--replay', file, '--speed', 'max']);
      replayEpoch = feed.epoch;
      await feed.waitForOutput(/"msg":"replay finished"/, 20_000);
      await feed.stop('SIGTERM');
    });
    expect(replayEpoch).not.toBe(recordedEpoch);
    expect(replayed.length).toBe(recorded.length);
    for (let i = 0; i < recorded.length; i++) {
      expect(replayed[i]!.subject).toBe(recorded[i]!.subject);
      // Byte 1 is the type; from the count on, every byte (tick records) is the recording's.
      expect(replayed[i]!.bytes[1]).toBe(FrameType.Updates);
      expect(Buffer.from(replayed[i]!.bytes.subarray(HEADER_SIZE)).equals(Buffer.from(recorded[i]!.bytes.subarray(HEADER_SIZE)))).toBe(true);
    }
  }, 60_000);

  it('a gateway serves a replay at 1× like a live feed', async () => {
    const file = join(dir, 'served.twrec');
    const live = await startFeed(nats.url, ['--tick-rate', '2000', '--record', file]);
    await new Promise((r) => setTimeout(r, 1500));
    await live.stop('SIGTERM');
    const feed = await startFeed(nats.url, ['--replay', file, '--speed', '1']);
    const gw = await startGateway(nats.url);
    try {
      const c = await connectWs(gw.url);
      c.send(JSON.stringify({ op: 'subscribe', symbols: ['AAPL'], history: 5, id: 1 }));
      const snap = (await c.waitFor(FrameType.Snapshot, () => true, 10_000)).frame;
      expect(snap.epoch).toBe(feed.epoch);
      // The warm-up recorded with the live run is in the replay's state: candles from the start.
      expect(snap.candles.some((s) => s.candles.length > 0)).toBe(true);
      await waitFor(() => c.of(FrameType.Updates).length >= 5, { what: 'replayed updates', timeoutMs: 10_000 });
      c.of(FrameType.Updates)
        .flatMap((u) => u.frame.ticks)
        .forEach((t, i) => expect(t.seq).toBe(snap.seq + 1 + i));
      c.close();
    } finally {
      await gw.stop();
      await feed.stop();
    }
  }, 40_000);
});
