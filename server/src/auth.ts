// Optional token authentication for the data endpoints (WebSocket upgrade, SSE, stream, poll): an
// HMAC-SHA256-signed, expiring token passed as ?token= (browsers cannot set headers on WebSocket or
// EventSource) or Authorization: Bearer. Tokens are never logged. Format: base64url(JSON claims) "."
// base64url(HMAC(secret, first part)); claims: { sub: string, exp: epoch seconds }. A token whose exp lies
// further ahead than the server's lifetime cap is refused (not clamped): a leaked long-lived token must
// stay useless, and the issuer learns at once that it mints tokens the server will not take.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { HttpRequest } from 'uWebSockets.js';
import type { Refusal } from './http-util.js';

export interface TokenClaims {
  sub: string;
  exp: number;
}

function sign(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload).digest('base64url');
}

export function signToken(secret: string, claims: TokenClaims): string {
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${payload}.${sign(secret, payload)}`;
}

export type TokenRefusalName = 'TokenMissing' | 'TokenInvalid' | 'TokenExpired' | 'TokenLifetimeTooLong';
export type TokenCheck = { ok: true; claims: TokenClaims } | { ok: false; name: TokenRefusalName; message: string };

/** Slack on the lifetime cap for an issuer whose clock runs a little ahead of ours. */
export const TOKEN_CLOCK_SKEW_SEC = 60;

/** `maxLifetimeSec` caps how far ahead exp may lie; Infinity disables the cap (tests of the signature only). */
export function verifyToken(secret: string, token: string, nowMs: number, maxLifetimeSec = Infinity): TokenCheck {
  if (token === '') return { ok: false, name: 'TokenMissing', message: 'this server requires a token (?token= or Authorization: Bearer)' };
  const parts = token.split('.');
  if (parts.length !== 2 || token.length > 4096) return { ok: false, name: 'TokenInvalid', message: 'token is malformed' };
  const [payload, signature] = parts as [string, string];
  const expected = Buffer.from(sign(secret, payload));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return { ok: false, name: 'TokenInvalid', message: 'token signature does not match' };
  }
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, name: 'TokenInvalid', message: 'token payload is not JSON' };
  }
  const c = claims as Partial<TokenClaims>;
  if (typeof c.sub !== 'string' || typeof c.exp !== 'number' || !Number.isFinite(c.exp)) {
    return { ok: false, name: 'TokenInvalid', message: 'token claims need sub (string) and exp (epoch seconds)' };
  }
  if (c.exp * 1000 <= nowMs) return { ok: false, name: 'TokenExpired', message: 'token has expired: get a fresh one' };
  if (c.exp * 1000 > nowMs + (maxLifetimeSec + TOKEN_CLOCK_SKEW_SEC) * 1000) {
    return { ok: false, name: 'TokenLifetimeTooLong', message: `token expires more than ${maxLifetimeSec} s from now; this server takes shorter-lived tokens` };
  }
  return { ok: true, claims: { sub: c.sub, exp: c.exp } };
}

/** The token a request presents, from the query string or the Authorization header. */
export function requestToken(req: HttpRequest): string {
  const query = req.getQuery('token');
  if (query) return query;
  const header = req.getHeader('authorization');
  return header.startsWith('Bearer ') ? header.slice(7).trim() : '';
}

/** Checks a request when a secret is configured: claims (null when auth is off) or the refusal. */
export function authenticate(
  secret: string | null,
  req: HttpRequest,
  nowMs: number,
  maxLifetimeSec: number,
): { ok: true; claims: TokenClaims | null } | { ok: false; refusal: Refusal } {
  if (secret === null) return { ok: true, claims: null };
  const check = verifyToken(secret, requestToken(req), nowMs, maxLifetimeSec);
  return check.ok ? check : { ok: false, refusal: { status: 401, name: check.name, message: check.message } };
}

/** setTimeout fires at once for delays past 2^31-1 ms (~24.8 days): longer waits are re-armed in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Calls `expired` when the token's exp passes (wall clock, as verification uses). Returns the cancel
 * function; with no claims (auth off) nothing is scheduled.
 */
export function onTokenExpiry(claims: TokenClaims | null, expired: () => void): () => void {
  if (claims === null) return () => {};
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    const left = claims.exp * 1000 - Date.now();
    if (left <= 0) return expired();
    timer = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
    timer.unref();
  };
  arm();
  return () => clearTimeout(timer);
}
