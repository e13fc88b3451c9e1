// Which symbols each simulated client subscribes to: the server's list (GET /api/symbols), then a seeded
// pick per client, uniform or Zipf-weighted by list rank, so runs with the same seed subscribe alike.
import { Route, routeUrl } from '@tickwire/protocol/routes';
import type { InstrumentInfo, SymbolsResponse } from '@tickwire/protocol/instruments';
import { Rng } from '@tickwire/feeds/random';
import type { Popularity } from './config.js';

/** The part of an instrument (protocol/src/instruments.ts) a simulated client needs. */
export type SymbolRef = Pick<InstrumentInfo, 'id' | 'ticker'>;

/** Fetches `/api/symbols` ({"symbols":[{"id","ticker",…}]}), bounded in time. */
export async function fetchSymbols(base: URL, timeoutMs = 5_000): Promise<SymbolRef[]> {
  const url = routeUrl(base, Route.symbols);
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`GET ${url.href} answered ${res.status}`);
  const body = (await res.json()) as Partial<Record<keyof SymbolsResponse, unknown>>;
  if (!Array.isArray(body.symbols)) throw new Error(`GET ${url.href}: no "symbols" array in the answer`);
  const out: SymbolRef[] = [];
  for (const s of body.symbols as unknown[]) {
    const { id, ticker } = (s ?? {}) as { id?: unknown; ticker?: unknown };
    if (typeof id === 'number' && Number.isInteger(id) && typeof ticker === 'string') out.push({ id, ticker });
  }
  if (out.length === 0) throw new Error(`GET ${url.href}: the server lists no symbols`);
  return out;
}

/**
 * Draws `k` distinct symbols per client. Zipf weight of rank r (0-based) is 1 / (r + 1)^s, which with
 * the simulator's popularity ranking puts most clients on the busiest symbols, as real dashboards do.
 */
export class SymbolPicker {
  readonly #symbols: readonly SymbolRef[];
  readonly #cumulative: Float64Array;

  constructor(symbols: readonly SymbolRef[], popularity: Popularity, exponent = 1) {
    if (symbols.length === 0) throw new RangeError('no symbols to pick from');
    this.#symbols = symbols;
    this.#cumulative = new Float64Array(symbols.length);
    let sum = 0;
    for (let r = 0; r < symbols.length; r++) {
      sum += popularity === 'zipf' ? 1 / (r + 1) ** exponent : 1;
      this.#cumulative[r] = sum;
    }
  }

  get size(): number {
    return this.#symbols.length;
  }

  /** The picks of client `index` under `seed`: independent of how clients are spread over workers. */
  pick(seed: number, index: number, k: number): SymbolRef[] {
    const want = Math.min(k, this.#symbols.length);
    const rng = new Rng(seed * 1_000_003 + index); // seed < 2^31, index < 2^17: stays a safe integer;
    const total = this.#cumulative[this.#cumulative.length - 1]!;
    const chosen = new Set<number>();
    // Rejection of repeats; bounded because want <= size and at worst we fall back to a scan.
    for (let tries = 0; chosen.size < want && tries < want * 64; tries++) {
      chosen.add(this.#rankOf(rng.uniform() * total));
    }
    for (let r = 0; chosen.size < want; r++) chosen.add(r);
    return [...chosen].map((r) => this.#symbols[r]!);
  }

  #rankOf(x: number): number {
    const c = this.#cumulative;
    let lo = 0;
    let hi = c.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (c[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
