// What the comparison peers share: their command line (the same flags as the Tickwire server), the same
// seeded feed (feeds/ MarketSimulator + LiveFeed, same seed, universe and rate as Tickwire runs with),
// GET /api/symbols, the "listening" line on stdout, and shutdown on SIGTERM/SIGINT.
import { Route } from '@tickwire/protocol/routes';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Command } from 'commander';
import type { Tick } from '@tickwire/protocol/messages';
import { systemClock } from '@tickwire/feeds/clock';
import { LiveFeed } from '@tickwire/feeds/live-feed';
import { MarketSimulator } from '@tickwire/feeds/simulator';
import { defaultUniverse, type Instrument } from '@tickwire/feeds/universe';
import { loadInstrumentFile } from '@tickwire/feeds/instrument-file';

export interface PeerOptions {
  port: number;
  host: string;
  seed: number;
  symbols: number;
  tickRate: number;
  /** How often the feed is polled; every tick found is sent at once, one message per tick. */
  pollMs: number;
  /**
   * Origin of the simulated clock (epoch ms; default: start-up). Prices follow the trading sessions of
   * the time of day, so a test that recomputes them with its own simulator pins the same origin.
   */
  feedStartMs: number | null;
  /** Instrument file (Tickwire's --instruments format) instead of the built-in universe of `symbols`. */
  instruments: string | null;
  /** Batching peers: the window ticks of one symbol are gathered in before one message goes out. */
  batchMs: number;
}

export function parsePeerArgs(name: string, argv: readonly string[]): PeerOptions {
  const program = new Command(name)
    .option('--port <n>', 'port (0 = any free one)', Number, 0)
    .option('--host <host>', 'listen address', '127.0.0.1')
    .option('--seed <n>', 'feed seed', Number, 1)
    .option('--symbols <n>', 'universe size', Number, 50)
    .option('--tick-rate <n>', 'feed ticks per second over all symbols', Number, 1000)
    .option('--poll-ms <n>', 'feed poll interval', Number, 5)
    .option('--feed-start-ms <ms>', 'origin of the simulated clock (epoch ms; default: now)', Number)
    .option('--instruments <file>', 'instrument file (as the Tickwire server reads it) instead of the built-in universe')
    .option('--batch-ms <n>', 'batching peers: batch window in ms', Number, 20)
    .allowUnknownOption(true);
  program.parse([...argv], { from: 'user' });
  const o = program.opts<Omit<PeerOptions, 'feedStartMs' | 'instruments'> & { feedStartMs?: number; instruments?: string }>();
  return {
    port: o.port,
    host: o.host,
    seed: o.seed,
    symbols: o.symbols,
    tickRate: o.tickRate,
    pollMs: o.pollMs,
    feedStartMs: o.feedStartMs ?? null,
    instruments: o.instruments ?? null,
    batchMs: o.batchMs,
  };
}

export interface PeerFeed {
  readonly instruments: readonly Instrument[];
  readonly byTicker: ReadonlyMap<string, Instrument>;
  readonly simulator: MarketSimulator;
  stop(): void;
}

/** Starts the seeded feed; `onTick` gets the simulator's scratch tick (copy what you keep). */
export function startFeed(o: PeerOptions, onTick: (tick: Tick, instrument: Instrument) => void): PeerFeed {
  const instruments: readonly Instrument[] = o.instruments === null ? defaultUniverse(o.symbols) : loadInstrumentFile(o.instruments, { defaultSource: 'sim' });
  const simulator = new MarketSimulator({ seed: o.seed, instruments, ticksPerSecond: o.tickRate, startTimeMs: o.feedStartMs ?? systemClock.now() });
  const feed = new LiveFeed({ simulator, clock: systemClock });
  const timer = setInterval(() => feed.poll((tick) => onTick(tick, instruments[tick.symbolId]!)), o.pollMs);
  return {
    instruments,
    byTicker: new Map(instruments.map((i) => [i.ticker, i])),
    simulator,
    stop: () => clearInterval(timer),
  };
}

/** GET /api/symbols in Tickwire's shape; anything else 404. */
export function symbolsHandler(instruments: readonly Instrument[]): (req: IncomingMessage, res: ServerResponse) => void {
  const body = JSON.stringify({
    symbols: instruments.map((i) => ({ id: i.id, ticker: i.ticker, name: i.name, priceScale: i.priceScale, sizeScale: i.sizeScale })),
  });
  return (req, res) => {
    if (req.method === 'GET' && req.url === Route.symbols) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    } else if (!res.headersSent && !req.url?.startsWith('/socket.io')) {
      res.writeHead(404).end();
    }
  };
}

export function announce(peer: string, port: number): void {
  process.stdout.write(`${JSON.stringify({ msg: 'listening', peer, port, pid: process.pid })}\n`);
}

export function onShutdown(close: () => void): void {
  const stop = (): void => {
    close();
    // Sockets may linger; the peer is a benchmark fixture, so exit promptly.
    setTimeout(() => process.exit(0), 500).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
