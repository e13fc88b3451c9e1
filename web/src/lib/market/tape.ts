// Time & sales of the selected symbol as the DOM shows it: newest first, formatted strings, rebuilt only
// when the symbol's tape changed and then only for the trades newer than the previous view.
import { formatClockMs, formatPrice, formatSize } from '../format.js';
import type { SymbolState, Trade } from './symbol.js';

export const TAPE_ROWS = 60;

export interface TapeRow {
  key: number;
  time: string;
  price: string;
  size: string;
  dir: 1 | -1 | 0;
}

export class TapeView {
  private ticker: string | null = null;
  private version = -1;
  private view: TapeRow[] = [];

  /** Forgets the formatted rows (e.g. another time zone): the next call rebuilds them all. */
  invalidate(): void {
    this.version = -1;
    this.view = [];
  }

  /** Tape of `s` (the symbol `ticker`, if watched); the same array while nothing changed. */
  rows(ticker: string | null, s: SymbolState | undefined): TapeRow[] {
    if (s === undefined) {
      this.ticker = ticker;
      if (this.view.length > 0) this.view = [];
      return this.view;
    }
    if (this.ticker === ticker && this.version === s.tapeVersion) return this.view;
    const toRow = (t: Trade): TapeRow => ({
      key: t.seq,
      time: formatClockMs(t.timeMs),
      price: formatPrice(t.price, s.priceScale),
      size: formatSize(t.size, s.sizeScale),
      dir: t.dir,
    });
    const continuing = this.ticker === ticker && this.view.length > 0;
    const added = continuing ? s.recentTrades(TAPE_ROWS, (this.view[0] as TapeRow).key) : [];
    // Nothing newer although the tape changed (another symbol, or seqs restarted with a new feed epoch):
    // rebuild the whole view.
    this.view = added.length > 0 ? added.map(toRow).concat(this.view.slice(0, Math.max(0, TAPE_ROWS - added.length))) : s.recentTrades(TAPE_ROWS).map(toRow);
    this.ticker = ticker;
    this.version = s.tapeVersion;
    return this.view;
  }
}
