// One live exchange feed into the ingest core (--source coinbase|binance): a WebSocket client that
// subscribes on every open (so a reconnect resubscribes), turns each message into trades through the
// venue's parser, watches each product's trade ids for gaps and repeats, and reconnects after any close
// with full-jitter backoff (protocol/src/backoff.ts). Trades are ingested like a producer's lines, so the
// same validation, duplicate window and counters apply. Venue formats live in coinbase.ts and binance.ts.
import WebSocket from 'ws';
import { fullJitterMs } from '@tickwire/protocol/backoff';
import type { IngestCore, IngestResult } from '@tickwire/core/ingest';
import type { Logger } from '@tickwire/core/log';
import { RefusalLog } from '../admission.js';

/** A trade as the ingest core takes it (an NDJSON line's fields); `id` is the venue's trade id. */
export interface VenueTrade {
  ticker: string;
  price: string;
  size: string;
  ts: number;
  id: number;
  bid?: string;
  ask?: string;
}

/** What one message meant: trades, nothing of interest, or a message this parser cannot read. */
export type Parsed = { kind: 'trades'; trades: VenueTrade[] } | { kind: 'ignored' } | { kind: 'malformed'; why: string };

/** A venue: where to connect, what to send on open, and how to read a message. */
export interface Venue {
  readonly name: string;
  readonly url: string;
  /** Messages sent on every open (subscriptions). */
  subscribe(): string[];
  parse(text: string): Parsed;
}

/** Events counted per venue (tickwire_adapter_events_total{source,event}). */
export const ADAPTER_EVENTS = ['connected', 'disconnected', 'malformed', 'gap', 'repeat', 'queue_full'] as const;
export type AdapterEvent = (typeof ADAPTER_EVENTS)[number];

export interface ExchangeStreamOptions {
  venue: Venue;
  core: IngestCore;
  log: Logger;
  now(): number;
  /** Counts an adapter event; ingest results go to `onResult`. */
  count(event: AdapterEvent, n?: number): void;
  onResult(r: IngestResult): void;
  /** Reconnect backoff window (defaults: 250 ms doubling to 30 s). */
  backoff?: { baseMs: number; capMs: number };
}

export class ExchangeStream {
  private ws: WebSocket | null = null;
  private timer: NodeJS.Timeout | null = null;
  private failures = 0;
  private closed = false;
  /** Newest trade id seen per product: gaps and repeats are judged against it, across reconnects. */
  private readonly lastId = new Map<string, number>();
  private readonly events: RefusalLog;
  private readonly encoder = new TextEncoder();

  constructor(private readonly o: ExchangeStreamOptions) {
    this.events = new RefusalLog(
      (f) => o.log.warn({ source: o.venue.name, event: f.reason, suppressed: f.suppressed, detail: f.message }, 'exchange feed event'),
      () => Date.now(),
    );
  }

  start(): void {
    this.connect();
  }

  close(): void {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.ws?.terminate();
  }

  private connect(): void {
    if (this.closed) return;
    const ws = new WebSocket(this.o.venue.url, { handshakeTimeout: 10_000 });
    this.ws = ws;
    ws.on('open', () => {
      this.o.count('connected');
      this.o.log.info({ source: this.o.venue.name, url: this.o.venue.url }, 'exchange feed connected');
      for (const m of this.o.venue.subscribe()) ws.send(m);
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      // A message means the connection works: the next failure starts the backoff from the bottom again.
      this.failures = 0;
      this.handle(isBinary ? null : data.toString('utf8'));
    });
    // 'error' is always followed by 'close', where the reconnect is scheduled.
    ws.on('error', (error) => this.events.note({ status: 0, name: 'error', message: error.message }));
    ws.on('close', (code) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.closed) return;
      this.o.count('disconnected');
      const delay = Math.round(fullJitterMs(this.failures++, this.o.backoff ?? { baseMs: 250, capMs: 30_000 }));
      this.o.log.warn({ source: this.o.venue.name, code, retryInMs: delay }, 'exchange feed disconnected; reconnecting');
      this.timer = setTimeout(() => this.connect(), delay);
    });
  }

  private handle(text: string | null): void {
    const parsed = text === null ? ({ kind: 'malformed', why: 'binary message' } as const) : this.o.venue.parse(text);
    if (parsed.kind === 'ignored') return;
    if (parsed.kind === 'malformed') {
      this.o.count('malformed');
      this.events.note({ status: 0, name: 'malformed', message: `${parsed.why}: ${(text ?? '').slice(0, 80)}` });
      return;
    }
    const fresh: VenueTrade[] = [];
    for (const t of parsed.trades) {
      const last = this.lastId.get(t.ticker);
      if (last !== undefined && t.id <= last) {
        // A venue repeats its latest trade on (re)subscribe: already applied, nothing to do.
        this.o.count('repeat');
        continue;
      }
      if (last !== undefined && t.id > last + 1) {
        // Trades the venue published while we were away or dropped: the candles miss them. Counted and
        // logged; the stream goes on (the public feeds offer no replay over this socket).
        this.o.count('gap');
        this.events.note({ status: 0, name: 'gap', message: `${t.ticker}: trade ids ${last + 1}..${t.id - 1} missed` });
      }
      this.lastId.set(t.ticker, t.id);
      fresh.push(t);
    }
    if (fresh.length === 0) return;
    const submitted = this.o.core.submit(this.encoder.encode(fresh.map((t) => JSON.stringify(t)).join('\n')), this.o.now());
    if (!submitted.ok) {
      this.o.count('queue_full', fresh.length);
      this.events.note({ status: 0, name: 'queue_full', message: `${fresh.length} trades dropped: the batch window's queue is full` });
      return;
    }
    this.o.onResult(submitted.result);
  }
}

/** A decimal string as the venue sent it, or null (the core refuses what is not a plain decimal). */
export function decimalField(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}
