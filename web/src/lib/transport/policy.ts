// Reconnect and fallback policy as pure functions, so every rule is unit-tested without sockets or
// timers: which transport the next attempt uses, how long to wait before it, and every default in
// one object. The connection manager only feeds these functions facts and obeys their answers.
import type { TransportKind } from './types.js';

export const CONNECTION_DEFAULTS = {
  /** First backoff ceiling; the ceiling doubles per consecutive failure (full jitter below it). */
  backoffBaseMs: 500,
  /** Ceiling of the backoff ceiling. */
  backoffCapMs: 15_000,
  /** An attempt that has not delivered a Hello frame by then has failed (covers "never opened" too). */
  helloTimeoutMs: 3_000,
  /** A live connection that delivers nothing for this many heartbeat periods is considered dead. */
  staleHeartbeats: 3,
  /** Lower bound of the staleness timeout, for servers announcing very short heartbeats. */
  staleMinMs: 4_000,
  /** After falling back to SSE, stay on it for reconnects this long before trying WebSocket again. */
  fallbackStickyMs: 5 * 60_000,
  /** Candles per interval asked for in snapshots. */
  history: 500,
} as const;

export type ConnectionConfig = { -readonly [K in keyof typeof CONNECTION_DEFAULTS]: number };

export type TransportPreference = 'auto' | 'ws' | 'sse';

export interface AttemptRecord {
  kind: TransportKind;
  /** Whether the attempt got as far as a Hello frame (i.e. it worked). */
  gotHello: boolean;
}

/**
 * Full-jitter exponential backoff: uniform in [0, min(cap, base · 2^(n−1))) for the n-th consecutive
 * try (n ≥ 1). Spreading reconnects over the whole window avoids every client of a restarted server
 * knocking at once.
 */
export function backoffDelay(n: number, config: Pick<ConnectionConfig, 'backoffBaseMs' | 'backoffCapMs'>, random: () => number): number {
  if (n <= 0) return 0;
  const ceiling = Math.min(config.backoffCapMs, config.backoffBaseMs * 2 ** Math.min(n - 1, 30));
  return Math.floor(Math.min(Math.max(random(), 0), 0.999_999) * ceiling);
}

export interface TransportDecisionInput {
  preference: TransportPreference;
  /** The attempt that just ended, if any. */
  last: AttemptRecord | null;
  /** When SSE started working after WebSocket had failed (sticky fallback), else null. */
  fallbackSince: number | null;
  now: number;
  fallbackStickyMs: number;
}

/** Picks the transport of the next attempt. */
export function nextTransport(input: TransportDecisionInput): TransportKind {
  if (input.preference !== 'auto') return input.preference;
  if (input.fallbackSince !== null && input.now - input.fallbackSince < input.fallbackStickyMs) return 'sse';
  // A WebSocket attempt that never produced a Hello (blocked, refused, or silent): try SSE right away.
  if (input.last !== null && input.last.kind === 'ws' && !input.last.gotHello) return 'sse';
  return 'ws';
}

export interface DelayInput {
  /** Consecutive attempts that ended without a Hello (0 right after a live connection dropped). */
  failures: number;
  last: AttemptRecord | null;
  next: TransportKind;
  preference: TransportPreference;
}

/**
 * Wait before the next attempt. Falling back from a failed WebSocket to SSE is immediate (the same
 * "round"); every other retry backs off with n = consecutive failures (at least 1, so even the first
 * reconnect after a drop is jittered).
 */
export function nextDelay(input: DelayInput, config: Pick<ConnectionConfig, 'backoffBaseMs' | 'backoffCapMs'>, random: () => number): number {
  const fallingBack =
    input.preference === 'auto' && input.next === 'sse' && input.last !== null && input.last.kind === 'ws' && !input.last.gotHello;
  if (fallingBack) return 0;
  return backoffDelay(Math.max(1, input.failures), config, random);
}

/** Access token passed to the page (`?token=`), forwarded to the data endpoints. */
export function tokenFromQuery(search: string): string | undefined {
  return new URLSearchParams(search).get('token') ?? undefined;
}

/** Longest server-requested reconnect delay honoured (a restarting server spreads clients over 0–5 s). */
export const MAX_RETRY_AFTER_MS = 30_000;

/** The wait a server asked for when it closed (WebSocket 1001 reason `restart; retry-after-ms=N`). */
export function retryAfterFromReason(reason: string): number | null {
  const match = /retry-after-ms=(\d{1,9})/.exec(reason);
  return match === null ? null : Math.min(Number(match[1]), MAX_RETRY_AFTER_MS);
}

/** Transport preference forced by the page URL (`?transport=sse|ws`), if any. */
export function preferenceFromQuery(search: string): TransportPreference | null {
  const value = new URLSearchParams(search).get('transport');
  return value === 'sse' || value === 'ws' || value === 'auto' ? value : null;
}
