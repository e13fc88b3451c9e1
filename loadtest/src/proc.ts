// CPU time and memory of a process or thread from Linux /proc, so the load generator can report its own
// cost per worker thread and the bench can watch the server child it started. Returns null off Linux
// or when the process is gone, never throws.
import { readFileSync } from 'node:fs';

/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat. 100 on every mainstream Linux build. */
const CLOCK_TICKS_PER_S = 100;

export interface ProcSample {
  /** User + system CPU time consumed so far, ms (10 ms resolution). */
  cpuMs: number;
  rssBytes: number;
  /** Peak resident set (VmHWM) since the process started. */
  peakRssBytes: number;
}

function cpuMsFromStat(text: string): number | null {
  // The command name may contain spaces and parentheses; fields after the last ')' are positional.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return null;
  return ((utime + stime) * 1000) / CLOCK_TICKS_PER_S;
}

function kib(status: string, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

/** CPU and memory of process `pid` ('self' for this one). */
export function sampleProcess(pid: number | 'self'): ProcSample | null {
  try {
    const cpuMs = cpuMsFromStat(readFileSync(`/proc/${pid}/stat`, 'latin1'));
    if (cpuMs === null) return null;
    const status = readFileSync(`/proc/${pid}/status`, 'latin1');
    return { cpuMs, rssBytes: kib(status, 'VmRSS'), peakRssBytes: kib(status, 'VmHWM') };
  } catch {
    return null;
  }
}

/** CPU time of the calling thread (a worker thread reads its own), ms; null where unavailable. */
export function threadCpuMs(): number | null {
  try {
    return cpuMsFromStat(readFileSync('/proc/thread-self/stat', 'latin1'));
  } catch {
    return null;
  }
}

/**
 * CPU % and RSS from successive readings of a process's cumulative CPU time, wherever the readings come
 * from (/proc here, the server's /metrics in server-metrics.ts).
 */
export class CpuTracker {
  #last: { t: number; cpuMs: number } | null = null;
  #first: { t: number; cpuMs: number } | null = null;
  peakRssBytes = 0;
  lastRssBytes = 0;

  /** Adds a reading taken at `t` (performance.now() ms); CPU % of one core since the previous one (null on the first). */
  record(s: ProcSample, t: number): number | null {
    this.lastRssBytes = s.rssBytes;
    this.peakRssBytes = Math.max(this.peakRssBytes, s.rssBytes, s.peakRssBytes);
    const prev = this.#last;
    this.#last = { t, cpuMs: s.cpuMs };
    this.#first ??= this.#last;
    if (prev === null || t <= prev.t) return null;
    return (100 * (s.cpuMs - prev.cpuMs)) / (t - prev.t);
  }

  /** The latest reading opens the window of `windowPercent`. */
  openWindow(): void {
    this.#first = this.#last;
  }

  /** Mean CPU % of one core from the window's first reading to the latest. */
  windowPercent(): number | null {
    const first = this.#first;
    const last = this.#last;
    if (first === null || last === null || last.t <= first.t) return null;
    return (100 * (last.cpuMs - first.cpuMs)) / (last.t - first.t);
  }
}

/** Watches a process through /proc: CPU % between calls and the highest RSS seen. */
export class ProcessWatcher {
  readonly pid: number | 'self';
  readonly #cpu = new CpuTracker();

  constructor(pid: number | 'self') {
    this.pid = pid;
  }

  get peakRssBytes(): number {
    return this.#cpu.peakRssBytes;
  }

  get lastRssBytes(): number {
    return this.#cpu.lastRssBytes;
  }

  /** CPU % of one core since the previous sample (null on the first call or if the process is gone). */
  sample(): number | null {
    const s = sampleProcess(this.pid);
    return s === null ? null : this.#cpu.record(s, performance.now());
  }

  /** Marks the start of a window for `windowPercent`. */
  markWindow(): void {
    this.sample();
    this.#cpu.openWindow();
  }

  /** Mean CPU % of one core since markWindow() (or the first sample). */
  windowPercent(): number | null {
    this.sample();
    return this.#cpu.windowPercent();
  }
}

/** Whole-machine process CPU (user + nice + system) and total time from /proc/stat, ms summed over all cores. */
export function machineCpu(): { busyMs: number; totalMs: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0]!;
    const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    // Process time only (user, nice, system): irq/softirq — where loopback packets are often processed —
    // belongs to no process, so leaving it out keeps "other processes" from counting our own traffic.
    const busy = (f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0);
    return { busyMs: (busy * 1000) / CLOCK_TICKS_PER_S, totalMs: (total * 1000) / CLOCK_TICKS_PER_S };
  } catch {
    return null;
  }
}
