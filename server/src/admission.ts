// Who may connect: the Origin allow-list, the optional token, and the connection caps (total and per client IP), checked
// before a WebSocket upgrade or an HTTP stream starts. Refusals use distinct HTTP statuses so a client
// can tell "not allowed" (403, do not retry) from "busy" (429/503 with Retry-After, back off and retry).
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { authRefusal } from './auth.js';
import { sendJson } from './http-util.js';

export interface AdmissionConfig {
  maxConnections: number;
  maxConnectionsPerIp: number;
  /** Exact origins allowed besides the server's own; ['*'] allows any. */
  allowedOrigins: readonly string[];
  /** HMAC secret for tokens; null disables authentication. */
  authSecret: string | null;
  now: () => number;
}

export type Refusal = { status: number; name: string; message: string; retryAfterSec?: number };

const LOCAL_ORIGIN = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/;

/** Answers a refused request with its status, a JSON body and Retry-After when the client may come back. */
export function sendRefusal(res: HttpResponse, refusal: Refusal): void {
  const headers: Record<string, string> = refusal.retryAfterSec ? { 'Retry-After': String(refusal.retryAfterSec) } : {};
  sendJson(res, refusal.status, { error: { name: refusal.name, message: refusal.message } }, headers);
}

export function remoteIp(res: HttpResponse): string {
  return Buffer.from(res.getRemoteAddressAsText()).toString('utf8');
}

export class Admission {
  private readonly perIp = new Map<string, number>();
  private total = 0;

  constructor(private readonly config: AdmissionConfig) {}

  /**
   * Checks a request; null means admitted. Browsers always send Origin on WebSocket upgrades and
   * cross-origin requests; clients without one (curl, Node) are not browsers and are not checked.
   */
  check(req: HttpRequest, ip: string): Refusal | null {
    const origin = req.getHeader('origin');
    if (origin !== '' && !this.originAllowed(origin, req.getHeader('host'))) {
      return { status: 403, name: 'OriginNotAllowed', message: `origin ${JSON.stringify(origin.slice(0, 100))} is not allowed` };
    }
    const auth = authRefusal(this.config.authSecret, req, this.config.now());
    if (auth) return auth;
    if (this.total >= this.config.maxConnections) {
      return { status: 503, name: 'ServerFull', message: `server holds its maximum of ${this.config.maxConnections} connections`, retryAfterSec: 5 };
    }
    if ((this.perIp.get(ip) ?? 0) >= this.config.maxConnectionsPerIp) {
      return { status: 429, name: 'TooManyConnections', message: `at most ${this.config.maxConnectionsPerIp} connections per client address`, retryAfterSec: 5 };
    }
    return null;
  }

  originAllowed(origin: string, host: string): boolean {
    const allowed = this.config.allowedOrigins;
    if (allowed.includes('*')) return true;
    if (origin === `http://${host}` || origin === `https://${host}`) return true;
    if (LOCAL_ORIGIN.test(origin)) return true;
    return allowed.includes(origin);
  }

  opened(ip: string): void {
    this.total++;
    this.perIp.set(ip, (this.perIp.get(ip) ?? 0) + 1);
  }

  closed(ip: string): void {
    this.total--;
    const n = (this.perIp.get(ip) ?? 1) - 1;
    if (n <= 0) this.perIp.delete(ip);
    else this.perIp.set(ip, n);
  }
}

/** Token bucket for control messages: `burst` at once, refilled at `perSecond`. */
export class RateLimiter {
  private tokens: number;
  private last: number;

  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  take(now: number): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
