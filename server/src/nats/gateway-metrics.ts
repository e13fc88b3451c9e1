// The gateway's Prometheus series (tickwire_bus_*): how the bus link and the stitching behave, on the
// server's registry. Gauges are read at scrape time from whatever reports them.
import { Counter, Gauge, type Registry } from 'prom-client';

export interface GatewayGauges {
  /** Symbols subscribed on the bus right now. */
  subscribedCount(): number;
  /** Frames read from the bus and not yet relayed. */
  pendingFrames(): number;
}

export type GatewayMetrics = ReturnType<typeof registerGatewayMetrics>;

export function registerGatewayMetrics(registry: Registry, gauges: GatewayGauges) {
  const registers = [registry];
  new Gauge({
    name: 'tickwire_bus_symbols_subscribed',
    help: 'Symbols this gateway is subscribed to on the feed bus (those with local subscribers, plus a short linger)',
    registers,
    collect() {
      this.set(gauges.subscribedCount());
    },
  });
  new Gauge({
    name: 'tickwire_bus_pending_frames',
    help: 'Frames read from the bus and not yet relayed',
    registers,
    collect() {
      this.set(gauges.pendingFrames());
    },
  });
  return {
    frames: new Counter({
      name: 'tickwire_bus_frames_total',
      help: 'Updates frames from the bus by outcome: relayed, buffered (during a sync), stale (already held), malformed',
      labelNames: ['result'] as const,
      registers,
    }),
    dropped: new Counter({
      name: 'tickwire_bus_dropped_total',
      help: 'Frames dropped by this gateway: pending-overflow (more read from the bus than the local bound)',
      labelNames: ['reason'] as const,
      registers,
    }),
    resyncs: new Counter({
      name: 'tickwire_bus_resyncs_total',
      help: 'Symbol syncs from a feed snapshot by reason: interest, gap, heartbeat, reconnect, epoch',
      labelNames: ['reason'] as const,
      registers,
    }),
    refreshes: new Counter({
      name: 'tickwire_bus_refreshes_total',
      help: 'Syncs that could not bridge the hole with missed ticks, so holders got a fresh snapshot',
      registers,
    }),
    snapshotFailures: new Counter({ name: 'tickwire_bus_snapshot_failures_total', help: 'Snapshot requests that failed or timed out', registers }),
    disconnects: new Counter({
      name: 'tickwire_bus_disconnects_total',
      help: 'Times the bus connection was lost (including NATS cutting this gateway off as a slow consumer)',
      registers,
    }),
    epochChanges: new Counter({ name: 'tickwire_bus_epoch_changes_total', help: 'Feed restarts seen (new epoch)', registers }),
  };
}
