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
  /** Subscribe only: true asks for compact Updates (type 7) on this connection, false for standard ones; absent keeps the current encoding. */
  compact?: boolean;
}

export type ControlParse = { ok: true; message: ControlMessage } | { ok: false; code: ErrorCode; message: string; requestId: number };

function fail(code: ErrorCode, message: string, requestId = 0): ControlParse {
  return { ok: false, code, message, requestId };
}

export function isTicker(value: unknown): value is string {
  return typeof value === 'string' && TICKER_PATTERN.test(value);
}

/** Characters of a message searched for its id when it is not parsed (rate-limited, binary). */
export const PEEK_ID_CHARS = 4096;
const PEEK_ID = /"id"\s*:\s*(\d{1,10})(?![\d.eE])/;

/**
 * The request id of a message the server refuses without parsing it (rate-limited, binary): the first
 * `"id": <integer>` among its first PEEK_ID_CHARS characters, 0 when there is none or it is out of range.
 * Linear in a bounded prefix; a best effort for correlation only, never used to apply anything.
 */
export function peekRequestId(text: string): number {
  const m = PEEK_ID.exec(text.length > PEEK_ID_CHARS ? text.slice(0, PEEK_ID_CHARS) : text);
  if (!m) return 0;
  const id = Number(m[1]);
  return id <= 0xffff_ffff ? id : 0;
}

/**
 * Parses one control message. Duplicate tickers are dropped (the first occurrence keeps its place)
 * before counting against `maxSymbols`: ["AAPL","AAPL"] asks for one symbol. The array's length is
 * bounded only by the transport's message size limit; each entry costs one Set lookup.
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
  const distinct = new Set<string>();
  for (const s of obj.symbols as unknown[]) {
    if (!isTicker(s)) {
      const shown = typeof s === 'string' ? JSON.stringify(s.slice(0, 32)) : typeof s;
      return fail(ErrorCode.BadMessage, `${shown} is not a ticker (upper-case letters, digits, . / _ -, at most 16)`, requestId);
    }
    distinct.add(s);
    if (distinct.size > maxSymbols) {
      return fail(ErrorCode.TooManySymbols, `"symbols" names more than ${maxSymbols} distinct tickers; at most ${maxSymbols} per connection`, requestId);
    }
  }
  const symbols = [...distinct];
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
  if (obj.compact !== undefined) {
    if (typeof obj.compact !== 'boolean') return fail(ErrorCode.BadMessage, '"compact" must be true or false', requestId);
    message.compact = obj.compact;
  }
  return { ok: true, message };
}

/** Builds the JSON text of a control message (the client side of parseControl). */
export function controlText(
  op: ControlOp,
  symbols: readonly string[],
  extra: { id?: number; history?: number; resume?: string; compact?: boolean } = {},
): string {
  return JSON.stringify({ op, symbols, ...extra });
}
