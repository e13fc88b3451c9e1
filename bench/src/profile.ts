// Summarises a V8 .cpuprofile (written by `node --cpu-prof`) as the functions with the most self time,
// so a sweep step can say which server code is hot without opening DevTools.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

export interface HotFunction {
  name: string;
  where: string;
  selfMs: number;
  selfPercent: number;
}

export function summarizeProfile(path: string, root: string, top = 15): { totalMs: number; busyPercent: number; hot: HotFunction[] } {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const totalHits = profile.nodes.reduce((a, n) => a + (n.hitCount ?? 0), 0) || 1;
  const totalMs = (profile.endTime - profile.startTime) / 1000;
  const msPerHit = totalMs / totalHits;
  const byKey = new Map<string, HotFunction>();
  let idleHits = 0;
  for (const n of profile.nodes) {
    const hits = n.hitCount ?? 0;
    if (hits === 0) continue;
    const name = n.callFrame.functionName || '(anonymous)';
    if (name === '(idle)') idleHits += hits;
    const url = n.callFrame.url.replace(/^file:\/\//, '');
    const where = url ? `${relative(root, url)}:${n.callFrame.lineNumber + 1}` : '';
    const key = `${name}@${where}`;
    const entry = byKey.get(key) ?? { name, where, selfMs: 0, selfPercent: 0 };
    entry.selfMs += hits * msPerHit;
    byKey.set(key, entry);
  }
  const hot = [...byKey.values()]
    .filter((h) => h.name !== '(idle)')
    .sort((a, b) => b.selfMs - a.selfMs)
    .slice(0, top)
    .map((h) => ({ ...h, selfMs: Math.round(h.selfMs), selfPercent: Math.round((1000 * h.selfMs) / totalMs) / 10 }));
  return { totalMs: Math.round(totalMs), busyPercent: Math.round((100 * (totalHits - idleHits)) / totalHits), hot };
}
