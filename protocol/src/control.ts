// Client→server control messages (JSON text): their shape, the parser the server runs on untrusted
// input, and the builder clients use. Shared by the WebSocket path and the SSE control endpoint.
import { ErrorCode } from './codes.js';

export const MAX_TICKER_LENGTH = 16;
/** Tickers are upper-case ASCII letters, digits and . - / _ (e.g. BRK.B, EURUSD). */
const TICKER_PATTERN = /^[A-Z0-9][A-Z0-9./_-]{0,15}$/;
/** Most candles per interval a subscriber may ask for in snapshots. */
export const MAX_HISTORY = 2000;

export type ControlOp = 'subscribe' | 'unsubscribe';

export interface ControlMessage {
  op: ControlOp;
  symbols: string[];
  /** Echoed in the Ack or Error reply; 0 when absent. */
  requestId: number;
  /** Candles per interval wanted in the snapshots of a subscribe (undefined: server default). */
  history?: number;
  /** Resume cursor (see cursor.ts): symbols it covers get the missed ticks instead of a snapshot when possible. */
  resume?: string;
}

export type ControlParse = { ok: true; message: ControlMessage } | { ok: false; code: ErrorCode; message: string; requestId: number };

function fail(code: ErrorCode, message: string, requestId = 0): ControlParse {
  return { ok: false, code, message, requestId };
}

export function isTicker(value: unknown): value is string {
  return typeof value === 'string' && TICKER_PATTERN.test(value);
}

/**
 * Parses one control message. `maxSymbols` caps the array before any ticker is examined so a huge
 * array costs nothing but the JSON parse, which the transport's size limit already bounds.
 */
export function parseControl(text: string, maxSymbols: number): ControlParse {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return fail(ErrorCode.BadJson, `control message is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return fail(ErrorCode.BadMessage, 'control message must be a JSON object like {"op":"subscribe","symbols":["AAPL"]}');
  }
  const obj = raw as Record<string, unknown>;
  let requestId = 0;
  if (obj.id !== undefined) {
    if (typeof obj.id !== 'number' || !Number.isInteger(obj.id) || obj.id < 0 || obj.id > 0xffff_ffff) {
      return fail(ErrorCode.BadMessage, '"id" must be an integer in 0..4294967295');
    }
    requestId = obj.id;
  }
  if (obj.op !== 'subscribe' && obj.op !== 'unsubscribe') {
    const shown = typeof obj.op === 'string' ? JSON.stringify(obj.op.slice(0, 32)) : typeof obj.op;
    return fail(ErrorCode.UnknownOp, `unknown op ${shown}: expected "subscribe" or "unsubscribe"`, requestId);
  }
  if (!Array.isArray(obj.symbols)) {
    return fail(ErrorCode.BadMessage, '"symbols" must be an array of tickers', requestId);
  }
  if (obj.symbols.length > maxSymbols) {
    return fail(
      ErrorCode.TooManySymbols,
      `"symbols" has ${obj.symbols.length} entries; at most ${maxSymbols} per connection`,
      requestId,
    );
  }
  const symbols: string[] = [];
  for (const s of obj.symbols) {
    if (!isTicker(s)) {
      const shown = typeof s === 'string' ? JSON.stringify(s.slice(0, 32)) : typeof s;
      return fail(ErrorCode.BadMessage, `${shown} is not a ticker (upper-case letters, digits, . / _ -, at most 16)`, requestId);
    }
    if (!symbols.includes(s)) symbols.push(s);
  }
  const message: ControlMessage = { op: obj.op, symbols, requestId };
  if (obj.history !== undefined) {
    if (typeof obj.history !== 'number' || !Number.isInteger(obj.history) || obj.history < 0 || obj.history > MAX_HISTORY) {
      return fail(ErrorCode.BadMessage, `"history" must be an integer in 0..${MAX_HISTORY}`, requestId);
    }
    message.history = obj.history;
  }
  if (obj.resume !== undefined) {
    if (typeof obj.resume !== 'string') return fail(ErrorCode.BadMessage, '"resume" must be a cursor string', requestId);
    message.resume = obj.resume;
  }
  return { ok: true, message };
}

/** Builds the JSON text of a control message (the client side of parseControl). */
export function controlText(op: ControlOp, symbols: readonly string[], extra: { id?: number; history?: number; resume?: string } = {}): string {
  return JSON.stringify({ op, symbols, ...extra });
}
