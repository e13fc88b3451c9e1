// Transport selection and backoff rules (client/src/transport/policy.ts).
import { describe, expect, it } from 'vitest';
import {
  AUTO_CHAIN,
  CONNECTION_DEFAULTS,
  backoffDelay,
  fallbackAfter,
  nextDelay,
  nextTransport,
  MAX_RETRY_AFTER_MS,
  preferenceFromQuery,
  serverRetryAfter,
  tokenFromQuery,
} from '../src/transport/policy.js';
import { framesOfEvent, sseUrl } from '../src/transport/sse.js';
import { wsUrl } from '../src/transport/ws.js';
import { encodeHeartbeat } from '@tickwire/protocol/codec';
import { frameToBase64 } from '@tickwire/protocol/sse';
import { goingAwayReason, retryAfterFromReason } from '@tickwire/protocol/codes';

const cfg = { backoffBaseMs: 500, backoffCapMs: 15_000 };

describe('backoffDelay (full jitter)', () => {
  it('is 0 before any failure', () => {
    expect(backoffDelay(0, cfg, () => 0.9)).toBe(0);
  });

  it('stays within [0, min(cap, base·2^(n−1))) for every n and random value', () => {
    for (let n = 1; n <= 40; n++) {
      const ceiling = Math.min(cfg.backoffCapMs, cfg.backoffBaseMs * 2 ** (n - 1));
      for (const r of [0, 1e-9, 0.25, 0.5, 0.999_999_9, 1]) {
        const d = backoffDelay(n, cfg, () => r);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThan(ceiling);
        expect(Number.isInteger(d)).toBe(true);
      }
    }
  });

  it('uses the whole window: random 0 gives 0, random near 1 gives nearly the ceiling', () => {
    expect(backoffDelay(3, cfg, () => 0)).toBe(0);
    expect(backoffDelay(3, cfg, () => 0.999_999)).toBe(1999);
    expect(backoffDelay(1, cfg, () => 0.5)).toBe(250);
  });

  it('caps the ceiling', () => {
    expect(backoffDelay(100, cfg, () => 0.999_999)).toBe(14_999);
  });

  it('defaults live in one object', () => {
    expect(CONNECTION_DEFAULTS.helloTimeoutMs).toBe(3000);
    expect(CONNECTION_DEFAULTS.backoffBaseMs).toBeGreaterThan(0);
  });
});

describe('nextTransport', () => {
  const base = { preference: 'auto' as const, last: null, fallback: null, now: 1_000_000, fallbackStickyMs: 60_000 };

  it('starts with WebSocket', () => {
    expect(nextTransport(base)).toBe('ws');
  });

  it('falls back to SSE when a WebSocket attempt never got a Hello', () => {
    expect(nextTransport({ ...base, last: { kind: 'ws', gotHello: false } })).toBe('sse');
  });

  it('retries WebSocket after a working WebSocket dropped', () => {
    expect(nextTransport({ ...base, last: { kind: 'ws', gotHello: true } })).toBe('ws');
  });

  it('falls back to long polling when SSE could not deliver a Hello either', () => {
    expect(nextTransport({ ...base, last: { kind: 'sse', gotHello: false } })).toBe('longpoll');
  });

  it('starts a new round with WebSocket when long polling failed too (server down)', () => {
    expect(nextTransport({ ...base, last: { kind: 'longpoll', gotHello: false } })).toBe('ws');
  });

  it('chains WebSocket → SSE → long polling; streaming and short polling are never chosen automatically', () => {
    expect(AUTO_CHAIN).toEqual(['ws', 'sse', 'longpoll']);
    expect(fallbackAfter('ws')).toBe('sse');
    expect(fallbackAfter('sse')).toBe('longpoll');
    expect(fallbackAfter('longpoll')).toBeNull();
    expect(fallbackAfter('stream')).toBeNull();
    expect(fallbackAfter('poll')).toBeNull();
  });

  it('sticks to the fallback for a while after falling back, then tries WebSocket again', () => {
    const sticky = { ...base, fallback: { kind: 'sse' as const, since: base.now - 1000 }, last: { kind: 'sse' as const, gotHello: true } };
    expect(nextTransport(sticky)).toBe('sse');
    expect(nextTransport({ ...sticky, fallback: { kind: 'sse', since: base.now - 60_001 } })).toBe('ws');
    const onPolling = { ...base, fallback: { kind: 'longpoll' as const, since: base.now - 1000 }, last: { kind: 'longpoll' as const, gotHello: true } };
    expect(nextTransport(onPolling)).toBe('longpoll');
    // Even a server that is down for a moment does not send it back up the chain early.
    expect(nextTransport({ ...onPolling, last: { kind: 'longpoll', gotHello: false } })).toBe('longpoll');
  });

  it('steps further down from a sticky SSE that stops working', () => {
    const sticky = { ...base, fallback: { kind: 'sse' as const, since: base.now - 1000 }, last: { kind: 'sse' as const, gotHello: false } };
    expect(nextTransport(sticky)).toBe('longpoll');
  });

  it('obeys a forced preference whatever happened', () => {
    expect(nextTransport({ ...base, preference: 'sse' })).toBe('sse');
    expect(nextTransport({ ...base, preference: 'ws', last: { kind: 'ws', gotHello: false } })).toBe('ws');
    for (const kind of ['stream', 'longpoll', 'poll'] as const) {
      expect(nextTransport({ ...base, preference: kind, last: { kind, gotHello: false } })).toBe(kind);
    }
  });
});

describe('nextDelay', () => {
  const r = () => 0.999_999;

  it('falls back from a failed WebSocket to SSE without waiting', () => {
    expect(nextDelay({ failures: 1, last: { kind: 'ws', gotHello: false }, next: 'sse', preference: 'auto' }, cfg, r)).toBe(0);
  });

  it('jitters even the first reconnect after a live connection dropped', () => {
    const d = nextDelay({ failures: 0, last: { kind: 'ws', gotHello: true }, next: 'ws', preference: 'auto' }, cfg, r);
    expect(d).toBeGreaterThan(0);
    expect(d).toBeLessThan(cfg.backoffBaseMs);
  });

  it('falls back from a failed SSE to long polling without waiting', () => {
    expect(nextDelay({ failures: 2, last: { kind: 'sse', gotHello: false }, next: 'longpoll', preference: 'auto' }, cfg, r)).toBe(0);
  });

  it('backs off when the whole chain failed', () => {
    const d = nextDelay({ failures: 4, last: { kind: 'longpoll', gotHello: false }, next: 'ws', preference: 'auto' }, cfg, r);
    expect(d).toBe(3999);
  });

  it('backs off between forced long-poll retries', () => {
    expect(nextDelay({ failures: 1, last: { kind: 'longpoll', gotHello: false }, next: 'longpoll', preference: 'longpoll' }, cfg, r)).toBe(499);
  });

  it('backs off between forced-WebSocket retries (no fallback to skip the wait)', () => {
    expect(nextDelay({ failures: 1, last: { kind: 'ws', gotHello: false }, next: 'ws', preference: 'ws' }, cfg, r)).toBe(499);
  });
});

describe('preferenceFromQuery', () => {
  it('reads ?transport=', () => {
    expect(preferenceFromQuery('?transport=sse')).toBe('sse');
    expect(preferenceFromQuery('?a=1&transport=ws')).toBe('ws');
    expect(preferenceFromQuery('?transport=stream')).toBe('stream');
    expect(preferenceFromQuery('?transport=longpoll')).toBe('longpoll');
    expect(preferenceFromQuery('?transport=poll')).toBe('poll');
    expect(preferenceFromQuery('?transport=carrier-pigeon')).toBeNull();
    expect(preferenceFromQuery('')).toBeNull();
  });
});

describe('server hints and URLs', () => {
  it('reads the retry-after a restarting server sends, capped', () => {
    expect(retryAfterFromReason('restart; retry-after-ms=1234', MAX_RETRY_AFTER_MS)).toBe(1234);
    expect(retryAfterFromReason('restart; retry-after-ms=999999999', MAX_RETRY_AFTER_MS)).toBe(30_000);
    expect(retryAfterFromReason('going away', MAX_RETRY_AFTER_MS)).toBeNull();
  });

  it('takes the wait a close asks for: 1001 retry-after-ms or an HTTP Retry-After, capped; else none', () => {
    expect(serverRetryAfter({ code: 1001, reason: goingAwayReason(1234) })).toBe(1234);
    expect(serverRetryAfter({ code: 1001, reason: 'restart; retry-after-ms=999999999' })).toBe(MAX_RETRY_AFTER_MS);
    expect(serverRetryAfter({ code: 1001, reason: 'bye' })).toBeNull();
    // retry-after-ms counts only on a going-away close.
    expect(serverRetryAfter({ code: 1006, reason: goingAwayReason(1234) })).toBeNull();
    expect(serverRetryAfter({ code: null, reason: 'answered 503', retryAfterMs: 2_000 })).toBe(2_000);
    expect(serverRetryAfter({ code: null, reason: 'answered 503', retryAfterMs: 120_000 })).toBe(MAX_RETRY_AFTER_MS);
    expect(serverRetryAfter({ code: null, reason: 'answered 503', retryAfterMs: null })).toBeNull();
  });

  it('forwards a page token to the data endpoints', () => {
    expect(tokenFromQuery('?token=abc.def')).toBe('abc.def');
    expect(tokenFromQuery('?x=1')).toBeUndefined();
    expect(wsUrl('https://example.com', 'a b')).toBe('wss://example.com/ws?token=a+b');
    expect(wsUrl('http://127.0.0.1:8080')).toBe('ws://127.0.0.1:8080/ws');
  });

  it('builds SSE URLs with literal commas between symbols', () => {
    expect(sseUrl({ baseUrl: 'http://h:1', symbols: ['AAPL', 'BRK.B'], history: 500 })).toBe('http://h:1/sse?symbols=AAPL,BRK.B&history=500');
    expect(sseUrl({ baseUrl: 'http://h:1', symbols: [], history: 0, resume: 'e7-3.2s', token: 't' })).toBe('http://h:1/sse?history=0&cursor=e7-3.2s&token=t');
  });

  it('splits one SSE event into its frames (one base64 frame per data line)', () => {
    const a = encodeHeartbeat(1, 0, []);
    const b = encodeHeartbeat(2, 0, [{ symbolId: 1, seq: 9 }]);
    const frames = framesOfEvent(`${frameToBase64(a)}\n${frameToBase64(b)}`);
    expect(frames).toEqual([a, b]);
    expect(framesOfEvent('***not base64***')).toEqual([]);
  });
});
