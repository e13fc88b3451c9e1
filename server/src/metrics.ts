// Prometheus metrics (prom-client) on a private registry: what an operator needs to see fan-out health.
// Counters are bumped per batch or per connection event, never per tick per client.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { SessionRegistry } from './sessions.js';

export class Metrics {
  readonly registry = new Registry();
  readonly ticksIn = new Counter({ name: 'tickwire_feed_ticks_total', help: 'Ticks received from the feed', registers: [this.registry] });
  readonly batchTicks = new Histogram({
    name: 'tickwire_batch_ticks',
    help: 'Ticks per published batch',
    buckets: [1, 5, 10, 50, 100, 500, 1000, 5000, 20000],
    registers: [this.registry],
  });
  readonly batchWindow = new Gauge({
    name: 'tickwire_batch_window_ms',
    help: 'Current batch window, ms: --batch-ms, widened up to --batch-max-ms while the event loop is busy and batches start late or fill much of it',
    registers: [this.registry],
  });
  readonly framesSent = new Counter({
    name: 'tickwire_frames_sent_total',
    help: 'Frames delivered to clients (one per subscriber)',
    labelNames: ['transport', 'type'] as const,
    registers: [this.registry],
  });
  readonly bytesSent = new Counter({
    name: 'tickwire_bytes_sent_total',
    help: 'Payload bytes delivered to clients (before WebSocket/HTTP framing)',
    labelNames: ['transport'] as const,
    registers: [this.registry],
  });
  readonly connectionsOpened = new Counter({
    name: 'tickwire_connections_opened_total',
    help: 'Connections accepted',
    labelNames: ['transport'] as const,
    registers: [this.registry],
  });
  readonly controlErrors = new Counter({
    name: 'tickwire_control_errors_total',
    help: 'Control messages answered with an error',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly resumes = new Counter({
    name: 'tickwire_resumes_total',
    help: 'Resume attempts by outcome: replay (missed ticks sent) or snapshot (outside the window or epoch changed)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly conflations = new Counter({
    name: 'tickwire_conflations_total',
    help: 'Times a client fell past the soft backlog limit and switched to conflated updates',
    labelNames: ['transport'] as const,
    registers: [this.registry],
  });
  readonly refusals = new Counter({
    name: 'tickwire_refusals_total',
    help: 'Requests refused by admission (Host, Origin, token, content type, session owner, caps), by error name',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly handlerErrors = new Counter({
    name: 'tickwire_handler_errors_total',
    help: 'Exceptions caught inside a request or WebSocket handler (answered 500, or closed with 1011), by route',
    labelNames: ['route'] as const,
    registers: [this.registry],
  });
  readonly tokenExpiries = new Counter({
    name: 'tickwire_token_expiry_closes_total',
    help: 'Open connections closed because their token expired (4001)',
    labelNames: ['transport'] as const,
    registers: [this.registry],
  });
  readonly ingestAccepted = new Counter({
    name: 'tickwire_ingest_trades_accepted_total',
    help: 'Producer trades accepted by any ingest door (each became a tick)',
    registers: [this.registry],
  });
  readonly ingestRejected = new Counter({
    name: 'tickwire_ingest_trades_rejected_total',
    help: 'Producer trades (lines or records) rejected by any ingest door, by reason (docs/ingest.md)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly ingestRequests = new Counter({
    name: 'tickwire_ingest_requests_total',
    help: 'POST /ingest requests by outcome: applied (answered 200), refused (whole body, see tickwire_refusals_total), aborted (producer left mid-body, nothing applied)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly ingestBatches = new Counter({
    name: 'tickwire_ingest_batches_total',
    help: 'Batches (messages) of the streaming ingest doors by door (ws, nats) and outcome: applied (acked), refused (nothing applied)',
    labelNames: ['door', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly adapterEvents = new Counter({
    name: 'tickwire_adapter_events_total',
    help: 'Exchange feed (--source coinbase|binance) events: connected, disconnected, malformed messages, trade-id gaps, repeats skipped, trades dropped on a full queue',
    labelNames: ['source', 'event'] as const,
    registers: [this.registry],
  });
  readonly slowDisconnects = new Counter({
    name: 'tickwire_slow_consumer_disconnects_total',
    help: 'Clients closed because they fell too far behind',
    labelNames: ['transport'] as const,
    registers: [this.registry],
  });

  constructor(sessions: SessionRegistry) {
    collectDefaultMetrics({ register: this.registry, prefix: 'tickwire_' });
    const registry = this.registry;
    new Gauge({
      name: 'tickwire_connections',
      help: 'Open connections',
      labelNames: ['transport'] as const,
      registers: [registry],
      collect() {
        for (const [transport, count] of Object.entries(sessions.counts)) this.set({ transport }, count);
      },
    });
    new Gauge({
      name: 'tickwire_subscriptions',
      help: 'Symbol subscriptions over all connections',
      registers: [registry],
      collect() {
        let n = 0;
        for (const s of sessions) n += s.symbols.size;
        this.set(n);
      },
    });
  }
}
