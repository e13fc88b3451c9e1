// --source coinbase [URL] / --source binance [URL] (server or feed process): the venue's stream for every
// instrument of the file that is ingested, started once the fan-out is bound, counted through the
// process's sink (tickwire_adapter_events_total{source,event} and the ingest metrics in the server, the
// feed's stats), closed on shutdown.
import type { IngestCore } from '@tickwire/core/ingest';
import type { Logger } from '@tickwire/core/log';
import type { ReplaySource } from '../replay-source.js';
import { rejectionLog } from '../ingest-guard.js';
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
    attach(sink) {
      for (const event of ADAPTER_EVENTS) sink.adapterEvent(venue.name, event, 0);
      const note = rejectionLog(log);
      stream = new ExchangeStream({
        venue,
        core,
        log,
        now,
        count: (event, n = 1) => sink.adapterEvent(venue.name, event, n),
        onResult: (r) => {
          sink.ingested(r);
          note(r);
        },
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
