// Assembles a Tickwire server: embedded feed → fan-out → WebSocket and SSE transports, plus the HTTP
// routes (dashboard, symbols API, health, metrics). createServer() is what main.ts and the tests call.
import { Route } from '@tickwire/protocol/routes';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { connect } from 'node:net';
import { hostname } from 'node:os';
import type { HttpRequest, HttpResponse, TemplatedApp, us_listen_socket } from 'uWebSockets.js';
import { encodeHeartbeat } from '@tickwire/protocol/codec';
import { instrumentInfo, type SymbolsResponse } from '@tickwire/protocol/instruments';
import { PROTOCOL_VERSION } from '@tickwire/protocol/messages';
import { systemClock, type Clock } from '@tickwire/feeds/clock';
import { DEFAULT_CONFIG, validateConfig, type ServerConfig } from './config.js';
import { Admission, RefusalLog, derivedOrigins } from './admission.js';
import { requestToken, verifyToken } from './auth.js';
import { StartupError } from './errors.js';
import { TrustedProxies, parseCidrList } from './client-address.js';
import { mountAdmin } from './admin.js';
import { openBusSource } from './bus-source.js';
import { MAX_WARMUP_TICKS, createEmbeddedFeed, embeddedSource, type FeedSource, type GatewayTuning } from './feed-source.js';
import type { Bus } from '@tickwire/core/nats/bus';
import { restoreFanout, saveState, takeState, type FeedFingerprint } from './state-file.js';
import { Fanout } from '@tickwire/core/fanout';
import { sendJson, writeCommonHeaders } from './http-util.js';
import { HandlerErrorLog, guardApp } from './http-guard.js';
import { createLogger, type Logger } from '@tickwire/core/log';
import { Metrics } from './metrics.js';
import { SessionRegistry } from './sessions.js';
import { SLOW_CHECK_MS, SlowConsumerPolicy } from './slow-consumer.js';
import { mountTestHooks, type FeedSwitch } from './test-hooks.js';
import { mountHttpStreams, type HttpStreamHub } from './http-stream.js';
import { mountPolling, type PollHub } from './poll.js';
import { StaticFiles } from './static-files.js';
import { Subscriptions } from './subscriptions.js';
import { loadUws, uwsIsNative } from './uws.js';
import { mountWebSocket } from './ws.js';

export interface TickwireServer {
  readonly port: number;
  readonly url: string;
  /** Port of the separate /metrics listener (--metrics-port); null when /metrics is on the main port. */
  readonly metricsPort: number | null;
  readonly epoch: number;
  readonly fanout: Fanout;
  readonly sessions: SessionRegistry;
  /** Stops accepting, closes every WebSocket with 1001, ends every SSE stream, stops the feed. */
  close(): Promise<void>;
}

export interface ServerOptions {
  clock?: Clock;
  logger?: Logger;
  /** Fixed feed epoch (tests); default random per start. */
  epoch?: number;
  /** Gateway on an already-connected feed bus (a --workers thread on the in-process hub). */
  bus?: Bus;
  /** Set in --workers threads: the port is shared with the other workers on purpose (SO_REUSEPORT). */
  worker?: number;
  /** Gateway mode: tuning of the bus source (tests). */
  gateway?: GatewayTuning;
  /** Gateway mode: gives up waiting for NATS or a feed at start-up (a signal arrived). */
  signal?: AbortSignal;
}

/** How long close() waits for peers to finish the closing handshake before cutting what is left. */
const CLOSE_GRACE_MS = 1500;
/** Clients told to reconnect on shutdown spread their reconnects uniformly over this window. */
export const RECONNECT_SPREAD_MS = 5000;

/** True when something accepts TCP connections at host:port (checked before listening). */
export function portAnswers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * The main app: plain, or TLS (https and wss on the same port) when a certificate is configured. The pair
 * is checked with Node's TLS first, because uWS takes unreadable or mismatched files without a word and
 * then fails every handshake. Certificates are read at start: a renewed one needs a restart (this uWS
 * build cannot swap the context of a listening app), which clients ride out by resuming.
 */
function openApp(uws: ReturnType<typeof loadUws>, config: ServerConfig): TemplatedApp {
  if (config.tlsCert === null || config.tlsKey === null) return uws.App();
  try {
    createSecureContext({ cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey) });
  } catch (error) {
    throw new StartupError('TW_TLS', `cannot use --tls-cert ${config.tlsCert} with --tls-key ${config.tlsKey}: ${(error as Error).message}`, { cause: error });
  }
  return uws.SSLApp({ cert_file_name: config.tlsCert, key_file_name: config.tlsKey });
}

export async function createServer(partial: Partial<ServerConfig> = {}, options: ServerOptions = {}): Promise<TickwireServer> {
  const config = validateConfig({ ...DEFAULT_CONFIG, ...partial });
  const uws = loadUws();
  const clock = options.clock ?? systemClock;
  const now = () => clock.now();
  const log = options.logger ?? createLogger(config.logLevel);
  const staticFiles = new StaticFiles(config.webDir);

  const fingerprint: FeedFingerprint = {
    seed: config.seed,
    symbols: config.symbols,
    tickRate: config.tickRate,
    candleCapacity: config.candleCapacity,
    resumeTicks: config.resumeTicks,
  };
  // A saved stream is continued only while the catch-up it implies stays a short burst.
  const saved = config.stateFile === null ? null : takeState(config.stateFile, fingerprint, now(), (MAX_WARMUP_TICKS / config.tickRate) * 1000);
  if (saved && !saved.ok && saved.reason !== 'no saved state') log.warn({ reason: saved.reason }, 'starting a new stream instead of the saved one');
  const restored = saved?.ok ? saved.state : null;
  const workerTag = options.worker === undefined ? '' : `-w${options.worker}`;
  // The FeedSource seam: the embedded simulator, or a feed process over the bus (gateway mode).
  const feed: FeedSource =
    config.nats !== null || options.bus !== undefined
      ? await openBusSource({
          nats: config.nats,
          ...(options.bus !== undefined ? { bus: options.bus } : {}),
          name: `tickwire-gateway-${hostname()}-${process.pid}${workerTag}`,
          log,
          now,
          candleCapacity: config.candleCapacity,
          resumeTicks: config.resumeTicks,
          ...(options.gateway !== undefined ? { tuning: options.gateway } : {}),
          ...(options.signal !== undefined ? { signal: options.signal } : {}),
        })
      : embeddedSource(
          createEmbeddedFeed({
            seed: config.seed,
            symbols: config.symbols,
            tickRate: config.tickRate,
            warmupSec: config.warmupSec,
            clock,
            ...(restored ? { epoch: restored.epoch, restore: restored.simulator } : options.epoch !== undefined ? { epoch: options.epoch } : {}),
          }),
          config.tickRate,
        );
  const fanout = new Fanout(feed.instruments, feed.epoch, config.candleCapacity, config.resumeTicks);
  if (restored) restoreFanout(fanout, restored);
  const warmed = feed.warmUp(fanout);

  const sessions = new SessionRegistry();
  const metrics = new Metrics(sessions);
  fanout.onBatch = (ticks) => metrics.batchTicks.observe(ticks);
  const subscriptions = new Subscriptions(
    fanout,
    {
      maxSymbols: config.maxSymbolsPerConnection,
      defaultHistory: config.defaultHistory,
      candleCapacity: config.candleCapacity,
      backlogBytes: config.slowSoftBytes,
    },
    now,
    metrics,
    feed,
  );
  // Interest-based feed subscriptions: a session leaving releases its symbols.
  sessions.onRemove = (session) => subscriptions.sessionClosed(session);
  // Started before anything listens: a gateway must be relaying before the first client can subscribe.
  feed.start(fanout, { now, metrics, refreshed: (id) => subscriptions.refresh(id, sessions) });
  // Random per process (stable for its lifetime): tells clients a restart happened without naming the host or pid.
  const hello = { heartbeatMs: config.heartbeatMs, maxSymbols: config.maxSymbolsPerConnection, serverId: `${randomBytes(6).toString('hex')}${workerTag}` };
  const epoch = () => fanout.epoch;

  const admission = new Admission({
    maxConnections: config.maxConnections,
    maxConnectionsPerIp: config.maxConnectionsPerIp,
    allowedOrigins: config.allowedOrigins,
    authSecret: config.authSecret,
    maxTokenLifetimeSec: config.maxTokenLifetimeSec,
    devOrigins: config.devOrigins,
    trustedProxies: config.trustProxy.length === 0 ? null : new TrustedProxies(parseCidrList(config.trustProxy)),
    now: () => Date.now(),
    onRefusal: (refusal) => {
      metrics.refusals.inc({ reason: refusal.name });
      refusalLog.note(refusal);
    },
  });
  const refusalLog = new RefusalLog(
    (fields) => log.warn(fields, 'request refused'),
    () => Date.now(),
  );
  // Every route is registered through the guard: a throwing handler answers 500 instead of aborting uWS.
  const handlerErrors = new HandlerErrorLog({
    count: (route) => metrics.handlerErrors.inc({ route }),
    log: (fields) => log.error(fields, 'request handler failed'),
    now: () => Date.now(),
  });
  const app: TemplatedApp = guardApp(openApp(uws, config), handlerErrors);
  if (config.transports.includes('ws')) {
    fanout.addSink(mountWebSocket(app, { uws, admission, sessions, subscriptions, metrics, epoch, now, hello, hardBytes: config.slowHardBytes }));
  }
  const shared = {
    admission,
    sessions,
    subscriptions,
    metrics,
    epoch,
    seqOf: (id: number) => fanout.states[id]?.seq ?? 0,
    now,
    hello,
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

  const symbolsBody: SymbolsResponse = { symbols: feed.instruments.map(instrumentInfo) };
  const symbolsJson = JSON.stringify(symbolsBody);
  const startedAt = now();
  app.get(Route.symbols, (res) => {
    res.writeHeader('Content-Type', 'application/json; charset=utf-8');
    res.writeHeader('Cache-Control', 'public, max-age=60');
    writeCommonHeaders(res);
    res.end(symbolsJson);
  });
  app.get(Route.health, (res) => {
    const sinceTick = now() - fanout.stats.lastTickAtMs;
    const { stalled, detail } = feed.health(now(), fanout);
    sendJson(res, stalled ? 503 : 200, {
      status: stalled ? 'feed-stalled' : 'ok',
      protocolVersion: PROTOCOL_VERSION,
      epoch: fanout.epoch,
      uptimeSec: Math.round((now() - startedAt) / 1000),
      uwsNative: uwsIsNative(uws),
      feed: { ticksIn: fanout.stats.ticksIn, msSinceLastBatch: Math.round(sinceTick), ...detail },
      connections: sessions.counts,
    });
  });
  // /metrics: on a separate listener when --metrics-port is set (and then not on the main port), which
  // network placement guards (127.0.0.1 by default) so a scraper needs no expiring token; on the main
  // port it is behind the token when auth is on.
  const serveMetrics = (res: HttpResponse) => {
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
  if (config.metricsPort === null) {
    app.get(Route.metrics, (res, req) => {
      if (config.authSecret !== null) {
        const check = verifyToken(config.authSecret, requestToken(req), Date.now(), config.maxTokenLifetimeSec);
        if (!check.ok) return admission.refuse(res, { status: 401, name: check.name, message: check.message });
      }
      serveMetrics(res);
    });
  }
  if (config.adminToken !== null) {
    mountAdmin(app, {
      token: config.adminToken,
      sessions,
      tickers: fanout.states.map((s) => s.instrument.ticker),
      metrics,
      health: () => feed.health(now(), fanout),
      now,
    });
  }
  const notFound = (res: HttpResponse, req: HttpRequest) => {
    sendJson(res, 404, { error: { name: 'NotFound', message: `no route for ${req.getMethod().toUpperCase()} ${req.getUrl()}` } });
  };
  // The guard registers HEAD /* with this GET: static answers and 404s get their HEAD twin too.
  app.get('/*', (res, req) => {
    if (!staticFiles.serve(res, req)) notFound(res, req);
  });
  app.any('/*', notFound);

  // uSockets sets SO_REUSEPORT, so a live server on the port would silently share it: refuse instead.
  // (--workers threads share the port on purpose; the main thread made this check once for all of them.)
  if (config.port !== 0 && options.worker === undefined && (await portAnswers(config.host, config.port))) {
    throw new StartupError('TW_LISTEN', `cannot listen on ${config.host}:${config.port}: another process is serving on that port`);
  }
  const listenOnce = () => new Promise<us_listen_socket | false>((resolve) => app.listen(config.host, config.port, (socket) => resolve(socket)));
  let listenSocket = await listenOnce();
  // uWS v20.30 listens without SO_REUSEADDR, so after a crash the dead process's connections hold the port
  // in TIME_WAIT for up to 60 s. Nobody answers on it then: wait for the kernel rather than fail.
  const listenDeadline = Date.now() + config.listenWaitSec * 1000;
  if (!listenSocket && config.port !== 0 && Date.now() < listenDeadline) {
    log.warn({ port: config.port }, 'port still held by closed connections (TIME_WAIT) of a previous process; retrying');
    while (!listenSocket && Date.now() < listenDeadline && !(await portAnswers(config.host, config.port))) {
      await new Promise((r) => setTimeout(r, 500));
      listenSocket = await listenOnce();
    }
  }
  if (!listenSocket) {
    throw new StartupError('TW_LISTEN', `cannot listen on ${config.host}:${config.port}: the port is in use or the address is not local`);
  }
  const port = uws.us_socket_local_port(listenSocket);
  const scheme = config.tlsCert === null ? 'http' : 'https';
  const url = `${scheme}://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  // The origins (and Host names) data endpoints accept: the operator's and the listen address's, never a
  // request's Host. The listen address stays accepted with --public-origin: an IP literal cannot be rebound,
  // and proxies often forward Host as the upstream address (nginx's default).
  admission.serveAs([...config.publicOrigins, ...derivedOrigins(config.host, port, scheme)]);
  if (config.publicOrigins.length === 0 && (config.host === '0.0.0.0' || config.host === '::')) {
    log.warn(
      { host: config.host },
      'listening on every interface without --public-origin: data endpoints answer to IP addresses and loopback names only; set --public-origin to the DNS names clients use',
    );
  }

  let metricsApp: TemplatedApp | null = null;
  let metricsSocket: us_listen_socket | false = false;
  let metricsPort: number | null = null;
  if (config.metricsPort !== null) {
    metricsApp = guardApp(uws.App(), handlerErrors);
    metricsApp.get(Route.metrics, serveMetrics);
    metricsApp.any('/*', (res, req) =>
      sendJson(res, 404, {
        error: { name: 'NotFound', message: `no route for ${req.getMethod().toUpperCase()} ${req.getUrl()}; this port serves /metrics only` },
      }),
    );
    // --workers threads each have their own registry: worker i serves its metrics on port + i.
    const wanted = config.metricsPort === 0 ? 0 : config.metricsPort + (options.worker ?? 0);
    metricsSocket = await new Promise<us_listen_socket | false>((resolve) => metricsApp!.listen(config.metricsHost, wanted, (socket) => resolve(socket)));
    if (!metricsSocket) {
      uws.us_listen_socket_close(listenSocket);
      throw new StartupError('TW_LISTEN', `cannot listen for metrics on ${config.metricsHost}:${wanted}: the port is in use or the address is not local`);
    }
    metricsPort = uws.us_socket_local_port(metricsSocket);
  }

  const feedSwitch: FeedSwitch = { stalled: false };
  if (config.testHooks) {
    mountTestHooks(app, fanout, subscriptions, feedSwitch);
    log.warn('test hooks enabled: /__test/* can stall the feed and drop frames');
  }

  const batchTimer = setInterval(() => {
    if (feedSwitch.stalled) return;
    const n = feed.poll(fanout);
    metrics.ticksIn.inc(n);
    fanout.flush(now());
  }, config.batchMs);

  const slow = new SlowConsumerPolicy({ softBytes: config.slowSoftBytes, hardBytes: config.slowHardBytes, maxLagMs: config.slowLagMs }, fanout, metrics, now);
  const slowTimer = setInterval(() => slow.check(sessions), SLOW_CHECK_MS);

  const heartbeatTimer = setInterval(() => {
    const t = now();
    for (const session of sessions) {
      // A conflating client is behind by design; its next frame (conflated records) tells it where it stands.
      if (session.lag !== null) continue;
      const entries = [];
      for (const id of session.symbols) entries.push({ symbolId: id, seq: fanout.states[id]!.seq });
      session.send(encodeHeartbeat(fanout.epoch, t, entries));
    }
  }, config.heartbeatMs);

  log.info(
    {
      port,
      host: config.host,
      url,
      metricsPort,
      serverId: hello.serverId,
      origins: admission.origins,
      epoch: fanout.epoch,
      continued: restored !== null,
      feed: feed.kind,
      symbols: feed.instruments.length,
      tickRate: config.tickRate,
      warmupTicks: warmed,
      transports: config.transports,
      files: staticFiles.count,
    },
    options.worker === undefined ? 'listening' : 'worker listening',
  );

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      clearInterval(batchTimer);
      clearInterval(heartbeatTimer);
      clearInterval(slowTimer);
      uws.us_listen_socket_close(listenSocket);
      if (metricsSocket) uws.us_listen_socket_close(metricsSocket);
      streams?.close();
      polls?.close();
      // Each client gets its own random delay so a restart under thousands of clients is no thundering herd.
      for (const session of [...sessions]) session.goAway(Math.random() * RECONNECT_SPREAD_MS);
      const deadline = Date.now() + CLOSE_GRACE_MS;
      while (sessions.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await feed.close();
      if (config.stateFile !== null) {
        saveState(config.stateFile, {
          savedAtMs: now(),
          fingerprint,
          epoch: fanout.epoch,
          simulator: feed.exportState(),
          symbols: fanout.states.map((s) => s.exportState()),
          histories: fanout.histories.map((h) => h.exportState()),
        });
        log.info({ path: config.stateFile }, 'saved feed state for the next start');
      }
      // Whatever did not finish the closing handshake in time is cut (native close is missing from the typings).
      (app as unknown as { close?: () => void }).close?.();
      (metricsApp as unknown as { close?: () => void } | null)?.close?.();
      log.info({ remaining: sessions.size }, 'closed');
    })();
    return closing;
  };

  return { port, url, metricsPort, epoch: fanout.epoch, fanout, sessions, close };
}
