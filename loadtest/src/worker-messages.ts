// Messages between the coordinator and its worker threads. Workers own the clients and all per-tick
// work; the coordinator only merges what they report once a second (counters, encoded histograms).
import type { Counters } from './counters.js';
import type { LoadTestConfig } from './config.js';
import type { SymbolRef } from './symbols.js';

export interface WorkerInit {
  workerIndex: number;
  workers: number;
  config: LoadTestConfig;
  symbols: SymbolRef[];
  /** Epoch ms at which client 0 starts; client i starts rampUp × i / clients later. */
  startAtMs: number;
}

export interface LifeCounts {
  attempts: number;
  opened: number;
  failures: number;
  open: number;
  ready: number;
  churnReconnects: number;
  unexpectedCloses: Record<string, number>;
  errors: string[];
  /** Open connections that received nothing for STALL_MS (Tickwire heartbeats every second). */
  stalled: number;
  /** Reconnect storm: connections cut, and clients that got data again after the cut. */
  stormDropped?: number;
  stormReconnected?: number;
}

/** Coordinator → worker. `steady` says whether the interval that just ended belongs to the steady window. */
export type ToWorker = { type: 'sample'; seq: number; steady: boolean } | { type: 'stop'; graceMs: number };

export interface WorkerSample {
  type: 'sample';
  worker: number;
  seq: number;
  /** Cumulative counters of normal+churn clients, and of slow clients. */
  counters: Counters;
  slowCounters: Counters;
  life: LifeCounts;
  /** This interval's latency histograms (normal+churn clients), encoded. */
  eventHist: string;
  sendHist: string;
  /** CPU ms used by this worker thread so far (null off Linux). */
  threadCpuMs: number | null;
}

export interface WorkerFinal {
  type: 'final';
  worker: number;
  counters: Counters;
  slowCounters: Counters;
  life: LifeCounts;
  /** Steady-window histograms. */
  eventHist: string;
  sendHist: string;
  slowEventHist: string;
  slowSendHist: string;
  /** Whole-run histograms of connect time and time to first snapshot (µs). */
  connectHist: string;
  firstDataHist: string;
  /** Reconnect storm: drop → first data after the reconnect (µs), whole run. */
  stormHist?: string;
  threadCpuMs: number | null;
  clients: { normal: number; slow: number; churn: number; byAdapter: Record<string, number> };
}

export type FromWorker = WorkerSample | WorkerFinal | { type: 'error'; worker: number; message: string };
