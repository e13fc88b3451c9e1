// The server's CPU and memory as a Tickwire server reports them itself on GET /metrics (prom-client's
// process counters), for runs that were not given the server's pid: the report's "server" CPU series then
// comes from here, so it is drawn for a server on another user's account, in a container, or started by hand.
import { Route, routeUrl } from '@tickwire/protocol/routes';
import { CpuTracker, type ProcSample } from './proc.js';

/** Prometheus text → cumulative CPU (ms) and RSS of the serving process; null when the counter is absent or malformed. */
export function parseProcessCounters(text: string): ProcSample | null {
  // Metric names may carry a registry prefix (Tickwire's is "tickwire_"); labels, if any, are ignored.
  const value = (name: string): number | null => {
    const m = new RegExp(`^(?:[a-zA-Z_:][a-zA-Z0-9_:]*_)?${name}(?:\\{[^}\\n]*\\})?[ \\t]+(\\S+)`, 'm').exec(text);
    if (m === null) return null;
    const n = Number(m[1]);
    return Number.isFinite(n) && n >= 0 ? n : null;
  };
  const cpuSeconds = value('process_cpu_seconds_total');
  if (cpuSeconds === null) return null;
  const rss = value('process_resident_memory_bytes') ?? 0;
  return { cpuMs: cpuSeconds * 1000, rssBytes: rss, peakRssBytes: rss };
}

/** Scrapes `<base>/metrics` once per sample; a failed or slow scrape yields null for that second, never an exception. */
export class MetricsWatcher {
  readonly url: URL;
  readonly #timeoutMs: number;
  readonly #cpu = new CpuTracker();
  /** Scrapes that answered with the process counters. */
  readings = 0;

  /** `timeoutMs` stays well under the one-second sample period so a stuck server cannot stall the run. */
  constructor(base: URL, timeoutMs = 500) {
    this.url = routeUrl(base, Route.metrics);
    this.#timeoutMs = timeoutMs;
  }

  get peakRssBytes(): number {
    return this.#cpu.peakRssBytes;
  }

  get lastRssBytes(): number {
    return this.#cpu.lastRssBytes;
  }

  /** CPU % of one core since the previous successful scrape (null on the first, or when this scrape failed). */
  async sample(): Promise<number | null> {
    const sent = performance.now();
    let text: string;
    try {
      const res = await fetch(this.url, { signal: AbortSignal.timeout(this.#timeoutMs) });
      if (!res.ok) return null;
      text = await res.text();
    } catch {
      return null;
    }
    const counters = parseProcessCounters(text);
    if (counters === null) return null;
    this.readings++;
    // The server read its counters somewhere between request and answer: take the midpoint.
    return this.#cpu.record(counters, (sent + performance.now()) / 2);
  }

  /** The latest scrape opens the window (the caller has just sampled). */
  markWindow(): void {
    this.#cpu.openWindow();
  }

  /** Mean CPU % of one core since markWindow(), closing the window with a last scrape. */
  async windowPercent(): Promise<number | null> {
    await this.sample();
    return this.#cpu.windowPercent();
  }
}
