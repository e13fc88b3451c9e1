// --source coinbase [URL] / --source binance [URL] in the server process: the venue's stream for every
// instrument of the file that is ingested, started once the fan-out is bound, counted in
// tickwire_adapter_events_total{source,event} and the ingest metrics, closed on shutdown.
import type { IngestCore } from '@tickwire/core/ingest';
import type { Logger } from '@tickwire/core/log';
import type { Metrics } from '../metrics.js';
import type { ReplaySource } from '../replay-source.js';
import { batchRecorder } from '../ingest-guard.js';
import { binanceVenue } from './binance.js';
import { coinbaseVenue } from './coinbase.js';
import { ADAPTER_EVENTS, ExchangeStream } from './exchange-stream.js';

export function openExchange(spec: { kind: 'coinbase' | 'binance'; url: string | null }, core: IngestCore, log: Logger, now: () => number): ReplaySource {
  const tickers = core.instruments.filter((i) => i.source === 'ingest').map((i) => i.ticker);
  const venue =
    spec.kind === 'coinbase'
      ? coinbaseVenue(tickers, ...(spec.url !== null ? ([spec.url] as const) : []))
      : binanceVenue(tickers, ...(spec.url !== null ? ([spec.url] as const) : []));
  let stream: ExchangeStream | null = null;
  return {
    attach(metrics: Metrics) {
      for (const event of ADAPTER_EVENTS) metrics.adapterEvents.inc({ source: venue.name, event }, 0);
      const record = batchRecorder(metrics, log);
      stream = new ExchangeStream({
        venue,
        core,
        log,
        now,
        count: (event, n = 1) => metrics.adapterEvents.inc({ source: venue.name, event }, n),
        onResult: record,
      });
      log.info({ source: venue.name, url: venue.url, instruments: tickers }, 'exchange feed starting');
      stream.start();
    },
    pump() {},
    close() {
      stream?.close();
    },
  };
}
