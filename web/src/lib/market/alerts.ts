// Price alerts: what one is (symbol, above/below a price, one-shot or repeating), validation of the saved
// list, and the book that evaluates them on every trade. An alert fires when the price reaches its side of
// the threshold from the other side: one created with the price already there waits for it to cross back
// first, and a repeating one re-arms only after the price crossed back (and a short cool-down), so noise
// around the level cannot fire it per trade. Per symbol the thresholds are kept sorted, so a trade looks
// at the alerts it actually crosses and nothing else.
import { isTicker } from '@tickwire/protocol/control';

export type AlertOp = 'above' | 'below';

export interface PriceAlert {
  id: string;
  symbol: string;
  op: AlertOp;
  /** Threshold in price units (a decimal, as typed), compared with trade price ticks / 10^priceScale. */
  price: number;
  repeat: boolean;
  /** Fires on the next trade on its side of the threshold; false: waits for the price to cross back. */
  armed: boolean;
  /** A one-shot alert that fired: listed until deleted, never evaluated again. */
  done: boolean;
  /** Epoch ms of the last firing; 0 never. */
  firedAt: number;
}

export const MAX_ALERTS = 200;
/** A repeating alert re-arms no sooner than this after firing, even when the price crossed back. */
export const REARM_MIN_MS = 2_000;

/** Whether the price is on the alert's side of its threshold. */
export function isTriggered(op: AlertOp, threshold: number, price: number): boolean {
  return op === 'above' ? price >= threshold : price <= threshold;
}

let counter = 0;
/** A new alert; `lastPrice` (price units, or NaN unknown) decides whether it is armed at once. */
export function newAlert(symbol: string, op: AlertOp, price: number, repeat: boolean, lastPrice: number): PriceAlert {
  counter++;
  const id = `${Date.now().toString(36)}-${counter.toString(36)}`;
  return { id, symbol, op, price, repeat, armed: Number.isNaN(lastPrice) || !isTriggered(op, price, lastPrice), done: false, firedAt: 0 };
}

export function describeAlert(a: Pick<PriceAlert, 'symbol' | 'op'>, priceText: string): string {
  return `${a.symbol} ${a.op} ${priceText}`;
}

/** Validates a saved list; invalid entries are dropped. */
export function parseAlerts(raw: unknown): PriceAlert[] {
  if (!Array.isArray(raw)) return [];
  const out: PriceAlert[] = [];
  const ids = new Set<string>();
  for (const item of raw.slice(0, MAX_ALERTS)) {
    if (typeof item !== 'object' || item === null) continue;
    const o = item as Record<string, unknown>;
    if (typeof o.id !== 'string' || o.id.length === 0 || o.id.length > 40 || ids.has(o.id)) continue;
    if (!isTicker(o.symbol) || (o.op !== 'above' && o.op !== 'below')) continue;
    if (typeof o.price !== 'number' || !Number.isFinite(o.price) || o.price <= 0) continue;
    ids.add(o.id);
    out.push({
      id: o.id,
      symbol: o.symbol,
      op: o.op,
      price: o.price,
      repeat: o.repeat === true,
      armed: o.armed !== false,
      done: o.done === true,
      firedAt: typeof o.firedAt === 'number' && Number.isFinite(o.firedAt) ? o.firedAt : 0,
    });
  }
  return out;
}

/** A symbol's live alerts in four sorted queues: the next to fire or to re-arm is always at the front. */
interface SymbolAlerts {
  /** Armed "above", ascending: fire while price ≥ front. */
  fireUp: PriceAlert[];
  /** Armed "below", descending: fire while price ≤ front. */
  fireDown: PriceAlert[];
  /** Waiting "above", descending: re-arm while price < front. */
  rearmUp: PriceAlert[];
  /** Waiting "below", ascending: re-arm while price > front. */
  rearmDown: PriceAlert[];
}

/** What a trade did to the alerts: the ones that fired and every alert whose state changed (copies). */
export interface AlertChanges {
  fired: PriceAlert[];
  changed: PriceAlert[];
}

export class AlertBook {
  private readonly bySymbol = new Map<string, SymbolAlerts>();

  /** Replaces every alert (after the user added or deleted one, and at start). */
  load(alerts: readonly PriceAlert[]): void {
    this.bySymbol.clear();
    for (const a of alerts) if (!a.done) this.insert({ ...a });
  }

  has(symbol: string): boolean {
    return this.bySymbol.has(symbol);
  }

  private insert(a: PriceAlert): void {
    let s = this.bySymbol.get(a.symbol);
    if (s === undefined) {
      s = { fireUp: [], fireDown: [], rearmUp: [], rearmDown: [] };
      this.bySymbol.set(a.symbol, s);
    }
    const up = a.op === 'above';
    const queue = a.armed ? (up ? s.fireUp : s.fireDown) : up ? s.rearmUp : s.rearmDown;
    // Ascending queues: fireUp, rearmDown; the others descending.
    const ascending = a.armed === up;
    let i = 0;
    while (i < queue.length && (ascending ? (queue[i] as PriceAlert).price <= a.price : (queue[i] as PriceAlert).price >= a.price)) i++;
    queue.splice(i, 0, a);
  }

  /**
   * A trade of `symbol` at `price` (price units): fires the armed alerts it reaches and re-arms the waiting
   * ones it crossed back over. Null when nothing changed (the common case: no allocation).
   */
  onTrade(symbol: string, price: number, now: number): AlertChanges | null {
    const s = this.bySymbol.get(symbol);
    if (s === undefined) return null;
    let out: AlertChanges | null = null;
    const fire = (queue: PriceAlert[], reached: (threshold: number) => boolean) => {
      while (queue.length > 0 && reached((queue[0] as PriceAlert).price)) {
        const a = queue.shift() as PriceAlert;
        a.firedAt = now;
        a.armed = false;
        if (!a.repeat) a.done = true;
        else this.insert(a);
        out ??= { fired: [], changed: [] };
        out.fired.push({ ...a });
        out.changed.push({ ...a });
      }
    };
    const rearm = (queue: PriceAlert[], crossedBack: (threshold: number) => boolean) => {
      const cooling: PriceAlert[] = [];
      while (queue.length > 0 && crossedBack((queue[0] as PriceAlert).price)) {
        const a = queue.shift() as PriceAlert;
        if (a.firedAt > 0 && now - a.firedAt < REARM_MIN_MS) {
          cooling.push(a);
          continue;
        }
        a.armed = true;
        this.insert(a);
        out ??= { fired: [], changed: [] };
        out.changed.push({ ...a });
      }
      if (cooling.length > 0) queue.unshift(...cooling);
    };
    fire(s.fireUp, (t) => price >= t);
    fire(s.fireDown, (t) => price <= t);
    rearm(s.rearmUp, (t) => price < t);
    rearm(s.rearmDown, (t) => price > t);
    if (s.fireUp.length + s.fireDown.length + s.rearmUp.length + s.rearmDown.length === 0) this.bySymbol.delete(symbol);
    return out;
  }
}
