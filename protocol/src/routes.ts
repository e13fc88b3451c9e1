// The server's HTTP paths in one table: the server mounts its routes from it and the dashboard and the
// load tester build their URLs from it, so a path is spelled once. Query strings stay with each client.

export const Route = {
  /** WebSocket upgrade. */
  ws: '/ws',
  /** Server-Sent Events stream, and its control POST endpoint. */
  sse: '/sse',
  sseControl: '/sse/control',
  /** Binary HTTP stream (length-prefixed frames), and its control POST endpoint. */
  stream: '/stream',
  streamControl: '/stream/control',
  /** Short and long polling. */
  poll: '/poll',
  /** The instrument list (JSON, protocol/src/instruments.ts). */
  symbols: '/api/symbols',
  /** Candle history pages (JSON, protocol/src/candles.ts CandlesPage): ?symbol=&interval=&before=&limit=. */
  candles: '/api/candles',
  /** Liveness/readiness probe. */
  health: '/healthz',
  /** Prometheus metrics (on the main port or --metrics-port). */
  metrics: '/metrics',
  /** Producers' trades in (POST, NDJSON; only with --ingest-token): docs/ingest.md. */
  ingest: '/ingest',
  /** Producers' long-lived WebSocket (Bearer on the upgrade; NDJSON or 32-byte records, acked per message). */
  ingestWs: '/ingest/ws',
  /** Instruments registered at run time (POST, JSON; same credential): docs/ingest.md. */
  ingestInstruments: '/ingest/instruments',
  /** The operator's view (HTML; only with --admin-token, HTTP Basic), and the same data as JSON. */
  admin: '/admin',
  adminState: '/admin/state.json',
  /** The @tickwire/client browser bundle (ES module): `import { connect } from '/client/tickwire-client.js'`. */
  clientBundle: '/client/tickwire-client.js',
} as const;
export type Route = (typeof Route)[keyof typeof Route];

/** The two streaming HTTP encodings, each with its stream and control paths. */
export type StreamEncoding = 'sse' | 'stream';
export const STREAM_ROUTES: Readonly<Record<StreamEncoding, { stream: Route; control: Route }>> = {
  sse: { stream: Route.sse, control: Route.sseControl },
  stream: { stream: Route.stream, control: Route.streamControl },
};

/** Absolute URL of `path` on the server at `base` (the base's own path and query are replaced). */
export function routeUrl(base: string | URL, path: string): URL {
  return new URL(path, base);
}

/** ws:// (wss:// for an https base) URL of `path`, by default the WebSocket route. */
export function webSocketUrl(base: string | URL, path: string = Route.ws): URL {
  const url = new URL(path, base);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url;
}
