// The continuity rules shared by MarketFeed and the load tester (client/src/continuity.ts): the resume
// offer a reconnect presents, and the per-symbol rate limit of gap-repair requests.
import { describe, expect, it } from 'vitest';
import { parseCursor } from '@tickwire/protocol/cursor';
import { RESYNC_AFTER_MS, ResyncGuard, resumeOffer } from '../src/continuity.js';

describe('resumeOffer', () => {
  it('carries the epoch and each entry in a cursor the server parses back', () => {
    const offer = resumeOffer(7, [
      [1, 11],
      [2, 50],
    ]);
    expect(offer).not.toBeNull();
    expect(offer!.epoch).toBe(7);
    expect(offer!.entries).toEqual([
      [1, 11],
      [2, 50],
    ]);
    const parsed = parseCursor(offer!.cursor, 100);
    expect(parsed.ok && [parsed.value.epoch, [...parsed.value.seqs]]).toEqual([
      7,
      [
        [1, 11],
        [2, 50],
      ],
    ]);
  });

  it('offers nothing without an epoch or without a symbol', () => {
    expect(resumeOffer(null, [[1, 11]])).toBeNull();
    expect(resumeOffer(7, [])).toBeNull();
  });

  it('epoch 0 is an epoch', () => {
    expect(resumeOffer(0, [[3, 0]])?.epoch).toBe(0);
  });
});

describe('ResyncGuard', () => {
  it('lets one request per symbol out, repeats it only after the interval, and counts symbols apart', () => {
    const guard = new ResyncGuard<string>();
    expect(guard.intervalMs).toBe(RESYNC_AFTER_MS);
    expect(guard.ask('AAPL', 1_000)).toBe(true);
    expect(guard.ask('AAPL', 1_000 + RESYNC_AFTER_MS - 1)).toBe(false);
    expect(guard.ask('MSFT', 1_001)).toBe(true);
    expect(guard.ask('AAPL', 1_000 + RESYNC_AFTER_MS)).toBe(true);
    // The repeat restarts the window.
    expect(guard.ask('AAPL', 1_000 + RESYNC_AFTER_MS + 1)).toBe(false);
  });

  it('a snapshot ends the request: the next loss asks at once', () => {
    const guard = new ResyncGuard<number>(1_000);
    expect(guard.ask(5, 0)).toBe(true);
    expect(guard.ask(5, 10)).toBe(false);
    guard.answered(5);
    expect(guard.ask(5, 20)).toBe(true);
    // An answer for another symbol changes nothing here.
    guard.answered(6);
    expect(guard.ask(5, 30)).toBe(false);
  });

  it('forget and clear drop requests in flight (unsubscribed symbol, new session)', () => {
    const guard = new ResyncGuard<string>();
    guard.ask('A', 0);
    guard.ask('B', 0);
    guard.forget('A');
    expect(guard.ask('A', 1)).toBe(true);
    expect(guard.ask('B', 1)).toBe(false);
    guard.clear();
    expect(guard.ask('A', 2)).toBe(true);
    expect(guard.ask('B', 2)).toBe(true);
  });
});
