// Reads `symbols=A,B&history=N` from an HTTP request (SSE, binary stream, polling) with the same rules as
// a subscribe control message, answering in a shape the caller turns into a 4xx JSON reply.
import type { HttpRequest } from 'uWebSockets.js';
import { ErrorCode } from '@tickwire/protocol/codes';
import { MAX_HISTORY, isTicker } from '@tickwire/protocol/control';
import type { Subscriptions } from './subscriptions.js';

export type SymbolQuery = { ok: true; ids: number[]; history: number } | { ok: false; status: number; error: { code: number; name: string; message: string } };

export function parseSymbolQuery(req: HttpRequest, subscriptions: Subscriptions, maxSymbols: number, defaultHistory: number): SymbolQuery {
  const symbolsParam = req.getQuery('symbols') ?? '';
  const historyParam = req.getQuery('history') ?? '';
  // Duplicates are dropped before counting against maxSymbols, as in control messages (control.ts).
  const tickers = symbolsParam === '' ? [] : [...new Set(symbolsParam.split(','))];
  if (tickers.length > maxSymbols) {
    return {
      ok: false,
      status: 400,
      error: { code: ErrorCode.TooManySymbols, name: 'TooManySymbols', message: `${tickers.length} distinct symbols; at most ${maxSymbols} per connection` },
    };
  }
  const unknown: string[] = [];
  const ids: number[] = [];
  for (const t of tickers) {
    const id = isTicker(t) ? subscriptions.symbolId(t) : undefined;
    if (id === undefined) unknown.push(t.slice(0, 20));
    else if (!ids.includes(id)) ids.push(id);
  }
  if (unknown.length > 0) {
    return {
      ok: false,
      status: 404,
      error: { code: ErrorCode.UnknownSymbol, name: 'UnknownSymbol', message: `unknown symbol(s): ${unknown.slice(0, 10).join(', ')}` },
    };
  }
  let history = defaultHistory;
  if (historyParam !== '') {
    history = Number(historyParam);
    if (!/^\d+$/.test(historyParam) || history > MAX_HISTORY) {
      return { ok: false, status: 400, error: { code: ErrorCode.BadMessage, name: 'BadMessage', message: `history must be an integer in 0..${MAX_HISTORY}` } };
    }
  }
  return { ok: true, ids, history };
}
