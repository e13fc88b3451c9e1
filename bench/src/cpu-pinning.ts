// Server on one core, load generator on another (`taskset`), so a clients-per-core step measures one core
// of server against one core of generator and says which of the two filled up. Where pinning is not
// possible (no taskset, a single CPU, or affinity refused) the plan says why, and the bench records it.
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

export type PinningPlan = { pinned: true; server: string; generator: string } | { pinned: false; reason: string };

/** CPUs this process may run on (its affinity mask), from `taskset -p`; null when taskset is missing. */
function allowedCpus(): number[] | null {
  try {
    const out = execFileSync('taskset', ['-c', '-p', String(process.pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const list = out.slice(out.lastIndexOf(':') + 1).trim();
    const cpus: number[] = [];
    for (const part of list.split(',')) {
      const [a, b] = part.split('-').map(Number);
      if (a === undefined || !Number.isInteger(a)) continue;
      for (let c = a; c <= (b ?? a); c++) cpus.push(c);
    }
    return cpus;
  } catch {
    return null;
  }
}

/** The server gets the first allowed CPU, the generator the second. */
export function planPinning(): PinningPlan {
  const cpus = allowedCpus();
  if (cpus === null) return { pinned: false, reason: 'taskset not found (util-linux)' };
  if (cpus.length < 2 || availableParallelism() < 2) return { pinned: false, reason: `only ${cpus.length} CPU(s) allowed: server and generator share` };
  return { pinned: true, server: String(cpus[0]), generator: String(cpus[1]) };
}

/**
 * Pins every thread of this process (the generator: main thread and any workers already running) to
 * `cpus`; threads started later inherit it. Returns null, or why it failed.
 */
export function pinSelf(cpus: string): string | null {
  try {
    execFileSync('taskset', ['-a', '-c', '-p', cpus, String(process.pid)], { stdio: 'ignore' });
    return null;
  } catch (error) {
    return `taskset refused: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
  }
}
