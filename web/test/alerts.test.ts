// Price alert evaluation (market/alerts.ts): fire on reaching the threshold from the other side, one-shot
// done after one firing, repeating re-armed only after crossing back (and the cool-down), several
// thresholds crossed by one trade, and validation of a saved list.
import { describe, expect, it } from 'vitest';
import { AlertBook, REARM_MIN_MS, newAlert, parseAlerts, type PriceAlert } from '../src/lib/market/alerts.js';

function alert(over: Partial<PriceAlert>): PriceAlert {
  return { id: over.id ?? 'a', symbol: 'AAPL', op: 'above', price: 100, repeat: false, armed: true, done: false, firedAt: 0, ...over };
}

describe('AlertBook', () => {
  it('fires an armed "above" alert once the price reaches it, and a one-shot never again', () => {
    const book = new AlertBook();
    book.load([alert({ id: 'up', price: 100 })]);
    expect(book.onTrade('AAPL', 99.99, 0)).toBeNull();
    expect(book.onTrade('MSFT', 500, 0)).toBeNull();
    const hit = book.onTrade('AAPL', 100, 10);
    expect(hit?.fired.map((a) => a.id)).toEqual(['up']);
    expect(hit?.changed[0]).toMatchObject({ done: true, armed: false, firedAt: 10 });
    expect(book.has('AAPL')).toBe(false);
    expect(book.onTrade('AAPL', 99, 10_000)).toBeNull();
    expect(book.onTrade('AAPL', 101, 20_000)).toBeNull();
  });

  it('re-arms a repeating alert only after the price crossed back and the cool-down passed', () => {
    const book = new AlertBook();
    book.load([alert({ id: 'down', op: 'below', price: 50, repeat: true })]);
    expect(book.onTrade('AAPL', 49.5, 1000)?.fired).toHaveLength(1);
    // Still below: nothing; back above within the cool-down: not re-armed yet.
    expect(book.onTrade('AAPL', 49, 1100)).toBeNull();
    expect(book.onTrade('AAPL', 51, 1200)).toBeNull();
    expect(book.onTrade('AAPL', 49, 1300)).toBeNull();
    // Above again after the cool-down: re-armed (a change, no firing), then the next fall fires.
    const rearmed = book.onTrade('AAPL', 51, 1000 + REARM_MIN_MS);
    expect(rearmed?.fired).toEqual([]);
    expect(rearmed?.changed[0]).toMatchObject({ id: 'down', armed: true });
    expect(book.onTrade('AAPL', 50, 1000 + REARM_MIN_MS + 1)?.fired.map((a) => a.id)).toEqual(['down']);
  });

  it('fires every threshold one jump crosses, nearest first, and leaves the others armed', () => {
    const book = new AlertBook();
    book.load([alert({ id: 'c', price: 103 }), alert({ id: 'a', price: 101 }), alert({ id: 'b', price: 102 }), alert({ id: 'lo', op: 'below', price: 90 })]);
    expect(book.onTrade('AAPL', 102.5, 0)?.fired.map((a) => a.id)).toEqual(['a', 'b']);
    expect(book.onTrade('AAPL', 103, 0)?.fired.map((a) => a.id)).toEqual(['c']);
    expect(book.onTrade('AAPL', 89, 0)?.fired.map((a) => a.id)).toEqual(['lo']);
  });

  it('skips done alerts and waits for a crossing when created with the price already past the threshold', () => {
    const late = newAlert('AAPL', 'above', 100, false, 105);
    expect(late.armed).toBe(false);
    expect(newAlert('AAPL', 'above', 100, false, 95).armed).toBe(true);
    expect(newAlert('AAPL', 'below', 100, false, NaN).armed).toBe(true);
    const book = new AlertBook();
    book.load([late, alert({ id: 'old', done: true })]);
    expect(book.onTrade('AAPL', 106, 0)).toBeNull();
    expect(book.onTrade('AAPL', 99, 0)?.changed[0]).toMatchObject({ armed: true });
    expect(book.onTrade('AAPL', 100, 0)?.fired.map((a) => a.id)).toEqual([late.id]);
  });
});

describe('parseAlerts', () => {
  it('keeps valid entries and drops the rest', () => {
    const good = alert({ id: 'x', repeat: true, firedAt: 5 });
    const parsed = parseAlerts([
      good,
      { ...good, id: 'x' }, // duplicate id
      { ...good, id: 'y', symbol: 'not a ticker!' },
      { ...good, id: 'z', op: 'sideways' },
      { ...good, id: 'w', price: -1 },
      { ...good, id: 'v', price: 'NaN' },
      null,
      'junk',
    ]);
    expect(parsed).toEqual([good]);
    expect(parseAlerts({})).toEqual([]);
    expect(parseAlerts([{ id: 'q', symbol: 'AAPL', op: 'below', price: 1.5 }])).toEqual([alert({ id: 'q', op: 'below', price: 1.5 })]);
  });
});
