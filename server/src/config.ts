// Server configuration: every setting is a CLI flag and an environment variable (flag wins), parsed and
// validated by commander so a bad value stops the start with one clear line. README's table mirrors this.
import { parseCidrList } from './client-address.js';
import { Command, InvalidArgumentError, Option } from 'commander';
import { envOption, integer, natsUrls, parseCommandLine } from './cli-options.js';
import { StartupError } from './errors.js';
import { SOURCE_SPEEDS, sourceOption, sourceSpec, type TradeSourceSpec } from './source-options.js';

export type TransportName = 'ws' | 'sse' | 'stream' | 'poll';
export const TRANSPORT_NAMES: readonly TransportName[] = ['ws', 'sse', 'stream', 'poll'];

export interface ServerConfig {
  host: string;
  port: number;
  seed: number;
  symbols: number;
  tickRate: number;
  batchMs: number;
  /**
   * Widest the batch window grows while the loop is busy, ms (batch-window.ts); equal to batchMs: a fixed
   * window. null = DEFAULT_BATCH_MAX_MS, or batchMs when that is longer (batchWindowBounds()).
   */
  batchMaxMs: number | null;
  transports: readonly TransportName[];
  webDir: string;
  /** Candles kept per symbol and interval (ring size). */
  candleCapacity: number;
  /** Candles per interval a snapshot carries when the subscriber does not say. */
  defaultHistory: number;
  /** Ticks per symbol kept for resume and polling (0 disables replay: every resume gets a snapshot). */
  resumeTicks: number;
  /** Longest a long-poll request is held before it returns empty, ms. */
  pollWaitMs: number;
  /** Most long-poll requests held at once (more are refused with 503). */
  maxHeldPolls: number;
  /** Simulated past the feed replays at start so charts and session stats are not empty. */
  warmupSec: number;
  /**
   * --market-time: how far the simulated market's sessions calendar runs ahead of the wall clock (ms; 0:
   * the real time). A Saturday demo or test can trade a weekday session; event times stay real.
   */
  calendarShiftMs: number;
  heartbeatMs: number;
  maxSymbolsPerConnection: number;
  maxConnections: number;
  maxConnectionsPerIp: number;
  /** Unsent bytes past which a client gets conflated updates instead of every tick. */
  slowSoftBytes: number;
  /** Unsent bytes past which a client is closed with 4000. */
  slowHardBytes: number;
  /** Longest a client may stay in conflation before it is closed with 4000, ms. */
  slowLagMs: number;
  /** Browser origins allowed besides the server's own; '*' allows any. */
  allowedOrigins: readonly string[];
  /**
   * Origins the server is served as (scheme://host[:port]); their hosts are the only Host headers data
   * endpoints accept. Empty = derived from the listen address (never from a request's Host: DNS rebinding).
   */
  publicOrigins: readonly string[];
  /** Development: trusts any http(s)://localhost|127.0.0.1|[::1] origin and Host on any port (Vite's dev proxy). */
  devOrigins: boolean;
  /** Proxies (CIDR blocks) whose X-Forwarded-For / Forwarded headers name the client; empty = believe no one. */
  trustProxy: readonly string[];
  /** Longest a token may still be valid when presented, s; tokens expiring later are refused. */
  maxTokenLifetimeSec: number;
  /** Separate listener for /metrics (then not served on the main port); null = /metrics on the main port. */
  metricsPort: number | null;
  /** Interface of the metrics listener. */
  metricsHost: string;
  /** HMAC secret enabling token authentication on data endpoints; null = open. */
  authSecret: string | null;
  /** Password of the operator's view at /admin (HTTP Basic); null = no /admin. */
  adminToken: string | null;
  /** PEM certificate chain and private key: https and wss on the main port; null = plain http/ws. */
  tlsCert: string | null;
  tlsKey: string | null;
  /** Where a graceful shutdown saves the feed and published state for a seamless restart; null = off. */
  stateFile: string | null;
  /** How long start-up waits for a port still held by a crashed predecessor's connections, s. */
  listenWaitSec: number;
  /** Enables /__test/* fault-injection routes (tests only; never in production). */
  testHooks: boolean;
  /** Gateway mode: NATS URL(s) of the feed bus (`npm run feed`); null = embedded simulator. */
  nats: string | null;
  /** uWS gateway threads sharing the port (SO_REUSEPORT); 1 = this thread only. */
  workers: number;
  /** Instrument file (JSON, feeds/src/instrument-file.ts) replacing the built-in universe; null = built-in. */
  instruments: string | null;
  /** The embedded simulator runs ('sim') or not ('none': only ingested instruments, --instruments required). */
  feed: 'sim' | 'none';
  /** Credential of POST /ingest (Bearer); null = no ingest door (404). */
  ingestToken: string | null;
  /** Largest /ingest body, bytes (larger: 413). */
  ingestMaxBody: number;
  /** Trade lines per second one producer (client address) may send; the burst is two seconds' worth. */
  ingestRate: number;
  /** Trades accepted per batch window at most (the queue); a body that might not fit: 503. */
  ingestQueue: number;
  /** Longest an /ingest body may take to arrive, ms (slower: 408, nothing applied). */
  ingestBodyTimeoutMs: number;
  /** Trades from a file (--source csv|ndjson FILE) or an exchange (--source coinbase|binance [URL]) through the ingest core; null = none. */
  source: TradeSourceSpec | null;
  /** Replay speed: 1 = the file's own pace, 10 = ten times faster, Infinity (`max`) = as fast as the queue allows. */
  replaySpeed: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'silent';
}

/** Default upper bound of the adaptive batch window: frames at most this far apart under load. */
export const DEFAULT_BATCH_MAX_MS = 50;

export const DEFAULT_CONFIG: ServerConfig = {
  host: '127.0.0.1',
  port: 8080,
  seed: 42,
  symbols: 50,
  tickRate: 1000,
  batchMs: 20,
  batchMaxMs: null,
  transports: TRANSPORT_NAMES,
  webDir: 'web/dist',
  candleCapacity: 1000,
  resumeTicks: 4096,
  pollWaitMs: 25_000,
  maxHeldPolls: 10_000,
  defaultHistory: 300,
  warmupSec: 1800,
  calendarShiftMs: 0,
  heartbeatMs: 1000,
  maxSymbolsPerConnection: 100,
  slowSoftBytes: 64 * 1024,
  slowHardBytes: 1024 * 1024,
  slowLagMs: 5000,
  maxConnections: 50_000,
  maxConnectionsPerIp: 10_000,
  allowedOrigins: [],
  publicOrigins: [],
  devOrigins: false,
  trustProxy: [],
  maxTokenLifetimeSec: 86_400,
  metricsPort: null,
  metricsHost: '127.0.0.1',
  authSecret: null,
  adminToken: null,
  tlsCert: null,
  tlsKey: null,
  stateFile: null,
  listenWaitSec: 90,
  testHooks: false,
  nats: null,
  workers: 1,
  instruments: null,
  feed: 'sim',
  ingestToken: null,
  ingestMaxBody: 1024 * 1024,
  ingestRate: 20_000,
  ingestQueue: 50_000,
  ingestBodyTimeoutMs: 10_000,
  source: null,
  replaySpeed: 1,
  logLevel: 'info',
};

function transports(value: string): TransportName[] {
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0) throw new InvalidArgumentError(`name at least one of: ${TRANSPORT_NAMES.join(', ')}`);
  for (const name of names) {
    if (!(TRANSPORT_NAMES as readonly string[]).includes(name)) {
      throw new InvalidArgumentError(`unknown transport "${name}" (use ${TRANSPORT_NAMES.join(', ')})`);
    }
  }
  return [...new Set(names)] as TransportName[];
}

function origins(value: string): string[] {
  const list = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const o of list) {
    if (o !== '*' && !/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/.test(o)) {
      throw new InvalidArgumentError(`"${o}" is not an origin like https://example.com:8443`);
    }
  }
  return list;
}

/** Origins the server is served as: exact scheme://host[:port], no wildcard. */
function publicOrigins(value: string): string[] {
  const list = origins(value);
  if (list.includes('*')) throw new InvalidArgumentError('name the origins exactly (no *): the server only answers requests for these hosts');
  if (list.length === 0) throw new InvalidArgumentError('name at least one origin like https://ticks.example.com');
  return list.map((o) => new URL(o).origin);
}

/** Comma-separated CIDR blocks or addresses of trusted proxies. */
function cidrs(value: string): string[] {
  const list = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  try {
    parseCidrList(list);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
  return list;
}

function secret(value: string): string {
  if (value.length < 16) throw new InvalidArgumentError('use at least 16 characters');
  return value;
}

function host(value: string): string {
  if (!/^[A-Za-z0-9.:[\]-]+$/.test(value)) throw new InvalidArgumentError(`"${value}" is not a host name or address`);
  return value;
}

/** Builds the commander program; exported so --help output and the README table come from one place. */
export function configProgram(): Command {
  const d = DEFAULT_CONFIG;
  const opt = envOption;
  return new Command('tickwire')
    .description('Tickwire market-data fan-out server: simulated feed, WebSocket + SSE, dashboard at /')
    .addOption(opt('--host <host>', 'interface to listen on', 'TICKWIRE_HOST').default(d.host).argParser(host))
    .addOption(opt('--port <n>', 'TCP port (0 = any free port)', 'TICKWIRE_PORT').default(d.port).argParser(integer(0, 65535)))
    .addOption(
      opt('--seed <n>', 'feed random seed', 'TICKWIRE_SEED')
        .default(d.seed)
        .argParser(integer(0, 2 ** 32 - 1)),
    )
    .addOption(opt('--symbols <n>', 'number of simulated instruments', 'TICKWIRE_SYMBOLS').default(d.symbols).argParser(integer(1, 65535)))
    .addOption(opt('--tick-rate <n>', 'total feed ticks per second', 'TICKWIRE_TICK_RATE').default(d.tickRate).argParser(integer(1, 1_000_000)))
    .addOption(opt('--batch-ms <n>', 'batching window in ms', 'TICKWIRE_BATCH_MS').default(d.batchMs).argParser(integer(1, 1000)))
    .addOption(
      opt(
        '--batch-max-ms <n>',
        `widest the batching window grows under load, ms (default ${DEFAULT_BATCH_MAX_MS}, or --batch-ms if longer; = --batch-ms: fixed window)`,
        'TICKWIRE_BATCH_MAX_MS',
      ).argParser(integer(1, 1000)),
    )
    .addOption(
      opt('--transports <list>', `enabled transports: ${TRANSPORT_NAMES.join(',')}`, 'TICKWIRE_TRANSPORTS')
        .default(d.transports)
        .argParser(transports),
    )
    .addOption(opt('--web-dir <path>', 'built dashboard to serve at /', 'TICKWIRE_WEB_DIR').default(d.webDir))
    .addOption(opt('--candles <n>', 'candles kept per symbol and interval', 'TICKWIRE_CANDLES').default(d.candleCapacity).argParser(integer(10, 65535)))
    .addOption(
      opt('--resume-ticks <n>', 'ticks per symbol kept for resume and polling', 'TICKWIRE_RESUME_TICKS')
        .default(d.resumeTicks)
        .argParser(integer(0, 1_000_000)),
    )
    .addOption(
      opt('--poll-wait-ms <n>', 'longest a long-poll request is held', 'TICKWIRE_POLL_WAIT_MS').default(d.pollWaitMs).argParser(integer(1000, 120_000)),
    )
    .addOption(
      opt('--max-held-polls <n>', 'long-poll requests held at once', 'TICKWIRE_MAX_HELD_POLLS').default(d.maxHeldPolls).argParser(integer(1, 1_000_000)),
    )
    .addOption(opt('--history <n>', 'default candles per interval in snapshots', 'TICKWIRE_HISTORY').default(d.defaultHistory).argParser(integer(0, 2000)))
    .addOption(
      opt(
        '--market-time <iso>',
        "the simulated market's clock at start for its sessions (e.g. 2026-01-06T15:00:00Z trades a Tuesday's US session on a weekend); default: now",
        'TICKWIRE_MARKET_TIME',
      ).argParser(marketTime),
    )
    .addOption(opt('--warmup <s>', 'seconds of simulated past replayed at start', 'TICKWIRE_WARMUP').default(d.warmupSec).argParser(integer(0, 86_400)))
    .addOption(opt('--heartbeat-ms <n>', 'heartbeat interval in ms', 'TICKWIRE_HEARTBEAT_MS').default(d.heartbeatMs).argParser(integer(100, 60_000)))
    .addOption(
      opt('--max-symbols <n>', 'symbols one connection may subscribe', 'TICKWIRE_MAX_SYMBOLS').default(d.maxSymbolsPerConnection).argParser(integer(1, 10_000)),
    )
    .addOption(
      opt('--slow-soft-bytes <n>', 'backlog that switches a client to conflated updates', 'TICKWIRE_SLOW_SOFT_BYTES')
        .default(d.slowSoftBytes)
        .argParser(integer(1024, 1 << 30)),
    )
    .addOption(
      opt('--slow-hard-bytes <n>', 'backlog that closes a client (4000)', 'TICKWIRE_SLOW_HARD_BYTES')
        .default(d.slowHardBytes)
        .argParser(integer(1024, 1 << 30)),
    )
    .addOption(
      opt('--slow-lag-ms <n>', 'longest a client may conflate before it is closed (4000)', 'TICKWIRE_SLOW_LAG_MS')
        .default(d.slowLagMs)
        .argParser(integer(100, 600_000)),
    )
    .addOption(
      opt('--max-connections <n>', 'connections held at once (WebSocket + streams)', 'TICKWIRE_MAX_CONNECTIONS')
        .default(d.maxConnections)
        .argParser(integer(1, 10_000_000)),
    )
    .addOption(
      opt('--max-connections-per-ip <n>', 'connections one client address may hold', 'TICKWIRE_MAX_CONNECTIONS_PER_IP')
        .default(d.maxConnectionsPerIp)
        .argParser(integer(1, 10_000_000)),
    )
    .addOption(
      opt('--allowed-origins <list>', 'extra browser origins allowed (exact, comma-separated; * = any)', 'TICKWIRE_ALLOWED_ORIGINS')
        .default(d.allowedOrigins)
        .argParser(origins),
    )
    .addOption(
      opt('--public-origin <list>', 'origins the server is served as (comma-separated); default: the listen address', 'TICKWIRE_PUBLIC_ORIGIN').argParser(
        publicOrigins,
      ),
    )
    .addOption(
      opt('--trust-proxy <cidrs>', 'proxies whose X-Forwarded-For/Forwarded name the client (comma-separated CIDRs)', 'TICKWIRE_TRUST_PROXY').argParser(cidrs),
    )
    .addOption(new Option('--dev-origins', 'development: trust localhost origins and Host names on any port (npm run dev)').env('TICKWIRE_DEV_ORIGINS'))
    .addOption(
      opt('--max-token-lifetime <s>', 'refuse tokens that expire further ahead than this', 'TICKWIRE_MAX_TOKEN_LIFETIME')
        .default(d.maxTokenLifetimeSec)
        .argParser(integer(60, 31_536_000)),
    )
    .addOption(opt('--metrics-port <n>', 'serve /metrics on this separate port only (0 = any free port)', 'TICKWIRE_METRICS_PORT').argParser(integer(0, 65535)))
    .addOption(opt('--metrics-host <host>', 'interface of the --metrics-port listener', 'TICKWIRE_METRICS_HOST').default(d.metricsHost).argParser(host))
    .addOption(
      opt('--auth-secret <secret>', 'require HMAC tokens on data endpoints (prefer the env variable: flags show in ps)', 'TICKWIRE_AUTH_SECRET').argParser(
        secret,
      ),
    )
    .addOption(
      opt(
        '--admin-token <secret>',
        'enable the operator view at /admin, this being its Basic auth password (prefer the env variable)',
        'TICKWIRE_ADMIN_TOKEN',
      ).argParser(secret),
    )
    .addOption(opt('--tls-cert <path>', 'PEM certificate (chain) for https and wss on the main port; needs --tls-key', 'TICKWIRE_TLS_CERT'))
    .addOption(opt('--tls-key <path>', 'PEM private key of --tls-cert', 'TICKWIRE_TLS_KEY'))
    .addOption(opt('--state-file <path>', 'save feed + state on graceful shutdown and continue the same stream on the next start', 'TICKWIRE_STATE_FILE'))
    .addOption(
      opt('--listen-wait <s>', 'wait this long for a port a crashed predecessor left in TIME_WAIT', 'TICKWIRE_LISTEN_WAIT')
        .default(d.listenWaitSec)
        .argParser(integer(0, 600)),
    )
    .addOption(new Option('--test-hooks', 'enable fault-injection routes under /__test (tests only)').env('TICKWIRE_TEST_HOOKS'))
    .addOption(
      opt('--nats <urls>', 'gateway mode: take the feed from NATS (npm run feed) instead of the embedded simulator', 'TICKWIRE_NATS').argParser(natsUrls),
    )
    .addOption(opt('--workers <n>', 'uWS gateway threads sharing the port (SO_REUSEPORT)', 'TICKWIRE_WORKERS').default(d.workers).argParser(integer(1, 64)))
    .addOption(opt('--instruments <file>', 'instrument file (JSON, docs/ingest.md) instead of the built-in universe (--symbols)', 'TICKWIRE_INSTRUMENTS'))
    .addOption(
      opt('--feed <kind>', 'sim: the embedded simulator runs the instruments not marked "ingest"; none: no simulator', 'TICKWIRE_FEED')
        .default(d.feed)
        .choices(['sim', 'none']),
    )
    .addOption(
      opt(
        '--ingest-token <secret>',
        'enable POST /ingest and /ingest/ws for producers holding this Bearer token (prefer the env variable)',
        'TICKWIRE_INGEST_TOKEN',
      ).argParser(secret),
    )
    .addOption(
      opt('--ingest-max-body <bytes>', 'largest POST /ingest body or /ingest/ws message (larger: 413 / close 1009)', 'TICKWIRE_INGEST_MAX_BODY')
        .default(d.ingestMaxBody)
        .argParser(integer(1024, 64 * 1024 * 1024)),
    )
    .addOption(
      opt('--ingest-rate <n>', 'trades per second per producer address over both doors (burst: 2 s worth; more: 429)', 'TICKWIRE_INGEST_RATE')
        .default(d.ingestRate)
        .argParser(integer(1, 10_000_000)),
    )
    .addOption(
      opt('--ingest-queue <n>', 'trades accepted per batch window at most (more: 503)', 'TICKWIRE_INGEST_QUEUE')
        .default(d.ingestQueue)
        .argParser(integer(1, 10_000_000)),
    )
    .addOption(
      opt('--ingest-body-timeout-ms <n>', 'longest a POST /ingest body may take to arrive (slower: 408)', 'TICKWIRE_INGEST_BODY_TIMEOUT_MS')
        .default(d.ingestBodyTimeoutMs)
        .argParser(integer(100, 600_000)),
    )
    .addOption(sourceOption())
    .addOption(opt('--speed <speed>', 'replay speed for --source: 1, 10 or max', 'TICKWIRE_SPEED').default('1').choices(SOURCE_SPEEDS))
    .addOption(opt('--log-level <level>', 'log level', 'TICKWIRE_LOG_LEVEL').default(d.logLevel).choices(['fatal', 'error', 'warn', 'info', 'debug', 'silent']))
    .helpOption('-h, --help', 'show this help')
    .allowExcessArguments(false);
}

/** Parses argv (without node and script) and the environment; throws StartupError TW_CONFIG on bad input. */
/** --market-time: an ISO 8601 time with its zone, as epoch ms. */
function marketTime(text: string): number {
  const ms = /(Z|[+-]\d\d:\d\d)$/.test(text) ? Date.parse(text) : NaN;
  if (!Number.isFinite(ms)) throw new InvalidArgumentError(`expected an ISO 8601 time with a zone, like 2026-01-06T15:00:00Z; got "${text}"`);
  return ms;
}

export function parseConfig(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const program = configProgram();
  parseCommandLine(program, argv, env);
  const o = program.opts<{
    host: string;
    port: number;
    seed: number;
    symbols: number;
    tickRate: number;
    batchMs: number;
    batchMaxMs?: number;
    transports: TransportName[];
    webDir: string;
    candles: number;
    resumeTicks: number;
    pollWaitMs: number;
    maxHeldPolls: number;
    history: number;
    warmup: number;
    marketTime?: number;
    heartbeatMs: number;
    maxSymbols: number;
    maxConnections: number;
    maxConnectionsPerIp: number;
    allowedOrigins: string[];
    publicOrigin?: string[];
    trustProxy?: string[];
    devOrigins?: boolean;
    maxTokenLifetime: number;
    metricsPort?: number;
    metricsHost: string;
    authSecret?: string;
    adminToken?: string;
    tlsCert?: string;
    tlsKey?: string;
    stateFile?: string;
    listenWait: number;
    testHooks?: boolean;
    nats?: string;
    workers: number;
    instruments?: string;
    feed: 'sim' | 'none';
    ingestToken?: string;
    ingestMaxBody: number;
    ingestRate: number;
    ingestQueue: number;
    ingestBodyTimeoutMs: number;
    source?: string[];
    speed: '1' | '10' | 'max';
    slowSoftBytes: number;
    slowHardBytes: number;
    slowLagMs: number;
    logLevel: ServerConfig['logLevel'];
  }>();
  const config: ServerConfig = {
    host: o.host,
    port: o.port,
    seed: o.seed,
    symbols: o.symbols,
    tickRate: o.tickRate,
    batchMs: o.batchMs,
    batchMaxMs: o.batchMaxMs ?? null,
    transports: o.transports,
    webDir: o.webDir,
    candleCapacity: o.candles,
    resumeTicks: o.resumeTicks,
    pollWaitMs: o.pollWaitMs,
    maxHeldPolls: o.maxHeldPolls,
    defaultHistory: o.history,
    warmupSec: o.warmup,
    calendarShiftMs: o.marketTime === undefined ? 0 : o.marketTime - Date.now(),
    heartbeatMs: o.heartbeatMs,
    maxSymbolsPerConnection: o.maxSymbols,
    slowSoftBytes: o.slowSoftBytes,
    slowHardBytes: o.slowHardBytes,
    slowLagMs: o.slowLagMs,
    maxConnections: o.maxConnections,
    maxConnectionsPerIp: o.maxConnectionsPerIp,
    allowedOrigins: o.allowedOrigins,
    publicOrigins: o.publicOrigin ?? [],
    devOrigins: o.devOrigins === true,
    trustProxy: o.trustProxy ?? [],
    maxTokenLifetimeSec: o.maxTokenLifetime,
    metricsPort: o.metricsPort ?? null,
    metricsHost: o.metricsHost,
    authSecret: o.authSecret ?? null,
    adminToken: o.adminToken ?? null,
    tlsCert: o.tlsCert ?? null,
    tlsKey: o.tlsKey ?? null,
    stateFile: o.stateFile ?? null,
    listenWaitSec: o.listenWait,
    testHooks: o.testHooks === true,
    nats: o.nats ?? null,
    workers: o.workers,
    instruments: o.instruments ?? null,
    feed: o.feed,
    ingestToken: o.ingestToken ?? null,
    ingestMaxBody: o.ingestMaxBody,
    ingestRate: o.ingestRate,
    ingestQueue: o.ingestQueue,
    ingestBodyTimeoutMs: o.ingestBodyTimeoutMs,
    source: sourceSpec(o.source),
    replaySpeed: o.speed === 'max' ? Infinity : Number(o.speed),
    logLevel: o.logLevel,
  };
  return validateConfig(config);
}

/** Cross-field checks that single-flag parsers cannot make. */
export function validateConfig(config: ServerConfig): ServerConfig {
  if (config.defaultHistory > config.candleCapacity) {
    throw new StartupError('TW_CONFIG', `invalid configuration: --history ${config.defaultHistory} exceeds --candles ${config.candleCapacity}`);
  }
  if ((config.tlsCert === null) !== (config.tlsKey === null)) {
    throw new StartupError(
      'TW_TLS',
      `invalid configuration: --tls-cert and --tls-key go together (got only ${config.tlsCert === null ? '--tls-key' : '--tls-cert'})`,
    );
  }
  if (config.slowSoftBytes >= config.slowHardBytes) {
    throw new StartupError(
      'TW_CONFIG',
      `invalid configuration: --slow-soft-bytes ${config.slowSoftBytes} must be below --slow-hard-bytes ${config.slowHardBytes}`,
    );
  }
  if (config.workers > 1 && config.stateFile !== null) {
    throw new StartupError('TW_CONFIG', 'invalid configuration: --state-file works with one worker; run a feed process (npm run feed) to scale out');
  }
  if (config.nats !== null && config.stateFile !== null) {
    throw new StartupError('TW_CONFIG', 'invalid configuration: --state-file belongs to the feed process; a --nats gateway holds no feed state');
  }
  if (config.metricsPort !== null && config.metricsPort !== 0 && config.metricsPort === config.port) {
    throw new StartupError('TW_CONFIG', `invalid configuration: --metrics-port ${config.metricsPort} is the main --port; pick another or leave it out`);
  }
  // Instruments and ingest live with the embedded feed in this process (a --nats gateway relays the feed
  // process's list; --workers relay the main thread's); the state file saves the simulator of --symbols only.
  const fail = (message: string): never => {
    throw new StartupError('TW_CONFIG', `invalid configuration: ${message}`);
  };
  const remote = config.nats !== null ? '--nats' : config.workers > 1 ? '--workers' : null;
  if (remote !== null && config.instruments !== null) fail(`--instruments works with the embedded feed, not with ${remote}`);
  if (remote !== null && config.ingestToken !== null) fail(`--ingest-token works with the embedded feed, not with ${remote}`);
  if (remote !== null && config.feed === 'none') fail(`--feed none works with the embedded feed, not with ${remote}`);
  if (remote !== null && config.source !== null) fail(`--source works with the embedded feed, not with ${remote}`);
  if (config.source !== null && config.instruments === null) fail('--source needs --instruments FILE: the instruments the trades name');
  if (config.feed === 'none' && config.instruments === null) fail('--feed none needs --instruments FILE: the instruments producers write');
  if (config.stateFile !== null && (config.instruments !== null || config.feed === 'none')) {
    fail('--state-file continues the built-in simulator only; leave it out with --instruments or --feed none');
  }
  if (config.ingestToken !== null && (config.ingestToken === config.authSecret || config.ingestToken === config.adminToken)) {
    fail('--ingest-token must differ from --auth-secret and --admin-token: producers get their own credential');
  }
  if (config.heartbeatMs < config.batchMs) {
    throw new StartupError('TW_CONFIG', `invalid configuration: --heartbeat-ms ${config.heartbeatMs} is shorter than --batch-ms ${config.batchMs}`);
  }
  if (config.batchMaxMs !== null) {
    if (config.batchMaxMs < config.batchMs) fail(`--batch-max-ms ${config.batchMaxMs} is shorter than --batch-ms ${config.batchMs}`);
    if (config.batchMaxMs > config.batchMs && config.batchMaxMs >= config.heartbeatMs) {
      fail(`--batch-max-ms ${config.batchMaxMs} must be below --heartbeat-ms ${config.heartbeatMs}`);
    }
  }
  return config;
}

/** The batch window's bounds: --batch-ms, and --batch-max-ms or its default (never below --batch-ms). */
export function batchWindowBounds(config: Pick<ServerConfig, 'batchMs' | 'batchMaxMs'>): { minMs: number; maxMs: number } {
  return { minMs: config.batchMs, maxMs: config.batchMaxMs ?? Math.max(DEFAULT_BATCH_MAX_MS, config.batchMs) };
}
