// Where a trade source (--source file replay or exchange adapter) counts what it ingested: the server's
// /metrics, or, in the feed process, which has no /metrics, a stats object its logs and tests read. The
// sources log their own rejections and events; the sink only counts, so the same sources run in both.
import type { IngestRejection, IngestResult } from '@tickwire/core/ingest';
import type { AdapterEvent } from './adapters/exchange-stream.js';
import { countBatch } from './ingest-guard.js';
import type { Metrics } from './metrics.js';

export interface SourceSink {
  /** One batch the source submitted and the core processed. */
  ingested(r: IngestResult): void;
  /** An exchange adapter's event; `n` may be 0 so the series exists from the start. */
  adapterEvent(source: string, event: AdapterEvent, n: number): void;
}

/** The server's: tickwire_ingest_trades_*_total and tickwire_adapter_events_total{source,event}. */
export function metricsSink(metrics: Metrics): SourceSink {
  return {
    ingested: (r) => countBatch(metrics, r),
    adapterEvent: (source, event, n) => metrics.adapterEvents.inc({ source, event }, n),
  };
}

/** What a source counted in the feed process (`RunningFeed.source`), with the names of the server's metrics. */
export interface SourceStats {
  accepted: number;
  rejected: Partial<Record<IngestRejection, number>>;
  /** By venue, then event. */
  adapterEvents: Record<string, Partial<Record<AdapterEvent, number>>>;
}

export function statsSink(): { sink: SourceSink; stats: SourceStats } {
  const stats: SourceStats = { accepted: 0, rejected: {}, adapterEvents: {} };
  const sink: SourceSink = {
    ingested(r) {
      stats.accepted += r.accepted;
      for (const [reason, n] of Object.entries(r.reasons) as Array<[IngestRejection, number]>) stats.rejected[reason] = (stats.rejected[reason] ?? 0) + n;
    },
    adapterEvent(source, event, n) {
      const venue = (stats.adapterEvents[source] ??= {});
      venue[event] = (venue[event] ?? 0) + n;
    },
  };
  return { sink, stats };
}
