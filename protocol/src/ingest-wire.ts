// What producers exchange with the ingest doors (docs/ingest.md): the binary trade record (the 32-byte tick
// record of docs/protocol.md, with seq carrying the producer's trade id) and the WebSocket door's answers.
// Spelled once here so the server, the tests and any Node producer agree on the shapes.
import { TICK_RECORD_SIZE, writeTickRecord } from './codec.js';
import type { EpochMs, PriceTicks, SizeLots } from './units.js';

/** A producer trade in wire units. Omitted fields take the door's defaults (see tradeRecords). */
export interface TradeRecord {
  symbolId: number;
  /** Integer price ticks at the instrument's priceScale. */
  price: number;
  /** Integer lots at the instrument's sizeScale. */
  size: number;
  /** Event time, epoch ms; 0 or omitted: when the server received it. */
  ts?: number;
  /** Trade id for duplicate detection, 1..2^32-1; 0 or omitted: none. */
  id?: number;
  /** Quote after the trade, ticks; both omitted (0): at the trade price. */
  bid?: number;
  ask?: number;
}

/** Encodes trades as consecutive 32-byte records (flags 0): one binary WebSocket message or NATS payload. */
export function tradeRecords(trades: readonly TradeRecord[]): Uint8Array {
  const bytes = new Uint8Array(trades.length * TICK_RECORD_SIZE);
  const view = new DataView(bytes.buffer);
  trades.forEach((t, i) =>
    writeTickRecord(view, i * TICK_RECORD_SIZE, {
      symbolId: t.symbolId,
      flags: 0,
      seq: t.id ?? 0,
      eventTimeMs: (t.ts ?? 0) as EpochMs,
      price: t.price as PriceTicks,
      size: t.size as SizeLots,
      bid: (t.bid ?? 0) as PriceTicks,
      ask: (t.ask ?? 0) as PriceTicks,
    }),
  );
  return bytes;
}

/** The WebSocket door's answer to one batch (one message) that was processed. */
export interface IngestAckMessage {
  type: 'ack';
  /** 1-based number of the message on this connection. */
  batch: number;
  accepted: number;
  rejected: number;
  /** Rejected trades per reason (only reasons that occurred). */
  reasons: Record<string, number>;
  /** The first 20 rejected trades: `line` is the line or record number within the batch. */
  errors: Array<{ line: number; reason: string; message: string }>;
}

/** The WebSocket door's answer to a batch refused whole: nothing of it was applied. */
export interface IngestRefusedMessage {
  type: 'refused';
  batch: number;
  error: { name: string; message: string };
  /** When set: retrying sooner is refused again. */
  retryAfterMs?: number;
}

export type IngestAnswer = IngestAckMessage | IngestRefusedMessage;
