// Assembles a Tickwire server: feed (feed-selection.ts) → fan-out → transports and HTTP routes
// (routes.ts) → listening sockets (listen.ts), plus the timers that drive batches, heartbeats and the
// slow-consumer policy, and an orderly close(). createServer() is what main.ts and the tests call.
import { randomBytes } from 'node:crypto';
import type { TemplatedApp } from 'uWebSockets.js';
import { encodeHeartbeat } from '@tickwire/protocol/codec';
import { systemClock, type Clock } from '@tickwire/feeds/clock';
import type { Bus } from '@tickwire/core/nats/bus';
import { Fanout } from '@tickwire/core/fanout';
import { createLogger, type Logger } from '@tickwire/core/log';
import { DEFAULT_CONFIG, batchWindowBounds, validateConfig, type ServerConfig } from './config.js';
import { startBatchLoop } from './batch-loop.js';
import { BatchWindow } from './batch-window.js';
import { Admission, RefusalLog, derivedOrigins } from './admission.js';
import { TrustedProxies, parseCidrList } from './client-address.js';
import type { GatewayTuning } from './feed-source.js';
import { selectFeed } from './feed-selection.js';
import { HandlerErrorLog, guardApp } from './http-guard.js';
import { listenAll, openApp } from './listen.js';
import { Metrics } from './metrics.js';
import { registerMetricsRoutes, registerRoutes } from './routes.js';
import { SessionRegistry } from './sessions.js';
import { SLOW_CHECK_MS, SlowConsumerPolicy } from './slow-consumer.js';
import { restoreFanout, saveState } from './state-file.js';
import { StaticFiles } from './static-files.js';
import { Subscriptions } from './subscriptions.js';
import type { FeedSwitch } from './test-hooks.js';
import { loadUws } from './uws.js';
import { createPastSeeder } from './past-candles.js';

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

export async function createServer(partial: Partial<ServerConfig> = {}, options: ServerOptions = {}): Promise<TickwireServer> {
  const config = validateConfig({ ...DEFAULT_CONFIG, ...partial });
  const uws = loadUws();
  const clock = options.clock ?? systemClock;
  const now = () => clock.now();
  const log = options.logger ?? createLogger(config.logLevel);
  const staticFiles = new StaticFiles(config.webDir);
  const workerTag = options.worker === undefined ? '' : `-w${options.worker}`;

  const { feed, restored, fingerprint, registry } = await selectFeed(config, {
    clock,
    log,
    workerTag,
    ...(options.epoch !== undefined ? { epoch: options.epoch } : {}),
    ...(options.bus !== undefined ? { bus: options.bus } : {}),
    ...(options.gateway !== undefined ? { gateway: options.gateway } : {}),
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
  });
  const fanout = new Fanout(feed.instruments, feed.epoch, config.candleCapacity, config.resumeTicks);
  if (restored) restoreFanout(fanout, restored);
  const warmed = feed.warmUp(fanout);
  // Weeks of generated bars go under the warm-up's live ones in the background, after start-up.
  const past = createPastSeeder(feed, fanout, config.seed, config.feed === 'sim', log, config.calendarShiftMs);
  past.start();

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
  const feedSwitch: FeedSwitch = { stalled: false };
  const { streams, polls, serveMetrics } = registerRoutes(app, {
    config,
    uws,
    log,
    now,
    fanout,
    feed,
    sessions,
    subscriptions,
    metrics,
    admission,
    hello,
    staticFiles,
    feedSwitch,
    past,
    registry,
  });

  const listening = await listenAll(app, uws, config, log, options.worker, () => registerMetricsRoutes(guardApp(uws.App(), handlerErrors), serveMetrics)).catch(
    async (error: unknown) => {
      // Nothing listens, so nothing may keep the feed (a gateway's bus connection) open.
      streams?.close();
      polls?.close();
      await feed.close();
      throw error;
    },
  );
  const { port, url, scheme, socket: listenSocket } = listening.main;
  const metricsApp = listening.metrics?.app ?? null;
  const metricsSocket = listening.metrics?.socket ?? null;
  const metricsPort = listening.metrics?.port ?? null;
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

  // A bus gateway relays the feed process's frames as they arrive (its poll and flush find nothing to
  // batch), so only the embedded feed's window adapts.
  const batchWindow = new BatchWindow(feed.kind === 'embedded' ? batchWindowBounds(config) : { minMs: config.batchMs, maxMs: config.batchMs });
  metrics.batchWindow.set(batchWindow.ms);
  const batchLoop = startBatchLoop(
    batchWindow,
    () => {
      if (feedSwitch.stalled) return;
      const n = feed.poll(fanout);
      metrics.ticksIn.inc(n);
      fanout.flush(now());
    },
    (ms) => metrics.batchWindow.set(ms),
  );

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
      batchLoop.stop();
      past.stop();
      clearInterval(heartbeatTimer);
      clearInterval(slowTimer);
      uws.us_listen_socket_close(listenSocket);
      if (metricsSocket !== null) uws.us_listen_socket_close(metricsSocket);
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
