// Command-line surface of the load tester (commander): options → LoadTestConfig. Kept apart from main.ts
// so tests can parse argument lists without running anything.
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  DEFAULTS,
  TRANSPORTS,
  defaultWorkers,
  defaultWsClient,
  validateConfig,
  type LoadTestConfig,
  type MixTransport,
  type Popularity,
  type TransportName,
} from './config.js';

/** "10s", "500ms", "2m", or a bare number of seconds → ms. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m)?$/.exec(text.trim());
  if (!m) throw new InvalidArgumentError(`not a duration: ${text} (use e.g. 500ms, 10s, 2m)`);
  const value = Number(m[1]);
  const unit = m[2] ?? 's';
  return Math.round(unit === 'ms' ? value : unit === 'm' ? value * 60_000 : value * 1000);
}

function int(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`not an integer: ${text}`);
  return n;
}

function num(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`not a number: ${text}`);
  return n;
}

/** "ws=2,stream=1,longpoll=1" (or "ws,sse,poll": equal weights) → weights per transport; checked by validateConfig. */
export function parseMix(text: string): Partial<Record<MixTransport, number>> {
  const out: Partial<Record<MixTransport, number>> = {};
  for (const part of text.split(',')) {
    const m = /^\s*([a-z-]+)\s*(?:[=:]\s*(\d+(?:\.\d+)?))?\s*$/.exec(part);
    if (!m) throw new InvalidArgumentError(`not a mix entry: ${part} (use e.g. ws=2,sse=1,longpoll=1)`);
    out[m[1] as MixTransport] = m[2] === undefined ? 1 : Number(m[2]);
  }
  return out;
}

/** Byte rates like 16k, 1m, 4096 → bytes per second. */
function rate(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKmM])?$/.exec(text.trim());
  if (!m) throw new InvalidArgumentError(`not a byte rate: ${text} (use e.g. 4096, 16k, 1m)`);
  const mult = m[2] === undefined ? 1 : m[2].toLowerCase() === 'k' ? 1024 : 1048576;
  return Math.round(Number(m[1]) * mult);
}

export function buildProgram(): Command {
  const d = DEFAULTS;
  return new Command('tickwire-loadtest')
    .description(
      'Simulated dashboard clients against a Tickwire server (or a comparison peer): per-symbol seq accounting, ' +
        'HDR latency histograms, JSON + self-contained HTML reports. Loopback targets only unless --allow-remote.',
    )
    .option('-u, --url <url>', 'server base URL: http(s):// or ws(s):// (for a private CA set NODE_EXTRA_CA_CERTS=ca.pem)', d.url)
    .option('-c, --clients <n>', 'simulated clients', int, d.clients)
    .addOption(
      new Option('-t, --transport <name>', 'ws | sse | stream | longpoll | poll | mix (Tickwire) or socketio | ws-json | socketio-batch | ws-batch (peers)')
        .choices(TRANSPORTS as unknown as string[])
        .default(d.transport),
    )
    .option('--sse-fraction <f>', 'with --transport mix: share of clients on SSE', num, d.sseFraction)
    .addOption(new Option('--mix <weights>', 'with --transport mix: weights per transport, e.g. ws=2,sse=1,stream=1,longpoll=1,poll=1').argParser(parseMix))
    .addOption(
      new Option('--poll-interval <duration>', 'short polling (-t poll): time between requests').argParser(parseDuration).default(d.pollIntervalMs, '250ms'),
    )
    .addOption(
      new Option('--long-poll-wait <duration>', 'long polling (-t longpoll): wait asked of the server')
        .argParser(parseDuration)
        .default(d.longPollWaitMs, '25s'),
    )
    .option('-s, --symbols-per-client <n>', 'symbols each client subscribes to', int, d.symbolsPerClient)
    .addOption(new Option('--popularity <kind>', 'how clients pick symbols').choices(['uniform', 'zipf']).default(d.popularity))
    .option('--zipf-exponent <s>', 'Zipf exponent for --popularity zipf', num, d.zipfExponent)
    .option('--symbol-pool <n>', 'pick only among the first N listed symbols (0 = all)', int, d.symbolPool)
    .addOption(new Option('-r, --ramp-up <duration>', 'spread connects over this time (e.g. 5s)').argParser(parseDuration).default(d.rampUpMs, '2s'))
    .addOption(
      new Option('-d, --duration <duration>', 'steady measurement window after ramp-up (e.g. 30s, 2m)').argParser(parseDuration).default(d.durationMs, '10s'),
    )
    .addOption(new Option('--grace <duration>', 'time clients get to close at the end').argParser(parseDuration).default(d.graceMs, '2s'))
    .option('--slow <fraction>', 'fraction of clients reading at a limited rate', num, d.slowFraction)
    .addOption(new Option('--slow-rate <bytes/s>', 'read rate of slow clients (e.g. 16k)').argParser(rate).default(d.slowRateBps, '16k'))
    .option('--churn <fraction>', 'fraction of clients that disconnect and reconnect periodically', num, d.churnFraction)
    .addOption(
      new Option('--churn-interval <duration>', 'mean connection lifetime of churning clients').argParser(parseDuration).default(d.churnIntervalMs, '5s'),
    )
    .addOption(new Option('-w, --workers <n>', 'worker threads running the clients').argParser(int).default(d.workers, `cores − 1, here ${defaultWorkers()}`))
    .option('--source-addresses <n>', 'spread connections over 127.0.0.1..127.0.0.N (beyond ~28k clients)', int, d.sourceAddresses)
    .option('--seed <n>', 'seed of the symbol picks', int, d.seed)
    .option('--history <n>', 'candles per interval requested in snapshots', int, d.history)
    .option('--json <path>', 'write the JSON report here')
    .option('--html <path>', 'write the self-contained HTML report here')
    .option('--server-pid <pid>', 'sample this server process (CPU, RSS) from /proc', int)
    .addOption(new Option('--progress <duration>', 'progress line interval (0 = quiet)').argParser(parseDuration).default(d.progressMs, '1s'))
    .option('--label <text>', 'label stored in the reports', d.label)
    .addOption(
      new Option(
        '--ws-client <impl>',
        'WebSocket client: built-in minimal RFC 6455 client (ws:// only), or the ws library (also wss://); default raw, ws for https:// targets',
      ).choices(['raw', 'ws']),
    )
    .option('--token <token>', 'access token for a server that requires one (sent as ?token=)')
    .addOption(
      new Option(
        '--storm-at <duration>',
        'reconnect storm: at this time after start every client drops its connection and reconnects with full-jitter backoff + resume',
      ).argParser(parseDuration),
    )
    .option('--allow-remote', 'allow a target outside 127.0.0.0/8, ::1, localhost', false)
    .addHelpText(
      'after',
      `
Examples:
  npm run loadtest -- --url http://127.0.0.1:8080 --clients 1000 --ramp-up 5s --duration 30s \\
      --json out/load.json --html out/load.html
  npm run loadtest -- -c 500 -t mix --sse-fraction 0.3 --popularity zipf --slow 0.05 --churn 0.1 -d 20s
  NODE_EXTRA_CA_CERTS=proxy-ca.pem npm run loadtest -- --url https://127.0.0.1:8443 -c 50 -t sse   # through nginx (TLS)`,
    );
}

/** Parses argv (without node and script) into a validated config; throws on bad input. */
export function parseArgs(argv: readonly string[]): LoadTestConfig {
  const program = buildProgram()
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  program.parse([...argv], { from: 'user' });
  return configFromOptions(program.opts());
}

export function configFromOptions(o: Record<string, unknown>): LoadTestConfig {
  const config: LoadTestConfig = {
    ...DEFAULTS,
    url: o.url as string,
    clients: o.clients as number,
    transport: o.transport as TransportName,
    sseFraction: o.sseFraction as number,
    mix: (o.mix as LoadTestConfig['mix'] | undefined) ?? null,
    pollIntervalMs: o.pollInterval as number,
    longPollWaitMs: o.longPollWait as number,
    symbolsPerClient: o.symbolsPerClient as number,
    popularity: o.popularity as Popularity,
    zipfExponent: o.zipfExponent as number,
    symbolPool: o.symbolPool as number,
    rampUpMs: o.rampUp as number,
    durationMs: o.duration as number,
    graceMs: o.grace as number,
    slowFraction: o.slow as number,
    slowRateBps: o.slowRate as number,
    churnFraction: o.churn as number,
    churnIntervalMs: o.churnInterval as number,
    workers: o.workers as number,
    sourceAddresses: o.sourceAddresses as number,
    seed: o.seed as number,
    history: o.history as number,
    jsonPath: (o.json as string | undefined) ?? null,
    htmlPath: (o.html as string | undefined) ?? null,
    allowRemote: o.allowRemote as boolean,
    serverPid: (o.serverPid as number | undefined) ?? null,
    progressMs: o.progress as number,
    label: o.label as string,
    wsClient: (o.wsClient as 'raw' | 'ws' | undefined) ?? defaultWsClient(o.url as string),
    token: (o.token as string | undefined) ?? null,
    stormAtMs: (o.stormAt as number | undefined) ?? null,
  };
  validateConfig(config);
  return config;
}
