// The instrument description as `GET /api/symbols` serves it (and the feed bus's meta reply and recordings
// carry it): wire format, so the feed, server, dashboard and load tester all read this one declaration.

/** One instrument on the wire. Prices are integer ticks of 10^-priceScale, sizes lots of 10^-sizeScale. */
export interface InstrumentInfo {
  /** Symbol id (u16) used in every frame. */
  id: number;
  ticker: string;
  name: string;
  /** 'equity' | 'fx' | 'crypto' today; clients must accept others. */
  assetClass: string;
  priceScale: number;
  sizeScale: number;
}

/** Body of `GET /api/symbols`. */
export interface SymbolsResponse {
  symbols: InstrumentInfo[];
}

/** The wire fields of an instrument (drops whatever else the feed knows of it). */
export function instrumentInfo({ id, ticker, name, assetClass, priceScale, sizeScale }: InstrumentInfo): InstrumentInfo {
  return { id, ticker, name, assetClass, priceScale, sizeScale };
}
