// Reconnect and fallback policy as pure functions, so every rule is unit-tested without sockets or
// timers: which transport the next attempt uses, how long to wait before it, and every default in
// one object. The connection manager only feeds these functions facts and obeys their answers.
import { fullJitterMs } from '@tickwire/protocol/backoff';
import { CloseCode, retryAfterFromReason } from '@tickwire/protocol/codes';
import { isTransportKind, type TransportClose, type TransportKind } from './types.js';

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
  /** After falling back (SSE, long polling), stay on it for reconnects this long before trying WebSocket again. */
  fallbackStickyMs: 5 * 60_000,
  /** Candles per interval asked for in snapshots. */
  history: 500,
} as const;

export type ConnectionConfig = { -readonly [K in keyof typeof CONNECTION_DEFAULTS]: number };

/** `auto` walks AUTO_CHAIN; anything else forces that one transport. */
export type TransportPreference = 'auto' | TransportKind;

/**
 * The automatic order: each step is taken when the one before could not deliver a Hello (refused,
 * blocked, or silent for helloTimeoutMs — which is also what a proxy that buffers streamed responses
 * looks like). Binary HTTP streaming is not in the chain: it is a never-ending response like SSE, so it
 * fails exactly where SSE fails and would only add a round of waiting. Short polling is not in it
 * either: wherever it works long polling works too, with less delay and fewer requests. Both stay
 * selectable by hand (transport control, `?transport=`).
 */
export const AUTO_CHAIN: readonly TransportKind[] = ['ws', 'sse', 'longpoll'];

/** The transport the automatic chain tries after `kind` failed, or null at the end of the chain. */
export function fallbackAfter(kind: TransportKind): TransportKind | null {
  const i = AUTO_CHAIN.indexOf(kind);
  return i >= 0 && i < AUTO_CHAIN.length - 1 ? (AUTO_CHAIN[i + 1] as TransportKind) : null;
}

/** A fallback transport that worked, and since when: reconnects stay on it for a while. */
export interface StickyFallback {
  kind: TransportKind;
  since: number;
}

export interface AttemptRecord {
  kind: TransportKind;
  /** Whether the attempt got as far as a Hello frame (i.e. it worked). */
  gotHello: boolean;
  /** It worked, but a proxy on the path buffers the stream (transport/buffering.ts): long polling survives that. */
  buffered?: boolean;
}

/** The transport that survives a buffering proxy: each answer is a complete response. */
export const BUFFERING_FALLBACK: TransportKind = 'longpoll';

/** Transports whose frames arrive over one never-ending response, which a proxy may buffer. */
export function isStreamed(kind: TransportKind): boolean {
  return kind === 'sse' || kind === 'stream';
}

/**
 * Full-jitter exponential backoff: uniform in [0, min(cap, base · 2^(n−1))) for the n-th consecutive
 * try (n ≥ 1). Spreading reconnects over the whole window avoids every client of a restarted server
 * knocking at once.
 */
export function backoffDelay(n: number, config: Pick<ConnectionConfig, 'backoffBaseMs' | 'backoffCapMs'>, random: () => number): number {
  if (n <= 0) return 0;
  return Math.floor(fullJitterMs(n - 1, { baseMs: config.backoffBaseMs, capMs: config.backoffCapMs }, random));
}

export interface TransportDecisionInput {
  preference: TransportPreference;
  /** The attempt that just ended, if any. */
  last: AttemptRecord | null;
  /** The fallback transport that started working after WebSocket had failed, else null. */
  fallback: StickyFallback | null;
  now: number;
  fallbackStickyMs: number;
}

/** Picks the transport of the next attempt. */
export function nextTransport(input: TransportDecisionInput): TransportKind {
  if (input.preference !== 'auto') return input.preference;
  if (input.last?.buffered === true) return BUFFERING_FALLBACK;
  // An attempt that never produced a Hello: the next one down the chain, right away.
  if (input.last !== null && !input.last.gotHello) {
    const next = fallbackAfter(input.last.kind);
    if (next !== null) return next;
  }
  if (input.fallback !== null && input.now - input.fallback.since < input.fallbackStickyMs) return input.fallback.kind;
  // A new round from the top (also after the end of the chain failed: the server may simply be down).
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
 * Wait before the next attempt. Stepping down the automatic chain (WebSocket → SSE → long polling) is
 * immediate (the same "round"); every other retry backs off with n = consecutive failures (at least 1,
 * so even the first reconnect after a drop is jittered).
 */
export function nextDelay(input: DelayInput, config: Pick<ConnectionConfig, 'backoffBaseMs' | 'backoffCapMs'>, random: () => number): number {
  const fallingBack = input.preference === 'auto' && input.last !== null && !input.last.gotHello && input.next === fallbackAfter(input.last.kind);
  const leavingBuffer = input.preference === 'auto' && input.last?.buffered === true && input.next === BUFFERING_FALLBACK;
  if (fallingBack || leavingBuffer) return 0;
  return backoffDelay(Math.max(1, input.failures), config, random);
}

/** Access token passed to the page (`?token=`), forwarded to the data endpoints. */
export function tokenFromQuery(search: string): string | undefined {
  return new URLSearchParams(search).get('token') ?? undefined;
}

/** Longest server-requested reconnect delay honoured (a restarting server spreads clients over 0–5 s). */
export const MAX_RETRY_AFTER_MS = 30_000;

/**
 * The wait the server asked for when a connection closed, capped at MAX_RETRY_AFTER_MS: the
 * `retry-after-ms=N` of a 1001 (going away) close reason, or an HTTP transport's Retry-After; null when it
 * asked for none (back off instead).
 */
export function serverRetryAfter(info: Pick<TransportClose, 'code' | 'reason' | 'retryAfterMs'>): number | null {
  if (info.code === CloseCode.GoingAway) return retryAfterFromReason(info.reason, MAX_RETRY_AFTER_MS);
  return info.retryAfterMs != null ? Math.min(info.retryAfterMs, MAX_RETRY_AFTER_MS) : null;
}

export function isPreference(value: unknown): value is TransportPreference {
  return value === 'auto' || isTransportKind(value);
}

/** Transport preference forced by the page URL (`?transport=ws|sse|stream|longpoll|poll`), if any. */
export function preferenceFromQuery(search: string): TransportPreference | null {
  const value = new URLSearchParams(search).get('transport');
  return isPreference(value) ? value : null;
}
