// Every HTTP route of the main app in one place: the data transports (WebSocket, SSE/stream, polling),
// the JSON endpoints (symbols, health, metrics), the operator and test views, and last the dashboard's
// static files with the 404 for anything else. A new route is one line in registerRoutes().
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import type { InstrumentRegistry } from '@tickwire/feeds/instrument-registry';
import { Route } from '@tickwire/protocol/routes';
import { instrumentInfo, type SymbolsResponse } from '@tickwire/protocol/instruments';
import { PROTOCOL_VERSION } from '@tickwire/protocol/messages';
import type { Fanout } from '@tickwire/core/fanout';
import type { Logger } from '@tickwire/core/log';
import type { Admission } from './admission.js';
import { mountAdmin } from './admin.js';
import { candlesHandler } from './candles-http.js';
import { mountClientBundle } from './client-bundle.js';
import { requestToken, verifyToken } from './auth.js';
import type { ServerConfig } from './config.js';
import type { FeedSource } from './feed-source.js';
import { mountHttpStreams, type HttpStreamHub } from './http-stream.js';
import { ProducerBuckets } from './ingest-guard.js';
import { mountIngest } from './ingest-http.js';
import { mountIngestWs } from './ingest-ws.js';
import { mountInstrumentRegistration } from './instrument-registration.js';
import { sendJson, writeCommonHeaders } from './http-util.js';
import type { Metrics } from './metrics.js';
import type { PastSeeder } from './past-candles.js';
import { mountPolling, type PollHub } from './poll.js';
import type { SessionRegistry } from './sessions.js';
import { serveStaticFile, staticFile, type StaticFile, type StaticFiles } from './static-files.js';
import type { Subscriptions } from './subscriptions.js';
import { mountTestHooks, type FeedSwitch } from './test-hooks.js';
import type { TransportDeps } from './transport-deps.js';
import { uwsIsNative, type loadUws } from './uws.js';
import { mountWebSocket } from './ws.js';

/** What the routes serve from: the assembled server's parts. */
export interface RouteContext {
  config: ServerConfig;
  uws: ReturnType<typeof loadUws>;
  log: Logger;
  now: () => number;
  fanout: Fanout;
  feed: FeedSource;
  sessions: SessionRegistry;
  subscriptions: Subscriptions;
  metrics: Metrics;
  admission: Admission;
  hello: TransportDeps['hello'];
  staticFiles: StaticFiles;
  /** Read by the batch timer; the test hooks flip it. */
  feedSwitch: FeedSwitch;
  /** Seeds a symbol's generated candle history on demand (before /api/candles answers for it). */
  past: Pick<PastSeeder, 'ensure'>;
  /** The --instruments file and its run-time registrations (null: nothing to register into). */
  registry: InstrumentRegistry | null;
}

export interface MountedRoutes {
  /** Hubs of the HTTP streaming and polling transports (closed on shutdown), null when not enabled. */
  streams: HttpStreamHub | null;
  polls: PollHub | null;
  /** The /metrics handler, for the separate --metrics-port listener. */
  serveMetrics: (res: HttpResponse) => void;
}

export function registerRoutes(app: TemplatedApp, ctx: RouteContext): MountedRoutes {
  const { config } = ctx;
  const { streams, polls } = mountTransports(app, ctx);
  const serveMetrics = metricsHandler(ctx);

  app.get(Route.symbols, symbolsHandler(ctx));
  app.get(Route.candles, candlesHandler({ fanout: ctx.fanout, now: ctx.now, ensurePast: (id) => ctx.past.ensure(id) }));
  app.get(Route.health, healthHandler(ctx));
  mountClientBundle(app, ctx.log);
  // On the main port only without --metrics-port (then behind the token when auth is on).
  if (config.metricsPort === null) app.get(Route.metrics, tokenGuarded(ctx, serveMetrics));
  if (config.adminToken !== null) {
    mountAdmin(app, {
      token: config.adminToken,
      sessions: ctx.sessions,
      tickers: () => ctx.fanout.states.map((s) => s.instrument.ticker),
      metrics: ctx.metrics,
      health: () => ctx.feed.health(ctx.now(), ctx.fanout),
      now: ctx.now,
    });
  }
  // Off (404 from the catch-all) unless --ingest-token; the feed holds the ingest core then.
  const ingest = ctx.feed.ingest ?? null;
  if (config.ingestToken !== null && ingest !== null) {
    // One trade budget per producer address across both doors.
    const buckets = new ProducerBuckets(config.ingestRate);
    mountIngest(app, {
      core: ingest,
      token: config.ingestToken,
      maxBodyBytes: config.ingestMaxBody,
      ratePerSec: config.ingestRate,
      buckets,
      bodyTimeoutMs: config.ingestBodyTimeoutMs,
      producerOf: (res, req) => ctx.admission.clientIp(res, req),
      refuse: (res, refusal) => ctx.admission.refuse(res, refusal),
      metrics: ctx.metrics,
      log: ctx.log,
      now: ctx.now,
    });
    mountIngestWs(app, {
      uws: ctx.uws,
      core: ingest,
      token: config.ingestToken,
      maxMessageBytes: config.ingestMaxBody,
      buckets,
      batchMs: config.batchMs,
      admission: ctx.admission,
      metrics: ctx.metrics,
      log: ctx.log,
      now: ctx.now,
    });
    mountInstrumentRegistration(app, {
      registry: ctx.registry,
      core: ingest,
      fanout: ctx.fanout,
      token: config.ingestToken,
      refuse: (res, refusal) => ctx.admission.refuse(res, refusal),
      log: ctx.log,
    });
  }
  if (config.testHooks) {
    mountTestHooks(app, ctx.fanout, ctx.subscriptions, ctx.feedSwitch);
    ctx.log.warn('test hooks enabled: /__test/* can stall the feed and drop frames');
  }

  // Register new routes above: the catch-all below answers everything not matched so far.
  mountStaticAndNotFound(app, ctx.staticFiles);
  return { streams, polls, serveMetrics };
}

/** The data transports enabled by --transports; each becomes a sink of the fan-out. */
function mountTransports(app: TemplatedApp, ctx: RouteContext): { streams: HttpStreamHub | null; polls: PollHub | null } {
  const { config, fanout } = ctx;
  const epoch = () => fanout.epoch;
  if (config.transports.includes('ws')) {
    const { uws, admission, sessions, subscriptions, metrics, now, hello } = ctx;
    fanout.addSink(mountWebSocket(app, { uws, admission, sessions, subscriptions, metrics, epoch, now, hello, hardBytes: config.slowHardBytes }));
  }
  const shared = {
    admission: ctx.admission,
    sessions: ctx.sessions,
    subscriptions: ctx.subscriptions,
    metrics: ctx.metrics,
    epoch,
    seqOf: (id: number) => fanout.states[id]?.seq ?? 0,
    now: ctx.now,
    hello: ctx.hello,
    defaultHistory: config.defaultHistory,
    hardBytes: config.slowHardBytes,
  };
  const encodings = config.transports.filter((t): t is 'sse' | 'stream' => t === 'sse' || t === 'stream');
  let streams: HttpStreamHub | null = null;
  if (encodings.length > 0) {
    streams = mountHttpStreams(app, shared, encodings);
    fanout.addSink(streams);
  }
  let polls: PollHub | null = null;
  if (config.transports.includes('poll')) {
    polls = mountPolling(app, { ...shared, maxWaitMs: config.pollWaitMs, maxHeld: config.maxHeldPolls });
    fanout.addSink(polls);
  }
  return { streams, polls };
}

/**
 * The instrument list, encoded again only when it grew (instruments registered at run time are appended,
 * never changed), and served like a static file: a content ETag and no-cache, so a client polling for new
 * instruments gets a 304 while nothing was added.
 */
function symbolsHandler(ctx: RouteContext): (res: HttpResponse, req: HttpRequest) => void {
  let count = -1;
  let file: StaticFile | null = null;
  return (res, req) => {
    const instruments = ctx.feed.instruments;
    if (file === null || instruments.length !== count) {
      const body: SymbolsResponse = { symbols: instruments.map(instrumentInfo) };
      file = staticFile('symbols.json', Buffer.from(JSON.stringify(body)), false);
      count = instruments.length;
    }
    serveStaticFile(res, req, file);
  };
}

function healthHandler(ctx: RouteContext): (res: HttpResponse) => void {
  const { fanout, feed, now } = ctx;
  const startedAt = now();
  return (res) => {
    const sinceTick = now() - fanout.stats.lastTickAtMs;
    const { stalled, detail } = feed.health(now(), fanout);
    sendJson(res, stalled ? 503 : 200, {
      status: stalled ? 'feed-stalled' : 'ok',
      protocolVersion: PROTOCOL_VERSION,
      epoch: fanout.epoch,
      uptimeSec: Math.round((now() - startedAt) / 1000),
      uwsNative: uwsIsNative(ctx.uws),
      feed: { ticksIn: fanout.stats.ticksIn, msSinceLastBatch: Math.round(sinceTick), ...detail },
      connections: ctx.sessions.counts,
    });
  };
}

/**
 * /metrics: on a separate listener when --metrics-port is set, which network placement guards (127.0.0.1
 * by default) so a scraper needs no expiring token; on the main port it is behind the token when auth is on.
 */
function metricsHandler(ctx: RouteContext): (res: HttpResponse) => void {
  const { metrics, log } = ctx;
  return (res) => {
    res.onAborted(() => {
      res.done = true;
    });
    metrics.registry.metrics().then(
      (text) => {
        if (res.done) return;
        res.cork(() => {
          res.writeHeader('Content-Type', metrics.registry.contentType);
          writeCommonHeaders(res);
          res.end(text);
        });
      },
      (error: unknown) => {
        log.error({ err: error }, 'metrics collection failed');
        sendJson(res, 500, { error: { name: 'Internal', message: 'metrics collection failed' } });
      },
    );
  };
}

function tokenGuarded(ctx: RouteContext, handler: (res: HttpResponse) => void): (res: HttpResponse, req: HttpRequest) => void {
  const { config, admission } = ctx;
  return (res, req) => {
    if (config.authSecret !== null) {
      const check = verifyToken(config.authSecret, requestToken(req), Date.now(), config.maxTokenLifetimeSec);
      if (!check.ok) return admission.refuse(res, { status: 401, name: check.name, message: check.message });
    }
    handler(res);
  };
}

function notFound(res: HttpResponse, req: HttpRequest): void {
  sendJson(res, 404, { error: { name: 'NotFound', message: `no route for ${req.getMethod().toUpperCase()} ${req.getUrl()}` } });
}

function mountStaticAndNotFound(app: TemplatedApp, staticFiles: StaticFiles): void {
  // The guard registers HEAD /* with this GET: static answers and 404s get their HEAD twin too.
  app.get('/*', (res, req) => {
    if (!staticFiles.serve(res, req)) notFound(res, req);
  });
  app.any('/*', notFound);
}

/** The app of the separate --metrics-port listener: /metrics and a 404 naming what this port serves. */
export function registerMetricsRoutes(app: TemplatedApp, serveMetrics: (res: HttpResponse) => void): TemplatedApp {
  app.get(Route.metrics, serveMetrics);
  app.any('/*', (res, req) =>
    sendJson(res, 404, {
      error: { name: 'NotFound', message: `no route for ${req.getMethod().toUpperCase()} ${req.getUrl()}; this port serves /metrics only` },
    }),
  );
  return app;
}
