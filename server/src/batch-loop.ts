// The timer that drives batches: runs one batch (feed poll + fan-out flush) per window, measures the
// loop's utilisation since the last batch, how late this one started and how long it took, and lets
// BatchWindow pick the next window. A self-scheduling setTimeout rather than setInterval, so the period
// can change from one batch to the next.
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import type { BatchWindow } from './batch-window.js';

/** Where the loop reads time and load (tests inject their own). */
export interface LoopProbe {
  /** Monotonic milliseconds. */
  now(): number;
  /** Event-loop utilisation (0–1) since the previous call. */
  utilization(): number;
}

export function performanceProbe(): LoopProbe {
  let last: EventLoopUtilization = performance.eventLoopUtilization();
  return {
    now: () => performance.now(),
    utilization() {
      const current = performance.eventLoopUtilization();
      const delta = performance.eventLoopUtilization(current, last);
      last = current;
      return delta.utilization;
    },
  };
}

export interface BatchLoop {
  stop(): void;
}

export function startBatchLoop(
  window: BatchWindow,
  batch: () => void,
  /** Called with the new window after a batch that changed it (the /metrics gauge). */
  resized: (ms: number) => void,
  probe: LoopProbe = performanceProbe(),
): BatchLoop {
  let stopped = false;
  let due = probe.now() + window.ms;
  let timer: NodeJS.Timeout = setTimeout(turn, window.ms);

  function turn(): void {
    const start = probe.now();
    const utilization = probe.utilization();
    try {
      batch();
    } finally {
      // Scheduled even if the batch threw, as setInterval would: batching must not stop silently.
      const end = probe.now();
      const before = window.ms;
      const ms = window.observe({ utilization, lateMs: start - due, workMs: end - start });
      if (ms !== before) resized(ms);
      if (!stopped) {
        // The next batch is due one window after this one started, so the cadence holds while batches are cheap.
        const delay = Math.max(0, ms - (end - start));
        due = end + delay;
        timer = setTimeout(turn, delay);
      }
    }
  }

  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
