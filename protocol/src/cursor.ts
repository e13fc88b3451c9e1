// Resume cursors: what a client has seen, as the feed epoch plus the last seq of each symbol. The SSE
// stream puts one in every event's id (so EventSource's Last-Event-ID resumes for free); clients may also
// pass one in a query string. Format (URL- and header-safe, base36):  e<epoch>-<sid>.<seq>_<sid>.<seq>…
// and e<epoch> when it names no symbol (e<epoch>- is read the same).
import type { DecodeResult } from './messages.js';

export interface Cursor {
  epoch: number;
  /** symbolId → last seq seen. */
  seqs: Map<number, number>;
}

export const MAX_CURSOR_LENGTH = 8192;

/** What leads the first entry, and every later one. */
const FIRST = '-';
const NEXT = '_';

export function formatCursor(epoch: number, entries: Iterable<readonly [number, number]>): string {
  let text = cursorHead(epoch);
  let first = true;
  for (const [symbolId, seq] of entries) {
    text += (first ? FIRST : NEXT) + cursorEntry(symbolId, seq);
    first = false;
  }
  return text;
}

/**
 * The pieces of formatCursor, for a writer that caches them (the SSE hub formats one cursor per client per
 * batch from per-symbol entries it builds once per batch).
 */
export function cursorHead(epoch: number): string {
  return `e${(epoch >>> 0).toString(36)}`;
}

export function cursorEntry(symbolId: number, seq: number): string {
  return `${symbolId.toString(36)}.${seq.toString(36)}`;
}

/** A head and its entries as one cursor: `head` alone, or `head-entry_entry…`. */
export function joinCursor(head: string, entries: readonly string[]): string {
  return entries.length === 0 ? head : head + FIRST + entries.join(NEXT);
}

const ENTRY = /^([0-9a-z]{1,4})\.([0-9a-z]{1,7})$/;

/** Parses untrusted cursor text; never throws. `maxSymbols` bounds the work done on hostile input. */
export function parseCursor(text: string, maxSymbols: number): DecodeResult<Cursor> {
  if (text.length > MAX_CURSOR_LENGTH) return { ok: false, error: `cursor longer than ${MAX_CURSOR_LENGTH} characters` };
  const match = /^e([0-9a-z]{1,7})(?:-(.*))?$/.exec(text);
  if (!match) return { ok: false, error: 'cursor must look like e<epoch>-<symbol>.<seq>_… (base36)' };
  const epoch = parseInt(match[1]!, 36);
  if (epoch > 0xffff_ffff) return { ok: false, error: 'cursor epoch exceeds 32 bits' };
  const seqs = new Map<number, number>();
  const body = match[2];
  // "e<epoch>" is the empty cursor formatCursor writes; "e<epoch>-" is accepted as the same.
  if (body !== undefined && body !== '') {
    const parts = body.split('_', maxSymbols + 1);
    if (parts.length > maxSymbols) return { ok: false, error: `cursor names more than ${maxSymbols} symbols` };
    for (const part of parts) {
      const m = ENTRY.exec(part);
      if (!m) return { ok: false, error: `cursor entry "${part.slice(0, 20)}" is not <symbol>.<seq>` };
      const symbolId = parseInt(m[1]!, 36);
      const seq = parseInt(m[2]!, 36);
      if (symbolId > 0xffff || seq > 0xffff_ffff) return { ok: false, error: `cursor entry "${part}" is out of range` };
      seqs.set(symbolId, seq);
    }
  }
  return { ok: true, value: { epoch, seqs } };
}
