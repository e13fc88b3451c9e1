// Close-reason helpers shared by the server (goingAwayReason) and every client (retryAfterFromReason).
import { describe, expect, it } from 'vitest';
import { goingAwayReason, retryAfterFromReason } from '../src/codes.js';

describe('retry-after in a 1001 close reason', () => {
  it('round-trips what the server writes', () => {
    expect(retryAfterFromReason(goingAwayReason(1234.4))).toBe(1234);
  });
  it('is null without a hint, and capped when the caller gives a cap', () => {
    expect(retryAfterFromReason('going away')).toBeNull();
    expect(retryAfterFromReason('restart; retry-after-ms=90000')).toBe(90_000);
    expect(retryAfterFromReason('restart; retry-after-ms=90000', 30_000)).toBe(30_000);
    expect(retryAfterFromReason('restart; retry-after-ms=999999999', 30_000)).toBe(30_000);
  });
});
