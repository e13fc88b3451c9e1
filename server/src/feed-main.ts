// Feed process entry (`npm run feed -- --nats nats://127.0.0.1:4222`): runs the simulator, or replays a
// recording, through the market core and publishes on the feed bus for any number of gateways
// (`npm start -- --nats …`). Start-up failures print one line with a stable code and exit 78, like the
// server; an unreachable NATS is not fatal: it is logged (TW_NATS) and retried with backoff.
import { StartupError } from './errors.js';
import { createLogger } from '@tickwire/core/log';
import { connectNatsBus, type Bus } from '@tickwire/core/nats/bus';
import { parseFeedConfig, runFeed, type FeedConfig, type RunningFeed } from './nats/feed-process.js';

const EXIT_CONFIG = 78;
const SHUTDOWN_DEADLINE_MS = 5000;

async function main(): Promise<void> {
  let config: FeedConfig;
  try {
    config = parseFeedConfig(process.argv.slice(2));
  } catch (error) {
    if ((error as { code?: string }).code === 'commander.helpDisplayed') process.exit(0);
    throw error;
  }
  const log = createLogger(config.logLevel);
  const startup = new AbortController();
  let feed: RunningFeed | null = null;
  let bus: Bus | null = null;
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    setTimeout(() => {
      log.error('shutdown deadline passed; exiting');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    startup.abort();
    void (async () => {
      await feed?.close();
      await bus?.close();
      process.exit(0);
    })();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // Node's default for SIGHUP (an operator's reload, a closed terminal) is to die, which would cut every
  // gateway's feed. The feed process has nothing to reload: it keeps running.
  process.on('SIGHUP', () => log.info({ signal: 'SIGHUP' }, 'SIGHUP ignored: nothing to reload (restart to change the configuration)'));
  bus = await connectNatsBus({ servers: config.nats, name: `tickwire-feed-${process.pid}`, log, signal: startup.signal });
  if (stopping) return;
  feed = await runFeed(config, bus, log);
}

main().catch((error: unknown) => {
  if (error instanceof StartupError) {
    process.stderr.write(`tickwire-feed: ${error.code}: ${error.message}\n`);
    process.exit(EXIT_CONFIG);
  }
  if ((error as Error).name === 'StartupAbortedError') process.exit(0);
  process.stderr.write(`tickwire-feed: unexpected failure: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
