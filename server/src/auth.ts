// Optional token authentication for the data endpoints (WebSocket upgrade, SSE, stream, poll): an
// HMAC-SHA256-signed, expiring token passed as ?token= (browsers cannot set headers on WebSocket or
// EventSource) or Authorization: Bearer. Tokens are never logged. Format: base64url(JSON claims) "."
// base64url(HMAC(secret, first part)); claims: { sub: string, exp: epoch seconds }.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { HttpRequest } from 'uWebSockets.js';
import type { Refusal } from './admission.js';

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

export type TokenCheck = { ok: true; claims: TokenClaims } | { ok: false; name: 'TokenMissing' | 'TokenInvalid' | 'TokenExpired'; message: string };

export function verifyToken(secret: string, token: string, nowMs: number): TokenCheck {
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
  return { ok: true, claims: { sub: c.sub, exp: c.exp } };
}

/** The token a request presents, from the query string or the Authorization header. */
export function requestToken(req: HttpRequest): string {
  const query = req.getQuery('token');
  if (query) return query;
  const header = req.getHeader('authorization');
  return header.startsWith('Bearer ') ? header.slice(7).trim() : '';
}

/** Checks a request when a secret is configured; null means allowed. */
export function authRefusal(secret: string | null, req: HttpRequest, nowMs: number): Refusal | null {
  if (secret === null) return null;
  const check = verifyToken(secret, requestToken(req), nowMs);
  return check.ok ? null : { status: 401, name: check.name, message: check.message };
}
