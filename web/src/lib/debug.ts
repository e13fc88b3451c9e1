// Shape of the small read-only debug hook the page exposes as window.__tickwire: e2e tests read
// connection state, feed stats and chart contents through it, and so can a person in the console.
import type { ChartDebug } from './chart/controller.js';
import type { ConnectionStatus } from '@tickwire/client/connection';
import type { FeedHealth } from './market/rows.js';
import type { FeedStats } from './market/stats.js';
import type { SymbolDebug } from './market/store.js';
import type { Settings } from './settings.js';

export interface TickwireDebug {
  connection(): ConnectionStatus;
  stats(): FeedStats;
  /** Feed stalled, stale symbols (what the status bar and chart overlays show). */
  health(): FeedHealth;
  symbols(): Record<string, SymbolDebug>;
  /** Every live chart, by panel index (synced with the store first). */
  charts(): Array<ChartDebug & { panel: number }>;
  /** Bar times held by the chart in `panel`. */
  barTimes(panel: number): number[];
  /** Scrolls the chart in `panel` back by `bars` bars (as dragging it to the right does). */
  scrollChart(panel: number, bars: number): void;
  settings(): Settings;
}

declare global {
  interface Window {
    __tickwire?: TickwireDebug;
  }
}
