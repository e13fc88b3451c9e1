// The operator's view at /admin (off unless --admin-token is set): connections by transport and client
// address, the backlog and conflation state of the most loaded connections, subscribers per symbol,
// slow-consumer closes, feed and bus health. HTML that refreshes itself without any script (its own
// CSP allows none) and the same data as JSON at /admin/state.json; HTTP Basic auth, the token being
// the password, compared in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { Route } from '@tickwire/protocol/routes';
import type { TransportName } from './config.js';
import { sendJson, statusLine, writeCommonHeaders, writePageHeaders } from './http-util.js';
import type { Metrics } from './metrics.js';
import type { SessionRegistry } from './sessions.js';

/** Rows of the per-connection and per-address tables: the most loaded ones; totals are always complete. */
export const ADMIN_TOP_ROWS = 100;
const REFRESH_SEC = 2;

export interface AdminDeps {
  token: string;
  sessions: SessionRegistry;
  /** Tickers by symbol id, read per request (instruments registered at run time join the list). */
  tickers: () => readonly string[];
  metrics: Metrics;
  health: () => { stalled: boolean; detail: Record<string, unknown> };
  now: () => number;
}

export interface AdminState {
  atMs: number;
  connections: Record<TransportName, number>;
  addresses: Array<{ address: string; total: number; byTransport: Partial<Record<TransportName, number>> }>;
  busiest: Array<{ session: string; transport: TransportName; address: string; symbols: number; backlogBytes: number; conflatingMs: number | null }>;
  conflating: number;
  symbols: Array<{ ticker: string; subscribers: number }>;
  slowConsumerCloses: Partial<Record<TransportName, number>>;
  feed: { stalled: boolean; [key: string]: unknown };
}

export async function adminState(deps: AdminDeps): Promise<AdminState> {
  const now = deps.now();
  const byAddress = new Map<string, AdminState['addresses'][number]>();
  const tickers = deps.tickers();
  const perSymbol = new Uint32Array(tickers.length);
  const sessions: AdminState['busiest'] = [];
  let conflating = 0;
  for (const s of deps.sessions) {
    let a = byAddress.get(s.ip);
    if (a === undefined) byAddress.set(s.ip, (a = { address: s.ip, total: 0, byTransport: {} }));
    a.total++;
    a.byTransport[s.transport] = (a.byTransport[s.transport] ?? 0) + 1;
    for (const id of s.symbols) if (id < perSymbol.length) perSymbol[id]!++;
    if (s.lag !== null) conflating++;
    // A session id is the capability that steers an HTTP stream: show only a digest of it.
    const session = createHash('sha256').update(s.id).digest('hex').slice(0, 10);
    sessions.push({
      session,
      transport: s.transport,
      address: s.ip,
      symbols: s.symbols.size,
      backlogBytes: s.bufferedBytes(),
      conflatingMs: s.lag === null ? null : now - s.lag.since,
    });
  }
  sessions.sort((x, y) => y.backlogBytes - x.backlogBytes || (y.conflatingMs ?? -1) - (x.conflatingMs ?? -1));
  const slowConsumerCloses: AdminState['slowConsumerCloses'] = {};
  for (const v of (await deps.metrics.slowDisconnects.get()).values) {
    const t = v.labels['transport'] as TransportName | undefined;
    if (t !== undefined) slowConsumerCloses[t] = v.value;
  }
  const health = deps.health();
  return {
    atMs: now,
    connections: { ...deps.sessions.counts },
    addresses: [...byAddress.values()].sort((x, y) => y.total - x.total).slice(0, ADMIN_TOP_ROWS),
    busiest: sessions.slice(0, ADMIN_TOP_ROWS),
    conflating,
    symbols: tickers
      .map((ticker, i) => ({ ticker, subscribers: perSymbol[i]! }))
      .filter((s) => s.subscribers > 0)
      .sort((x, y) => y.subscribers - x.subscribers),
    slowConsumerCloses,
    feed: { stalled: health.stalled, ...health.detail },
  };
}

const escape = (v: unknown) => String(v).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function table(head: readonly string[], rows: ReadonlyArray<readonly unknown[]>): string {
  if (rows.length === 0) return '<p class="none">none</p>';
  return `<table><thead><tr>${head.map((h) => `<th>${escape(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${escape(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

export function adminPage(s: AdminState): string {
  const total = Object.values(s.connections).reduce((n, c) => n + c, 0);
  const closes =
    Object.entries(s.slowConsumerCloses)
      .map(([t, n]) => `${t} ${n}`)
      .join(', ') || '0';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="${REFRESH_SEC}">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Tickwire admin</title>
<style>body{font:13px system-ui,sans-serif;margin:16px;background:#0f1115;color:#d6d9e0}h1{font-size:16px}h2{font-size:13px;margin:18px 0 6px;color:#9aa3b2;text-transform:uppercase;letter-spacing:.04em}
table{border-collapse:collapse}td,th{padding:3px 10px;border-bottom:1px solid #262a33;text-align:right;font-variant-numeric:tabular-nums}td:first-child,th:first-child{text-align:left}.bad{color:#ef5350}.none{color:#9aa3b2}</style></head><body>
<h1>Tickwire admin <small class="none">${escape(new Date(s.atMs).toISOString())} · refreshes every ${REFRESH_SEC} s · <a href="${Route.adminState}">JSON</a></small></h1>
<h2>Feed</h2><p class="${s.feed.stalled ? 'bad' : ''}">${escape(s.feed.stalled ? 'STALLED' : 'ok')} · ${escape(JSON.stringify({ ...s.feed, stalled: undefined }))}</p>
<h2>Connections (${total})</h2>${table(['transport', 'open'], Object.entries(s.connections))}
<p>conflating now: ${s.conflating} · slow-consumer closes since start: ${escape(closes)}</p>
<h2>By client address (top ${ADMIN_TOP_ROWS})</h2>${table(
    ['address', 'total', 'by transport'],
    s.addresses.map((a) => [
      a.address,
      a.total,
      Object.entries(a.byTransport)
        .map(([t, n]) => `${t} ${n}`)
        .join(', '),
    ]),
  )}
<h2>Connections by backlog (top ${ADMIN_TOP_ROWS})</h2>${table(
    ['session', 'transport', 'address', 'symbols', 'backlog bytes', 'conflating for'],
    s.busiest.map((c) => [c.session, c.transport, c.address, c.symbols, c.backlogBytes, c.conflatingMs === null ? '—' : `${Math.round(c.conflatingMs)} ms`]),
  )}
<h2>Subscribers per symbol</h2>${table(
    ['symbol', 'subscribers'],
    s.symbols.map((x) => [x.ticker, x.subscribers]),
  )}
</body></html>`;
}

/** Basic credentials carry the token as the password (any user name). */
function authorized(req: HttpRequest, token: string): boolean {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)$/.exec(req.getHeader('authorization'));
  if (!m) return false;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const password = decoded.slice(decoded.indexOf(':') + 1);
  const digest = (v: string) => createHash('sha256').update(v).digest();
  return decoded.includes(':') && timingSafeEqual(digest(password), digest(token));
}

export function mountAdmin(app: TemplatedApp, deps: AdminDeps): void {
  const serve = (asJson: boolean) => (res: HttpResponse, req: HttpRequest) => {
    if (!authorized(req, deps.token)) {
      return sendJson(
        res,
        401,
        { error: { name: 'AdminAuth', message: 'the admin view needs the --admin-token as the Basic auth password' } },
        { 'WWW-Authenticate': 'Basic realm="Tickwire admin", charset="UTF-8"' },
      );
    }
    res.onAborted(() => {
      res.done = true;
    });
    // Returned, so the guard (http-guard.ts) answers 500 if building the state fails.
    return adminState(deps).then((state) => {
      if (res.done) return;
      if (asJson) return sendJson(res, 200, state);
      res.done = true;
      res.cork(() => {
        res.writeStatus(statusLine(200));
        res.writeHeader('Content-Type', 'text/html; charset=utf-8');
        res.writeHeader('Cache-Control', 'no-store');
        writePageHeaders(res, "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
        writeCommonHeaders(res);
        res.end(adminPage(state));
      });
    });
  };
  app.get(Route.admin, serve(false));
  app.get(Route.adminState, serve(true));
}
