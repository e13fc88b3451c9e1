// What one load-test run is asked to do, its defaults, and the checks that keep it bounded and local:
// a run always ends by itself (duration + grace) and only talks to loopback unless told otherwise.
import { availableParallelism } from 'node:os';

/** Protocol adapters: how a simulated client talks to a server. */
export const ADAPTERS = [
  'tickwire-ws',
  'tickwire-sse',
  'tickwire-stream',
  'tickwire-longpoll',
  'tickwire-poll',
  'socketio',
  'ws-json',
  'socketio-batch',
  'ws-batch',
] as const;
export type AdapterName = (typeof ADAPTERS)[number];

/**
 * CLI transport names: Tickwire's transports (WebSocket, SSE, binary HTTP stream, long and short
 * polling), a mix of them (--mix, or WebSocket + --sse-fraction SSE), or a peer's protocol: per-tick JSON
 * (socketio, ws-json) or the same-design peers' binary batches (socketio-batch, ws-batch).
 */
export const TRANSPORTS = ['ws', 'sse', 'stream', 'longpoll', 'poll', 'mix', 'socketio', 'ws-json', 'socketio-batch', 'ws-batch'] as const;
/** Transports of the comparison peers, which have no Tickwire /metrics (their cost is known only with --server-pid). */
export const PEER_TRANSPORTS: readonly TransportName[] = ['socketio', 'ws-json', 'socketio-batch', 'ws-batch'];
/** Tickwire transports a --mix may name. */
export const MIX_TRANSPORTS = ['ws', 'sse', 'stream', 'longpoll', 'poll'] as const;
export type MixTransport = (typeof MIX_TRANSPORTS)[number];
export type TransportName = (typeof TRANSPORTS)[number];

export type Popularity = 'uniform' | 'zipf';

export interface LoadTestConfig {
  /** Base URL of the server, e.g. http://127.0.0.1:8080 (ws:// is accepted and means the same host). */
  url: string;
  clients: number;
  transport: TransportName;
  /** With transport "mix": share of clients on SSE (the rest on WebSocket). */
  sseFraction: number;
  /** With transport "mix": weights per Tickwire transport (overrides sseFraction); null = ws + sse. */
  mix: Partial<Record<MixTransport, number>> | null;
  /** Short polling: time between request starts, ms. */
  pollIntervalMs: number;
  /** Long polling: the wait asked of the server, ms (at most its --poll-wait-ms). */
  longPollWaitMs: number;
  symbolsPerClient: number;
  popularity: Popularity;
  /** Zipf exponent when popularity is zipf. */
  zipfExponent: number;
  /** Restrict picks to the first N symbols the server lists (0 = all). */
  symbolPool: number;
  rampUpMs: number;
  /** Steady-state measurement after the ramp-up; latency percentiles cover this window only. */
  durationMs: number;
  /** How long clients get to close after the end before they are cut off. */
  graceMs: number;
  slowFraction: number;
  /** Read rate of slow clients, bytes per second. */
  slowRateBps: number;
  churnFraction: number;
  /** Mean connection lifetime of churning clients. */
  churnIntervalMs: number;
  workers: number;
  /** Loopback source addresses to spread connections over (127.0.0.1 … 127.0.0.N), 1 = let the OS pick. */
  sourceAddresses: number;
  seed: number;
  /** Candles per interval requested in snapshots (0 for load tests). */
  history: number;
  jsonPath: string | null;
  htmlPath: string | null;
  allowRemote: boolean;
  /** Pid of the server, when known: its CPU and RSS are sampled from /proc next to the results. */
  serverPid: number | null;
  /** Progress line interval; 0 silences it. */
  progressMs: number;
  /** Free text stored in the report (e.g. the bench step). */
  label: string;
  /** WebSocket client: the minimal built-in one (cheapest) or the `ws` library (reference). */
  wsClient: 'raw' | 'ws';
  /** Access token for servers started with --auth-secret (sent as ?token=); null = none. */
  token: string | null;
  /**
   * Reconnect storm: this long after the first client starts, every client cuts its connection abruptly
   * and reconnects with full-jitter backoff and a resume cursor; null = no storm.
   */
  stormAtMs?: number | null;
}

/** Two cores: the server needs one, so the generator takes the rest (at least one worker thread). */
export function defaultWorkers(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

export const DEFAULTS: LoadTestConfig = {
  // The server's default address (`npm start`), so the obvious first run needs no --url.
  url: 'http://127.0.0.1:8080',
  clients: 100,
  transport: 'ws',
  sseFraction: 0.2,
  mix: null,
  pollIntervalMs: 250,
  longPollWaitMs: 25_000,
  symbolsPerClient: 5,
  popularity: 'uniform',
  zipfExponent: 1,
  symbolPool: 0,
  rampUpMs: 2_000,
  durationMs: 10_000,
  graceMs: 2_000,
  slowFraction: 0,
  slowRateBps: 16 * 1024,
  churnFraction: 0,
  churnIntervalMs: 5_000,
  workers: defaultWorkers(),
  sourceAddresses: 1,
  seed: 1,
  history: 0,
  jsonPath: null,
  htmlPath: null,
  allowRemote: false,
  serverPid: null,
  progressMs: 1_000,
  label: '',
  wsClient: 'raw',
  token: null,
  stormAtMs: null,
};

/** Hard ceilings: a typo must not open a million sockets or run for a day. */
export const LIMITS = {
  clients: 100_000,
  durationMs: 3_600_000,
  rampUpMs: 600_000,
  workers: 16,
  symbolsPerClient: 1_000,
  sourceAddresses: 254,
} as const;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** True for 127.0.0.0/8, ::1 and localhost (the only targets allowed without --allow-remote). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (host === '::1' || host === '0:0:0:0:0:0:0:1') return true;
  const v4 = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (v4) return v4.slice(1).every((part) => Number(part) <= 255);
  const mapped = /^::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.exec(host);
  return mapped !== null;
}

/** Parses the target and normalises ws(s):// to http(s)://; throws ConfigError on anything unusable. */
export function parseTarget(url: string, allowRemote: boolean): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`target ${JSON.stringify(url)} is not a URL (expected e.g. http://127.0.0.1:8080)`);
  }
  if (parsed.protocol === 'ws:') parsed.protocol = 'http:';
  else if (parsed.protocol === 'wss:') parsed.protocol = 'https:';
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ConfigError(`target must be http(s):// or ws(s)://, got ${parsed.protocol}`);
  }
  if (!allowRemote && !isLoopbackHost(parsed.hostname)) {
    throw new ConfigError(
      `refusing non-loopback target ${parsed.hostname}: load tests go to 127.0.0.0/8, ::1 or localhost ` + `unless --allow-remote is given`,
    );
  }
  return parsed;
}

function intIn(value: number, min: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${what} must be an integer in ${min}..${max}, got ${value}`);
  }
}

function fraction(value: number, what: string): void {
  if (!(value >= 0 && value <= 1)) throw new ConfigError(`${what} must be in [0, 1], got ${value}`);
}

/**
 * The WebSocket client when --ws-client is not given: the built-in one speaks plain ws:// only, so an
 * https:// or wss:// target (nginx terminating TLS, say) gets the `ws` library, which does TLS and trusts
 * what Node trusts (NODE_EXTRA_CA_CERTS for a private or throw-away CA).
 */
export function defaultWsClient(url: string): 'raw' | 'ws' {
  return /^(https|wss):/i.test(url.trim()) ? 'ws' : 'raw';
}

/** Transports whose clients open WebSockets (and so need a client that can speak the target's scheme). */
function usesWebSocket(c: LoadTestConfig): boolean {
  if (c.transport === 'ws' || PEER_TRANSPORTS.includes(c.transport)) return true;
  if (c.transport !== 'mix') return false;
  return c.mix === null ? c.sseFraction < 1 : (c.mix.ws ?? 0) > 0;
}

/** Throws ConfigError naming the first bad field. */
export function validateConfig(c: LoadTestConfig): void {
  const target = parseTarget(c.url, c.allowRemote);
  if (c.wsClient === 'raw' && target.protocol === 'https:' && usesWebSocket(c)) {
    throw new ConfigError('--ws-client raw speaks plain ws:// only: use --ws-client ws (the default for https:// targets) for wss');
  }
  intIn(c.clients, 1, LIMITS.clients, '--clients');
  intIn(c.symbolsPerClient, 1, LIMITS.symbolsPerClient, '--symbols-per-client');
  intIn(c.workers, 1, LIMITS.workers, '--workers');
  intIn(c.durationMs, 100, LIMITS.durationMs, '--duration (ms)');
  intIn(c.rampUpMs, 0, LIMITS.rampUpMs, '--ramp-up (ms)');
  intIn(c.graceMs, 0, 60_000, '--grace (ms)');
  intIn(c.sourceAddresses, 1, LIMITS.sourceAddresses, '--source-addresses');
  intIn(c.symbolPool, 0, 65_535, '--symbol-pool');
  intIn(c.history, 0, 2_000, '--history');
  intIn(c.churnIntervalMs, 100, 3_600_000, '--churn-interval (ms)');
  intIn(c.progressMs, 0, 60_000, '--progress (ms)');
  fraction(c.sseFraction, '--sse-fraction');
  intIn(c.pollIntervalMs, 10, 600_000, '--poll-interval (ms)');
  intIn(c.longPollWaitMs, 1, 120_000, '--long-poll-wait (ms)');
  if (c.mix !== null) {
    const entries = Object.entries(c.mix);
    if (entries.length === 0) throw new ConfigError('--mix names no transport');
    for (const [name, weight] of entries) {
      if (!(MIX_TRANSPORTS as readonly string[]).includes(name)) throw new ConfigError(`--mix: unknown transport ${name} (use ${MIX_TRANSPORTS.join(', ')})`);
      if (!(typeof weight === 'number' && weight >= 0 && Number.isFinite(weight))) throw new ConfigError(`--mix: weight of ${name} must be a number >= 0`);
    }
    if (!(entries.reduce((a, [, w]) => a + (w ?? 0), 0) > 0)) throw new ConfigError('--mix weights must not all be 0');
  }
  fraction(c.slowFraction, '--slow');
  fraction(c.churnFraction, '--churn');
  if (c.slowFraction + c.churnFraction > 1) throw new ConfigError('--slow plus --churn must not exceed 1');
  if (!(c.slowRateBps >= 64)) throw new ConfigError(`--slow-rate must be at least 64 bytes/s, got ${c.slowRateBps}`);
  if (!(c.zipfExponent > 0 && c.zipfExponent <= 5)) throw new ConfigError('--zipf-exponent must be in (0, 5]');
  intIn(c.seed, 0, 2_147_483_647, '--seed');
  if (c.stormAtMs !== undefined && c.stormAtMs !== null) {
    intIn(c.stormAtMs, 0, LIMITS.durationMs, '--storm-at (ms)');
    if (c.stormAtMs >= c.rampUpMs + c.durationMs + 1_000) throw new ConfigError('--storm-at must fall inside the run (before ramp-up + duration)');
  }
  if (c.wsClient !== 'raw' && c.wsClient !== 'ws') throw new ConfigError('--ws-client must be raw or ws');
  if (!(TRANSPORTS as readonly string[]).includes(c.transport)) {
    throw new ConfigError(`--transport must be one of ${TRANSPORTS.join(', ')}`);
  }
}

/** Total time a run may take once clients start: ramp + duration + grace, plus a fixed margin for shutdown. */
export function hardDeadlineMs(c: LoadTestConfig): number {
  return c.rampUpMs + c.durationMs + c.graceMs + 15_000;
}
