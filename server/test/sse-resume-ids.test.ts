// Resume ids on a reopened SSE stream, read with a minimal reader written here from the EventSource spec
// (not the product's parser) and decoded with a regex from docs/protocol.md (not parseCursor): every
// event id must name every subscribed symbol the client holds, from the very first event, so that a
// reconnect with ANY of them replays instead of re-snapshotting.
import { request, type ClientRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFrame } from '@tickwire/protocol/codec';
import { FrameType, type Frame } from '@tickwire/protocol/messages';
import type { TickwireServer } from '../src/server.js';
import { startServer, waitFor } from './harness.js';

interface RawEvent {
  id: string | undefined;
  frames: Frame[];
}

interface RawSse {
  events: RawEvent[];
  close(): void;
}

/** Events split at blank lines; `id:` and `data:` fields only (comments and retry ignored). */
function openSse(url: string, lastEventId?: string): Promise<RawSse> {
  return new Promise((resolve, reject) => {
    const events: RawEvent[] = [];
    let buffered = '';
    const req: ClientRequest = request(url, { headers: lastEventId ? { 'Last-Event-ID': lastEventId } : {} }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}`));
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffered += chunk.replace(/\r\n?/g, '\n');
        let end: number;
        while ((end = buffered.indexOf('\n\n')) >= 0) {
          const block = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          let id: string | undefined;
          const frames: Frame[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('id: ')) id = line.slice(4);
            else if (line.startsWith('data: ')) {
              const d = decodeFrame(new Uint8Array(Buffer.from(line.slice(6), 'base64')));
              if (!d.ok) throw new Error(`undecodable frame: ${d.error}`);
              frames.push(d.value);
            }
          }
          if (frames.length > 0) events.push({ id, frames });
        }
      });
      resolve({ events, close: () => req.destroy() });
    });
    req.on('error', reject);
    req.end();
  });
}

/** The id text as docs/protocol.md describes it: e<epoch base36>[-<sid>.<seq>(_<sid>.<seq>)*]. */
function readId(id: string): { epoch: number; seqs: Map<number, number> } {
  const m = /^e([0-9a-z]+)(?:-([0-9a-z._]+))?$/.exec(id);
  if (!m) throw new Error(`id ${JSON.stringify(id)} is not a cursor`);
  const seqs = new Map<number, number>();
  for (const part of m[2] ? m[2].split('_') : []) {
    const [sid, seq] = part.split('.');
    seqs.set(parseInt(sid!, 36), parseInt(seq!, 36));
  }
  return { epoch: parseInt(m[1]!, 36), seqs };
}

describe('SSE resume ids name every subscribed symbol', () => {
  let server: TickwireServer;
  beforeAll(async () => {
    server = await startServer({ tickRate: 2000, batchMs: 10, resumeTicks: 20_000 });
  });
  afterAll(() => server.close());

  it('from the first event of a resumed stream, and a reconnect with that first id replays', async () => {
    const ids = { MSFT: -1, EURUSD: -1, BTCUSD: -1 };
    const first = await openSse(`${server.url}/sse?symbols=MSFT,EURUSD&history=0`);
    await waitFor(() => first.events.filter((e) => e.frames.some((f) => f.type === FrameType.Updates)).length >= 10, { what: 'updates', timeoutMs: 10_000 });
    first.close();
    for (const e of first.events) for (const f of e.frames) if (f.type === FrameType.Snapshot) ids[f.ticker as keyof typeof ids] = f.symbolId;
    expect(ids.MSFT).toBeGreaterThanOrEqual(0);
    expect(ids.EURUSD).toBeGreaterThanOrEqual(0);
    const held = first.events.at(-1)!.id!;
    const heldSeqs = readId(held).seqs;
    expect([...heldSeqs.keys()].sort()).toEqual([ids.MSFT, ids.EURUSD].sort());

    await new Promise((r) => setTimeout(r, 200));
    // Reopened with one more symbol the client does not hold yet.
    const second = await openSse(`${server.url}/sse?symbols=MSFT,EURUSD,BTCUSD&history=0`, held);
    await waitFor(() => second.events.filter((e) => e.frames.some((f) => f.type === FrameType.Updates)).length >= 10, {
      what: 'updates after resume',
      timeoutMs: 10_000,
    });
    second.close();
    expect(second.events.length).toBeGreaterThan(3);
    expect(second.events[0]!.frames[0]!.type).toBe(FrameType.Hello);
    const latest = new Map<number, number>(heldSeqs);
    let btcSnapshotSeen = false;
    for (const e of second.events) {
      expect(e.id, 'every event carries an id').toBeDefined();
      for (const f of e.frames) {
        if (f.type === FrameType.Snapshot) {
          expect(f.symbolId, 'held symbols are replayed, not re-snapshotted').toBe(ids.BTCUSD === -1 ? f.symbolId : ids.BTCUSD);
          ids.BTCUSD = f.symbolId;
          btcSnapshotSeen = true;
          latest.set(f.symbolId, f.seq);
        } else if (f.type === FrameType.Updates) for (const t of f.ticks) latest.set(t.symbolId, t.seq);
      }
      const named = readId(e.id!).seqs;
      // Every held symbol, from the first event on, at exactly the seq the frames so far brought it to.
      expect(named.get(ids.MSFT)).toBe(latest.get(ids.MSFT));
      expect(named.get(ids.EURUSD)).toBe(latest.get(ids.EURUSD));
      if (btcSnapshotSeen) expect(named.get(ids.BTCUSD)).toBe(latest.get(ids.BTCUSD));
      else expect(named.has(ids.BTCUSD)).toBe(false);
    }
    expect(btcSnapshotSeen).toBe(true);

    // A reconnect with the very first id (the Hello's) replays both held symbols.
    const helloId = second.events[0]!.id!;
    expect(readId(helloId).seqs).toEqual(heldSeqs);
    const third = await openSse(`${server.url}/sse?symbols=MSFT,EURUSD&history=0`, helloId);
    await waitFor(() => third.events.filter((e) => e.frames.some((f) => f.type === FrameType.Updates)).length >= 3, {
      what: 'updates after second resume',
      timeoutMs: 10_000,
    });
    third.close();
    const snapshots = third.events.flatMap((e) => e.frames.filter((f) => f.type === FrameType.Snapshot));
    expect(snapshots).toHaveLength(0);
    const firstTicks = new Map<number, number>();
    for (const e of third.events)
      for (const f of e.frames) if (f.type === FrameType.Updates) for (const t of f.ticks) if (!firstTicks.has(t.symbolId)) firstTicks.set(t.symbolId, t.seq);
    expect(firstTicks.get(ids.MSFT)).toBe(heldSeqs.get(ids.MSFT)! + 1);
    expect(firstTicks.get(ids.EURUSD)).toBe(heldSeqs.get(ids.EURUSD)! + 1);
  }, 30_000);
});
