// Reconnect storm and resume figures of a run, shared by the summary table, the JSON and the HTML report.
import { addCounters, zeroCounters, type Counters } from '../counters.js';
import type { LatencySummary } from '../histogram.js';
import { fmtInt, fmtMs } from './format.js';

export interface StormSummary {
  /** Seconds after the first client started. */
  atS: number;
  /** Connections cut by the storm, and clients that got data again (replayed tick or snapshot). */
  dropped: number;
  reconnected: number;
  /** Drop → first data after the resume, ms. */
  reconnectMs: LatencySummary;
}

/** Resume figures of the whole run (every reconnect: storm, churn, server closes), all clients. */
export interface ResumeSummary {
  resumeAttempts: number;
  reconnectsReplayed: number;
  reconnectsSnapshot: number;
  resumeReplayed: number;
  resumeSnapshots: number;
  resumeMissed: number;
  gapsAfterResume: number;
  resyncs: number;
  repairedGaps: number;
  /** Losses no snapshot healed before the connection ended (or the run did). */
  openGaps: number;
}

export function resumeSummary(normal: Counters, slow: Counters): ResumeSummary {
  const c = addCounters(addCounters(zeroCounters(), normal), slow);
  return {
    resumeAttempts: c.resumeAttempts,
    reconnectsReplayed: c.reconnectsReplayed,
    reconnectsSnapshot: c.reconnectsSnapshot,
    resumeReplayed: c.resumeReplayed,
    resumeSnapshots: c.resumeSnapshots,
    resumeMissed: c.resumeMissed,
    gapsAfterResume: c.gapsAfterResume,
    resyncs: c.resyncs,
    repairedGaps: c.repairedGaps,
    openGaps: c.openGaps,
  };
}

/** [label, value] rows for the report tables. */
export function resumeRows(r: { resume?: ResumeSummary | undefined; storm?: StormSummary | null | undefined }): string[][] {
  const rows: string[][] = [];
  const s = r.storm;
  if (s !== null && s !== undefined) {
    const m = s.reconnectMs;
    rows.push([`storm at ${s.atS}s: connections dropped / reconnected with data`, `${fmtInt(s.dropped)} / ${fmtInt(s.reconnected)}`]);
    rows.push([
      'storm reconnect time, drop → first update (ms) p50 / p90 / p99 / max',
      m.count > 0 ? `${fmtMs(m.p50)} / ${fmtMs(m.p90)} / ${fmtMs(m.p99)} / ${fmtMs(m.max)}` : 'n/a',
    ]);
  }
  const x = r.resume;
  if (x !== undefined) {
    rows.push(['reconnects with a resume cursor', fmtInt(x.resumeAttempts)]);
    rows.push(['… resumed with replay / got snapshots', `${fmtInt(x.reconnectsReplayed)} / ${fmtInt(x.reconnectsSnapshot)}`]);
    rows.push([
      'symbols resumed with replay / snapshot (resume missed: same epoch)',
      `${fmtInt(x.resumeReplayed)} / ${fmtInt(x.resumeSnapshots)} (${fmtInt(x.resumeMissed)})`,
    ]);
    rows.push(['gaps after resume', fmtInt(x.gapsAfterResume)]);
    rows.push(['gap repairs: resyncs / repaired / still open', `${fmtInt(x.resyncs)} / ${fmtInt(x.repairedGaps)} / ${fmtInt(x.openGaps)}`]);
  }
  return rows;
}
