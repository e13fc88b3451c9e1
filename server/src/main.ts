// Command-line entry: parse configuration, start the server, shut down cleanly on SIGINT/SIGTERM, and keep
// serving on SIGHUP (which would end the process by Node's default) with a word on what it cannot reload.
// Start-up failures print one line with a stable code (see README "Troubleshooting") and exit 78.
import { parseConfig } from './config.js';
import { StartupError } from './errors.js';
import { createLogger } from '@tickwire/core/log';
import { createServer, type TickwireServer } from './server.js';
import { startWorkers } from './workers.js';

/** Exit code for configuration/environment errors (EX_CONFIG from sysexits.h). */
const EXIT_CONFIG = 78;
/** A shutdown that hangs longer than this exits anyway. */
const SHUTDOWN_DEADLINE_MS = 5000;

async function main(): Promise<void> {
  let config;
  try {
    config = parseConfig(process.argv.slice(2));
  } catch (error) {
    if ((error as { code?: string }).code === 'commander.helpDisplayed') process.exit(0);
    throw error;
  }
  const log = createLogger(config.logLevel);
  // Handlers go in before the server starts: a signal during start-up must still shut down cleanly.
  let server: Pick<TickwireServer, 'close'> | null = null;
  let stopping = false;
  // Aborts a gateway still waiting for NATS or a feed at start-up.
  const startup = new AbortController();
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    setTimeout(() => {
      log.error('shutdown deadline passed; exiting');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    startup.abort();
    if (server === null) return;
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // SIGHUP is how operators ask for a reload (and what a closed terminal sends). Nothing can be reloaded in
  // place: uWS serves the SSLApp's certificate as its default TLS context, fixed while listening
  // (addServerName only adds contexts for SNI names, each with its own empty router, and clients that send
  // no SNI — every IP address — always get the default). So keep serving and say that a renewed
  // certificate takes a restart, which clients ride out by resuming.
  process.on('SIGHUP', () => {
    if (config.tlsCert !== null) {
      log.warn(
        { signal: 'SIGHUP', tlsCert: config.tlsCert },
        'SIGHUP: TLS certificates are read at start only; restart the server to serve a new certificate (clients resume); still serving the old one',
      );
    } else log.info({ signal: 'SIGHUP' }, 'SIGHUP ignored: nothing to reload');
  });
  server = config.workers > 1 ? await startWorkers(config, log) : await createServer(config, { logger: log, signal: startup.signal });
  if (stopping) {
    await server.close();
    process.exit(0);
  }
}

main().catch((error: unknown) => {
  // Stopped by a signal while still waiting for NATS or a feed: nothing was started, nothing to clean.
  if ((error as Error).name === 'StartupAbortedError') process.exit(0);
  if (error instanceof StartupError) {
    process.stderr.write(`tickwire: ${error.code}: ${error.message}\n`);
    process.exit(EXIT_CONFIG);
  }
  process.stderr.write(`tickwire: unexpected failure: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
