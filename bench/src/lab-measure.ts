// Transport lab, measuring side: one load-test result → one row of the lab table. Wire bytes are real
// socket bytes of the steady window (both directions, so request headers count too) divided by the
// updates delivered in it; server CPU per update comes from the /proc deltas the load tester sampled.
import type { LoadTestResult } from '@tickwire/loadtest/run';

export const LAB_TRANSPORTS = ['ws', 'sse', 'stream', 'longpoll', 'poll'] as const;
export type LabTransport = (typeof LAB_TRANSPORTS)[number];

export interface LabRow {
  transport: LabTransport;
  clients: number;
  steadyS: number;
  updatesPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Socket bytes (read + written) per delivered update, and the two directions apart. */
  wireBytesPerUpdate: number;
  wireInPerUpdate: number;
  wireOutPerUpdate: number;
  /** Bytes the transport handed up (WebSocket payloads, SSE text, HTTP bodies) per update. */
  payloadBytesPerUpdate: number;
  wireBytesPerSec: number;
  /** HTTP requests per second (polling; streams and WebSockets open one per connection). */
  requestsPerSec: number;
  updatesPerRequest: number | null;
  serverCpuPercent: number | null;
  /** Server CPU µs per delivered update. */
  serverCpuUsPerUpdate: number | null;
  serverRssMiB: number | null;
  generatorCpuPercent: number | null;
  lossFree: boolean;
  missing: number;
  duplicates: number;
  connectFailures: number;
  unexpectedCloses: number;
  heartbeats: number;
}

const round = (n: number, digits = 1): number => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};

export function labRow(transport: LabTransport, r: LoadTestResult): LabRow {
  const c = r.steadyCounters;
  const delivered = c.ticks - c.duplicates;
  const steadyS = r.window.steadyS;
  const per = (n: number): number => (delivered > 0 ? round(n / delivered) : 0);
  const wire = c.wireBytesIn + c.wireBytesOut;
  const cpu = r.server?.cpuPercent ?? null;
  const updatesPerSec = r.rates.updatesPerSec;
  return {
    transport,
    clients: r.config.clients,
    steadyS,
    updatesPerSec,
    p50Ms: r.latency.event.p50,
    p99Ms: r.latency.event.p99,
    wireBytesPerUpdate: per(wire),
    wireInPerUpdate: per(c.wireBytesIn),
    wireOutPerUpdate: per(c.wireBytesOut),
    payloadBytesPerUpdate: per(c.bytes),
    wireBytesPerSec: steadyS > 0 ? Math.round(wire / steadyS) : 0,
    requestsPerSec: steadyS > 0 ? round(c.requests / steadyS) : 0,
    updatesPerRequest: c.requests > 0 ? round(delivered / c.requests) : null,
    serverCpuPercent: cpu,
    serverCpuUsPerUpdate: cpu !== null && updatesPerSec > 0 ? round(((cpu / 100) * 1e6) / updatesPerSec, 2) : null,
    serverRssMiB: r.server === null ? null : round(r.server.lastRssBytes / 1048576),
    generatorCpuPercent: r.generator.cpuPercent,
    lossFree: r.verdict.lossFree,
    missing: r.verdict.missing,
    duplicates: r.verdict.duplicates,
    connectFailures: r.connections.failures,
    unexpectedCloses: Object.values(r.connections.unexpectedCloses).reduce((a, b) => a + b, 0),
    heartbeats: c.heartbeats,
  };
}
