// Symbol type-ahead ranking: ticker prefix first, then ticker substring, then name word prefix, then
// name substring; alphabetical within a rank. Pure, so it is unit-tested.
import type { InstrumentInfo } from '@tickwire/protocol/instruments';

export function searchSymbols(catalogue: readonly InstrumentInfo[], query: string, limit: number): InstrumentInfo[] {
  const q = query.trim().toUpperCase();
  if (q.length === 0) return [];
  const ranked: Array<{ s: InstrumentInfo; rank: number }> = [];
  for (const s of catalogue) {
    const name = s.name.toUpperCase();
    let rank: number;
    if (s.ticker.startsWith(q)) rank = 0;
    else if (s.ticker.includes(q)) rank = 1;
    else if (name.split(/[\s.,/-]+/).some((w) => w.startsWith(q))) rank = 2;
    else if (name.includes(q)) rank = 3;
    else continue;
    ranked.push({ s, rank });
  }
  ranked.sort((a, b) => a.rank - b.rank || a.s.ticker.length - b.s.ticker.length || a.s.ticker.localeCompare(b.s.ticker));
  return ranked.slice(0, limit).map((r) => r.s);
}
