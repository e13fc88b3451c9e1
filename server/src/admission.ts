// Who may connect: the Host and Origin checks, the optional token, and the connection caps (total and
// per client IP), checked before a WebSocket upgrade, an HTTP stream, a poll or a control POST. Refusals
// use distinct HTTP statuses so a client can tell "not allowed" (401/403/415/421, do not retry as is) from
// "busy" (429/503 with Retry-After, back off and retry); every refusal is counted and logged (rate-limited).
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { authenticate, type TokenClaims } from './auth.js';
import { TrustedProxies } from './client-address.js';
import { sendJson, type Refusal } from './http-util.js';

export interface AdmissionConfig {
  maxConnections: number;
  maxConnectionsPerIp: number;
  /** Exact origins allowed besides the server's own; ['*'] allows any. */
  allowedOrigins: readonly string[];
  /** Development: any localhost origin and Host, on any port. */
  devOrigins: boolean;
  /** HMAC secret for tokens; null disables authentication. */
  authSecret: string | null;
  maxTokenLifetimeSec: number;
  now: () => number;
  /** Told of every refusal sent (metrics and logs). */
  onRefusal?: (refusal: Refusal) => void;
  /** Proxies whose forwarding headers are believed (--trust-proxy); null = the socket peer is the client. */
  trustedProxies?: TrustedProxies | null;
}

export type { Refusal } from './http-util.js';

/** Admitted: the token's claims (null when authentication is off). */
export type Admitted = { ok: true; claims: TokenClaims | null } | { ok: false; refusal: Refusal };

const LOCAL_ORIGIN = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/;
const LOCAL_HOST = /^(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/;
/**
 * A Host that is an IP address literal: DNS rebinding needs a name, so such a Host (and an Origin equal
 * to it) is never a rebinding page; it is how clients reach a wildcard listener by address.
 */
const IP_LITERAL_HOST = /^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-f:.]+\])(:\d{1,5})?$/i;

/** Answers a refused request with its status, a JSON body and Retry-After when the client may come back. */
export function sendRefusal(res: HttpResponse, refusal: Refusal): void {
  const headers: Record<string, string> = { ...refusal.headers, ...(refusal.retryAfterSec ? { 'Retry-After': String(refusal.retryAfterSec) } : {}) };
  sendJson(res, refusal.status, { error: { name: refusal.name, message: refusal.message } }, headers, refusal.close === true);
}

export function remoteIp(res: HttpResponse): string {
  return Buffer.from(res.getRemoteAddressAsText()).toString('utf8');
}

/**
 * The origins a server listening on host:port is reachable as, when the operator named none: the listen
 * address itself, plus localhost for a loopback listener. A wildcard listener (0.0.0.0, ::) answers to
 * loopback names and IP literals only until --public-origin names the rest: trusting guessed names would
 * trust whatever a rebinding DNS answer points there.
 */
export function derivedOrigins(host: string, port: number, scheme: 'http' | 'https' = 'http'): string[] {
  const bracketed = host.includes(':') ? `[${host}]` : host;
  const loopback = [`${scheme}://127.0.0.1:${port}`, `${scheme}://localhost:${port}`, `${scheme}://[::1]:${port}`];
  if (host === '0.0.0.0' || host === '::' || host === '[::]') return loopback;
  const own = `${scheme}://${bracketed}:${port}`;
  if (host === '127.0.0.1' || host === 'localhost' || host === '::1') return [...new Set([own, ...loopback])];
  return [own];
}

export class Admission {
  private readonly perIp = new Map<string, number>();
  private total = 0;
  private ownOrigins = new Set<string>();
  private ownHosts = new Set<string>();

  constructor(private readonly config: AdmissionConfig) {}

  /** The address this request is charged to: read in the handler itself (uWS frees `req` after it). */
  clientIp(res: HttpResponse, req: HttpRequest): string {
    const peer = remoteIp(res);
    const proxies = this.config.trustedProxies;
    if (proxies == null) return peer;
    return proxies.clientAddress(
      peer,
      req.getHeader('x-forwarded-for'),
      req.getHeader('forwarded'),
      Buffer.from(res.getProxiedRemoteAddressAsText()).toString('utf8'),
    );
  }

  /** The origins the server is served as (set once the port is known); their host:port are the accepted Hosts. */
  serveAs(origins: readonly string[]): void {
    this.ownOrigins = new Set(origins);
    this.ownHosts = new Set();
    for (const o of origins) {
      const url = new URL(o);
      this.ownHosts.add(url.host.toLowerCase());
      // A client may spell the default port out (Host: example.com:443).
      if (url.port === '') this.ownHosts.add(`${url.hostname}:${url.protocol === 'https:' ? 443 : 80}`.toLowerCase());
    }
  }

  get origins(): readonly string[] {
    return [...this.ownOrigins];
  }

  /** Host, Origin and token checks, without the connection caps (control POSTs, /metrics). */
  authorize(req: HttpRequest): Admitted {
    const host = req.getHeader('host');
    // Browsers always send Host; a name that is not ours means a DNS-rebinding page (or a misrouted proxy).
    if (host !== '' && !this.hostAllowed(host)) {
      return refused(
        421,
        'HostNotAllowed',
        `this server is not served as ${JSON.stringify(host.slice(0, 100))}; set --public-origin to the names it is served as`,
      );
    }
    const origin = req.getHeader('origin');
    // Browsers send Origin on WebSocket upgrades and cross-origin requests; clients without one (curl,
    // Node) are not browsers and are not checked.
    if (origin !== '' && !this.originAllowed(origin) && !(IP_LITERAL_HOST.test(host) && (origin === `http://${host}` || origin === `https://${host}`))) {
      return refused(403, 'OriginNotAllowed', `origin ${JSON.stringify(origin.slice(0, 100))} is not allowed`);
    }
    const auth = authenticate(this.config.authSecret, req, this.config.now(), this.config.maxTokenLifetimeSec);
    return auth.ok ? { ok: true, claims: auth.claims } : auth;
  }

  /** authorize() plus the connection caps: for requests that will hold a connection slot. */
  admit(req: HttpRequest, ip: string): Admitted {
    const allowed = this.authorize(req);
    if (!allowed.ok) return allowed;
    const full = this.capRefusal(ip);
    return full === null ? allowed : { ok: false, refusal: full };
  }

  /** The connection caps alone: total, then per client address. */
  capRefusal(ip: string): Refusal | null {
    if (this.total >= this.config.maxConnections) {
      return { status: 503, name: 'ServerFull', message: `server holds its maximum of ${this.config.maxConnections} connections`, retryAfterSec: 5 };
    }
    if ((this.perIp.get(ip) ?? 0) >= this.config.maxConnectionsPerIp) {
      return {
        status: 429,
        name: 'TooManyConnections',
        message: `at most ${this.config.maxConnectionsPerIp} connections per client address`,
        retryAfterSec: 5,
      };
    }
    return null;
  }

  /** admit() without the claims; null means admitted. */
  check(req: HttpRequest, ip: string): Refusal | null {
    const admitted = this.admit(req, ip);
    return admitted.ok ? null : admitted.refusal;
  }

  /** Sends a refusal and counts it: every admission refusal goes through here. */
  refuse(res: HttpResponse, refusal: Refusal): void {
    this.config.onRefusal?.(refusal);
    sendRefusal(res, refusal);
  }

  originAllowed(origin: string): boolean {
    const allowed = this.config.allowedOrigins;
    if (allowed.includes('*')) return true;
    if (this.ownOrigins.has(origin)) return true;
    if (this.config.devOrigins && LOCAL_ORIGIN.test(origin)) return true;
    return allowed.includes(origin);
  }

  hostAllowed(host: string): boolean {
    const h = host.toLowerCase();
    if (this.ownHosts.has(h) || IP_LITERAL_HOST.test(h)) return true;
    return this.config.devOrigins && LOCAL_HOST.test(h);
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

function refused(status: number, name: string, message: string): Admitted {
  return { ok: false, refusal: { status, name, message } };
}

/** At most one log line per refusal reason per this window; the next line says how many were held back. */
export const REFUSAL_LOG_WINDOW_MS = 10_000;

/**
 * Rate-limited refusal log: a refusal flood (a scanner, a misconfigured client fleet) costs one line per
 * reason per window, not one per request, and the suppressed count keeps the volume visible.
 */
export class RefusalLog {
  private readonly byReason = new Map<string, { lastMs: number; suppressed: number }>();

  constructor(
    private readonly write: (fields: { reason: string; status: number; suppressed: number; message: string }) => void,
    private readonly now: () => number,
  ) {}

  note(refusal: Refusal): void {
    const t = this.now();
    const entry = this.byReason.get(refusal.name);
    if (entry !== undefined && t - entry.lastMs < REFUSAL_LOG_WINDOW_MS) {
      entry.suppressed++;
      return;
    }
    const suppressed = entry?.suppressed ?? 0;
    this.byReason.set(refusal.name, { lastMs: t, suppressed: 0 });
    this.write({ reason: refusal.name, status: refusal.status, suppressed, message: refusal.message });
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
