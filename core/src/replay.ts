// Historical trades replayed through the ingest core (--source csv|ndjson FILE, --speed 1|10|max): a file
// read into NDJSON lines the core validates like any producer's, released on the file's own clock scaled
// by the speed (or as fast as the queue allows) and never more per batch window than the queue has room
// for. Rejected rows are counted by reason like any door's; the replay goes on past them.
import type { IngestCore, IngestResult } from './ingest.js';

export type TradeFileFormat = 'csv' | 'ndjson';

const utf8 = new TextEncoder();

/** Columns a CSV trade file may have (header row, any order); the first three are required. */
export const CSV_COLUMNS = ['ticker', 'price', 'size', 'ts', 'id', 'bid', 'ask'] as const;
const REQUIRED = ['ticker', 'price', 'size'];

export class TradeFileError extends Error {
  override readonly name = 'TradeFileError';
}

export interface ReplayRow {
  /** 1-based line of the file. */
  fileLine: number;
  /** The row as an NDJSON line, validated by the core when it is due. */
  json: string;
  /** Event time used for pacing (null: none or unreadable; the core decides what the row is worth). */
  ts: number | null;
}

/** Splits one CSV line (RFC 4180 quoting: "a,b" and "" for a quote). */
function csvFields(line: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(field);
      field = '';
    } else field += c;
  }
  out.push(field);
  return out.map((f) => f.trim());
}

/** A CSV ts cell: epoch ms as digits, or an ISO 8601 date with a zone; anything else is passed on as text (bad_time). */
function csvTime(cell: string): number | string {
  if (/^\d+(\.\d+)?$/.test(cell)) return Number(cell);
  if (/^\d{4}-\d\d-\d\dT.*(Z|[+-]\d\d:?\d\d)$/.test(cell)) {
    const ms = Date.parse(cell);
    if (Number.isFinite(ms)) return ms;
  }
  return cell;
}

/** Reads a trade file into rows; throws TradeFileError only for a file that has no usable shape (CSV header). */
export function readTradeFile(text: string, format: TradeFileFormat): ReplayRow[] {
  const lines = text.split(/\r?\n/);
  const rows: ReplayRow[] = [];
  if (format === 'ndjson') {
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      let ts: number | null = null;
      try {
        const v = JSON.parse(line) as { ts?: unknown } | null;
        if (typeof v?.ts === 'number') ts = v.ts;
      } catch {
        // Not JSON: the core rejects it as bad_json when it is due.
      }
      rows.push({ fileLine: i + 1, json: line, ts });
    });
    return rows;
  }
  const headerAt = lines.findIndex((l) => l.trim() !== '' && !l.startsWith('#'));
  if (headerAt === -1) throw new TradeFileError('the CSV file is empty: it needs a header row (ticker,price,size[,ts,id,bid,ask])');
  const header = csvFields(lines[headerAt]!).map((h) => h.toLowerCase());
  const unknown = header.filter((h) => !(CSV_COLUMNS as readonly string[]).includes(h));
  const missing = REQUIRED.filter((r) => !header.includes(r));
  if (unknown.length > 0 || missing.length > 0 || new Set(header).size !== header.length) {
    throw new TradeFileError(
      `CSV header ${JSON.stringify(lines[headerAt])}: ${[
        missing.length > 0 ? `missing ${missing.join(', ')}` : '',
        unknown.length > 0 ? `unknown ${unknown.join(', ')}` : '',
        new Set(header).size !== header.length ? 'a column twice' : '',
      ]
        .filter(Boolean)
        .join('; ')}; columns are ${CSV_COLUMNS.join(',')} (the first three required)`,
    );
  }
  for (let i = headerAt + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '' || line.startsWith('#')) continue;
    const cells = csvFields(line);
    const o: Record<string, string | number> = {};
    header.forEach((h, k) => {
      const cell = cells[k];
      // An empty optional cell is an absent field; an empty required one stays and is rejected.
      if (cell === undefined || (cell === '' && !REQUIRED.includes(h))) return;
      o[h] = h === 'ts' ? csvTime(cell) : cell;
    });
    rows.push({ fileLine: i + 1, json: JSON.stringify(o), ts: typeof o.ts === 'number' ? o.ts : null });
  }
  return rows;
}

/**
 * Releases rows on the file's clock: row i is due `(ts_i − ts_first) / speed` after the replay started
 * (a row without a readable ts is due with the row before it); speed Infinity releases everything at once.
 */
export class TradeReplay {
  private next = 0;
  private startMs: number | null = null;
  private firstTs: number | null = null;
  private readonly dueOffsetMs: Float64Array;

  constructor(
    readonly rows: readonly ReplayRow[],
    readonly speed: number,
  ) {
    this.dueOffsetMs = new Float64Array(rows.length);
    let previous = 0;
    rows.forEach((row, i) => {
      if (row.ts !== null && Number.isFinite(row.ts)) {
        this.firstTs ??= row.ts;
        // Never earlier than the row before: a row out of time order is released in file order (and rejected).
        previous = Math.max(previous, speed === Infinity ? 0 : (row.ts - this.firstTs) / speed);
      }
      this.dueOffsetMs[i] = previous;
    });
  }

  get done(): boolean {
    return this.next >= this.rows.length;
  }

  /** Rows released so far. */
  get released(): number {
    return this.next;
  }

  /**
   * Submits the rows due by `nowMs` that fit the core's queue room, as one batch; null when none was due.
   * Error line numbers in the result are the rows' lines in the file.
   */
  pump(core: IngestCore, nowMs: number): IngestResult | null {
    this.startMs ??= nowMs;
    const from = this.next;
    let to = from;
    const limit = Math.min(this.rows.length, from + core.room);
    while (to < limit && this.startMs + this.dueOffsetMs[to]! <= nowMs) to++;
    if (to === from) return null;
    const submitted = core.submit(
      utf8.encode(
        this.rows
          .slice(from, to)
          .map((r) => r.json)
          .join('\n'),
      ),
      nowMs,
    );
    // Cannot be refused: the batch was cut to the room left.
    if (!submitted.ok) return null;
    this.next = to;
    const r = submitted.result;
    for (const e of r.errors) e.line = this.rows[from + e.line - 1]!.fileLine;
    return r;
  }
}
