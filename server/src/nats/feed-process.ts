// The feed process (`npm run feed`): its configuration, and runFeed(), which drives the market core from
// the simulator or from a recording, and records what it publishes; with --instruments, producers' trades
// for the file's ingest instruments arrive on NATS (nats/ingest-door.ts) into the same core, and --source
// replays a trade file or follows an exchange into it, as in the server. feed-main.ts is the CLI around it;
// tests run it in-process on a bus of their choosing.
import { randomInt } from 'node:crypto';
import { hostname } from 'node:os';
import { Command, InvalidArgumentError } from 'commander';
import { envOption, integer, natsUrls, parseCommandLine } from '../cli-options.js';
import { systemClock } from '@tickwire/feeds/clock';
import { RecordingReader, RecordingWriter, parseReplaySpeed, replayRecording, type ReplaySpeed } from '@tickwire/feeds/recording';
import { U32_MAX } from '@tickwire/protocol/units';
import { DEFAULT_CONFIG } from '../config.js';
import { StartupError } from '../errors.js';
import { createEmbeddedFeed } from '../feed-source.js';
import type { Logger } from '@tickwire/core/log';
import { instrumentInfo, type InstrumentInfo } from '@tickwire/protocol/instruments';
import { sleep, type Bus } from '@tickwire/core/nats/bus';
import { MarketCore } from '@tickwire/core/nats/feed-publisher';
import { DEFAULT_INGEST_LIMITS, IngestCore } from '@tickwire/core/ingest';
import { InstrumentFileError, loadInstrumentFile } from '@tickwire/feeds/instrument-file';
import { mountNatsIngest, type NatsIngestStats } from './ingest-door.js';
import { openExchange } from '../adapters/exchange-source.js';
import { openReplay, type ReplaySource } from '../replay-source.js';
import { SOURCE_SPEEDS, sourceOption, sourceSpec, type TradeSourceSpec } from '../source-options.js';
import { statsSink, type SourceStats } from '../source-sink.js';

function loadInstruments(path: string, defaultSource: 'sim' | 'ingest') {
  try {
    return loadInstrumentFile(path, { defaultSource });
  } catch (error) {
    if (error instanceof InstrumentFileError) throw new StartupError('TW_INSTRUMENTS', `invalid --instruments ${error.message}`, { cause: error });
    throw error;
  }
}

export interface FeedConfig {
  nats: string;
  seed: number;
  symbols: number;
  tickRate: number;
  batchMs: number;
  warmupSec: number;
  candleCapacity: number;
  resumeTicks: number;
  heartbeatMs: number;
  record: string | null;
  replay: string | null;
  speed: ReplaySpeed;
  /** Instrument file (JSON); entries with source "ingest" take producer trades over NATS; null = built-in universe. */
  instruments?: string | null;
  /** 'none': no simulator, every instrument of the file is ingested (default 'sim'). */
  feed?: 'sim' | 'none';
  /** Trades accepted per batch window at most; a larger batch is refused whole (default as the server's). */
  ingestQueue?: number;
  /** Trades from a file or an exchange for the file's ingest instruments (needs `instruments`); paced by `speed`. */
  source?: TradeSourceSpec | null;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'silent';
}

function speed(value: string): ReplaySpeed {
  const s = parseReplaySpeed(value);
  if (s === null) throw new InvalidArgumentError('use a factor like 1 or 10, or max');
  return s;
}

export function feedProgram(): Command {
  const d = DEFAULT_CONFIG;
  const opt = envOption;
  return new Command('tickwire-feed')
    .description('Tickwire feed process: simulated market (or a replay) published on NATS for gateways (npm start -- --nats URL)')
    .addOption(opt('--nats <urls>', 'NATS server URL(s), comma-separated', 'TICKWIRE_NATS').argParser(natsUrls).makeOptionMandatory())
    .addOption(
      opt('--seed <n>', 'feed random seed', 'TICKWIRE_SEED')
        .default(d.seed)
        .argParser(integer(0, 2 ** 32 - 1)),
    )
    .addOption(opt('--symbols <n>', 'number of simulated instruments', 'TICKWIRE_SYMBOLS').default(d.symbols).argParser(integer(1, 65535)))
    .addOption(opt('--tick-rate <n>', 'total feed ticks per second', 'TICKWIRE_TICK_RATE').default(d.tickRate).argParser(integer(1, 1_000_000)))
    .addOption(
      opt('--batch-ms <n>', 'batching window in ms (one Updates frame per symbol per window)', 'TICKWIRE_BATCH_MS')
        .default(d.batchMs)
        .argParser(integer(1, 1000)),
    )
    .addOption(opt('--warmup <s>', 'seconds of simulated past folded in at start', 'TICKWIRE_WARMUP').default(d.warmupSec).argParser(integer(0, 86_400)))
    .addOption(opt('--candles <n>', 'candles kept per symbol and interval', 'TICKWIRE_CANDLES').default(d.candleCapacity).argParser(integer(10, 65535)))
    .addOption(
      opt('--resume-ticks <n>', 'recent ticks per symbol handed to gateways with snapshots', 'TICKWIRE_RESUME_TICKS')
        .default(d.resumeTicks)
        .argParser(integer(0, 1_000_000)),
    )
    .addOption(opt('--heartbeat-ms <n>', 'feed heartbeat interval in ms', 'TICKWIRE_HEARTBEAT_MS').default(d.heartbeatMs).argParser(integer(100, 60_000)))
    .addOption(opt('--record <file>', 'record every published tick and batch to this file', 'TICKWIRE_RECORD'))
    .addOption(opt('--replay <file>', 'publish a recording instead of the simulator', 'TICKWIRE_REPLAY').conflicts('record'))
    .addOption(
      opt('--speed <x>', 'replay speed of --replay: a factor (1, 10) or max; of --source: 1, 10 or max', 'TICKWIRE_SPEED')
        .default(1 as ReplaySpeed)
        .argParser(speed),
    )
    .addOption(
      opt(
        '--instruments <file>',
        'instrument file (JSON, docs/ingest.md); entries with source "ingest" take trades on tickwire.ingest.*',
        'TICKWIRE_INSTRUMENTS',
      ),
    )
    .addOption(
      opt('--feed <kind>', 'sim: simulate the instruments not marked "ingest"; none: no simulator (needs --instruments)', 'TICKWIRE_FEED')
        .default(d.feed)
        .choices(['sim', 'none']),
    )
    .addOption(
      opt('--ingest-queue <n>', 'trades accepted per batch window at most (a larger batch is refused whole)', 'TICKWIRE_INGEST_QUEUE')
        .default(d.ingestQueue)
        .argParser(integer(1, 10_000_000)),
    )
    .addOption(sourceOption())
    .addOption(opt('--log-level <level>', 'log level', 'TICKWIRE_LOG_LEVEL').default(d.logLevel).choices(['fatal', 'error', 'warn', 'info', 'debug', 'silent']))
    .helpOption('-h, --help', 'show this help')
    .allowExcessArguments(false);
}

export function parseFeedConfig(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): FeedConfig {
  const program = feedProgram();
  parseCommandLine(program, argv, env);
  const o = program.opts<{
    nats: string;
    seed: number;
    symbols: number;
    tickRate: number;
    batchMs: number;
    warmup: number;
    candles: number;
    resumeTicks: number;
    heartbeatMs: number;
    record?: string;
    replay?: string;
    speed: ReplaySpeed;
    instruments?: string;
    feed: 'sim' | 'none';
    ingestQueue: number;
    source?: string[];
    logLevel: FeedConfig['logLevel'];
  }>();
  const source = sourceSpec(o.source);
  // The same rules as the server's --source (config.ts): the trades name instruments of a file.
  if (source !== null && o.instruments === undefined)
    throw new StartupError('TW_CONFIG', 'invalid configuration: --source needs --instruments FILE: the instruments the trades name');
  if (source !== null && !(SOURCE_SPEEDS as readonly string[]).includes(String(o.speed)))
    throw new StartupError('TW_CONFIG', `invalid configuration: --speed ${o.speed} with --source: use 1, 10 or max`);
  if (o.feed === 'none' && o.instruments === undefined) throw new StartupError('TW_CONFIG', 'invalid configuration: --feed none needs --instruments FILE');
  if (o.instruments !== undefined && o.replay !== undefined)
    throw new StartupError('TW_CONFIG', 'invalid configuration: --instruments and --replay do not go together (a recording carries its instruments)');
  if (o.heartbeatMs < o.batchMs)
    throw new StartupError('TW_CONFIG', `invalid configuration: --heartbeat-ms ${o.heartbeatMs} is shorter than --batch-ms ${o.batchMs}`);
  return {
    nats: o.nats,
    seed: o.seed,
    symbols: o.symbols,
    tickRate: o.tickRate,
    batchMs: o.batchMs,
    warmupSec: o.warmup,
    candleCapacity: o.candles,
    resumeTicks: o.resumeTicks,
    heartbeatMs: o.heartbeatMs,
    record: o.record ?? null,
    replay: o.replay ?? null,
    speed: o.speed,
    instruments: o.instruments ?? null,
    feed: o.feed,
    ingestQueue: o.ingestQueue,
    source,
    logLevel: o.logLevel,
  };
}

export interface RunningFeed {
  readonly epoch: number;
  readonly core: MarketCore;
  /** What the NATS ingest door counted (null: no instrument takes trades). */
  readonly ingest: NatsIngestStats | null;
  /** What --source ingested (null: no --source); rejections and adapter events are also logged. */
  readonly source: SourceStats | null;
  close(): Promise<void>;
}

/**
 * Runs a feed on `bus` (tests pass an in-process bus; the CLI connects to NATS). The epoch is new on
 * every start, replay included: a restart breaks seq continuity whatever the ticks are.
 */
export async function runFeed(config: FeedConfig, bus: Bus, log: Logger): Promise<RunningFeed> {
  const clock = systemClock;
  const now = () => clock.now();
  const feedId = `${hostname()}-${process.pid}`;
  const abort = new AbortController();
  let instruments: readonly InstrumentInfo[];
  let epoch: number;
  let reader: RecordingReader | null = null;
  let live: ReturnType<typeof createEmbeddedFeed> | null = null;
  let ingest: IngestCore | null = null;
  let door: ReturnType<typeof mountNatsIngest> | null = null;
  let source: ReplaySource | null = null;
  if (config.replay !== null) {
    const opened = RecordingReader.open(config.replay);
    if (!opened.ok) throw new StartupError('TW_CONFIG', `invalid configuration: --replay ${config.replay}: ${opened.error}`);
    reader = opened.value;
    instruments = reader.header.meta.instruments;
    epoch = randomInt(1, U32_MAX + 1);
  } else {
    const kind = config.feed ?? 'sim';
    const file = config.instruments == null ? undefined : loadInstruments(config.instruments, kind === 'sim' ? 'sim' : 'ingest');
    live = createEmbeddedFeed({
      seed: config.seed,
      symbols: config.symbols,
      tickRate: config.tickRate,
      warmupSec: config.warmupSec,
      clock,
      simulate: kind === 'sim',
      ...(file !== undefined ? { instruments: file } : {}),
    });
    instruments = live.instruments;
    epoch = live.epoch;
    const writable = live.instruments.map((i) => ({
      ...instrumentInfo(i),
      tickSize: i.tickSize,
      source: kind === 'none' ? ('ingest' as const) : (i.source ?? 'sim'),
    }));
    // The core exists when some instrument is the producers' to write, or for --source (which then warns).
    const spec = config.source ?? null;
    if (spec !== null || writable.some((i) => i.source === 'ingest'))
      ingest = new IngestCore(writable, { ...DEFAULT_INGEST_LIMITS, queueLength: config.ingestQueue ?? DEFAULT_INGEST_LIMITS.queueLength });
    if (spec !== null && ingest !== null) {
      if (ingest.ingestible === 0) log.warn('--source is on but no instrument has source "ingest": every trade will be refused (not_ingest)');
      source = 'file' in spec ? openReplay(spec, config.speed === 'max' ? Infinity : config.speed, log) : openExchange(spec, ingest, log, now);
    }
  }
  const recorder =
    config.record === null
      ? null
      : new RecordingWriter(config.record, {
          epoch,
          startedAtMs: now(),
          meta: {
            instruments: instruments.map(instrumentInfo),
            source: { seed: config.seed, symbols: config.symbols, tickRate: config.tickRate, batchMs: config.batchMs },
          },
        });
  const core = new MarketCore({
    bus,
    instruments,
    epoch,
    candleCapacity: config.candleCapacity,
    resumeTicks: config.resumeTicks,
    batchMs: config.batchMs,
    heartbeatMs: config.heartbeatMs,
    feedId,
    log,
    now,
    recorder,
  });

  let timer: NodeJS.Timeout | null = null;
  let sourceCounts: ReturnType<typeof statsSink> | null = null;
  let replaying: Promise<unknown> | null = null;
  if (live !== null) {
    const warmed = live.warmUp(core.fanout);
    core.start();
    const feed = live;
    if (ingest !== null) {
      ingest.start(core.fanout);
      // The NATS door opens only when some instrument is the producers' to write.
      if (ingest.ingestible > 0) door = mountNatsIngest(bus, ingest, log, now, config.batchMs);
      if (source !== null) {
        sourceCounts = statsSink();
        source.attach(sourceCounts.sink);
      }
    }
    const queue = ingest;
    const trades = source;
    timer = setInterval(() => {
      // Right before the batch is published: what ingest queued goes out now, so its queue empties; then
      // the file's rows due by now take the fresh room (the server's order, feed-source.ts).
      queue?.windowClosed();
      if (queue !== null) trades?.pump(queue, now());
      feed.poll(core.fanout);
      core.publishBatch(now());
    }, config.batchMs);
    log.info(
      {
        epoch,
        feedId,
        bus: bus.name,
        symbols: instruments.length,
        tickRate: config.tickRate,
        batchMs: config.batchMs,
        warmupTicks: warmed,
        record: config.record,
        ingested: ingest?.ingestible ?? 0,
        source: config.source ?? null,
      },
      'feed publishing',
    );
  } else {
    const source = reader!;
    core.start();
    log.info(
      { epoch, feedId, bus: bus.name, symbols: instruments.length, replay: config.replay, speed: config.speed, recordedEpoch: source.header.epoch },
      'feed publishing',
    );
    replaying = replayRecording(source, {
      speed: config.speed,
      clock,
      sleep: (ms) => sleep(ms, abort.signal),
      onBlock: (block, t) => core.replayBlock(block, t),
      // As fast as possible, but no faster than the bus takes it: each pause waits for NATS's PONG.
      onYield: () => bus.flush(),
      signal: abort.signal,
    }).then(
      (done) => log.info({ ...done, truncated: source.truncated, error: source.error }, 'replay finished'),
      (error: unknown) => log.error({ err: error }, 'replay failed'),
    );
  }

  return {
    epoch,
    core,
    ingest: door?.stats ?? null,
    source: sourceCounts?.stats ?? null,
    async close() {
      abort.abort();
      if (timer !== null) clearInterval(timer);
      door?.close();
      source?.close?.();
      await replaying;
      core.close();
      recorder?.close();
      reader?.close();
    },
  };
}
