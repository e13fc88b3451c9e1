// The feed bus contract: subject names and payloads shared by the feed process (publisher, responder)
// and the gateways (subscribers). docs/protocol.md "Feed bus" is the reader's version of this file.
// Subjects carry the numeric symbol id, not the ticker: tickers may contain '.', NATS's token separator
// (BRK.B), and ids are what every frame already carries.
import { instrumentInfo, type InstrumentInfo } from '@tickwire/protocol/instruments';

export const SUBJECT_PREFIX = 'tickwire';

/** Updates frames of one symbol, exactly the bytes gateways relay to clients. */
export function marketDataSubject(symbolId: number): string {
  return `${SUBJECT_PREFIX}.md.${symbolId}`;
}

/** Request/reply: a Snapshot frame of the feed's published state (plus its recent ticks). */
export function snapshotSubject(symbolId: number): string {
  return `${SUBJECT_PREFIX}.snap.${symbolId}`;
}

/** What the feed listens on for snapshot requests of any symbol. */
export const SNAPSHOT_WILDCARD = `${SUBJECT_PREFIX}.snap.*`;

/** Request/reply: the instrument list and the feed's epoch (JSON, see FeedMeta). */
export const META_SUBJECT = `${SUBJECT_PREFIX}.meta.instruments`;

/** A Heartbeat frame (every symbol's latest published seq) every heartbeatMs. */
export const HEARTBEAT_SUBJECT = `${SUBJECT_PREFIX}.feed.hb`;

/**
 * Producer trades into the feed process (docs/ingest.md, NATS door): an NDJSON body on the first, whole
 * 32-byte records on the second. A message sent as a request is answered with the batch's ack (JSON).
 */
export const INGEST_JSON_SUBJECT = `${SUBJECT_PREFIX}.ingest.json`;
export const INGEST_RECORDS_SUBJECT = `${SUBJECT_PREFIX}.ingest.rec`;
/** Run-time instrument registration, which the feed process refuses with a reason (docs/ingest.md, "With a feed process"). */
export const INGEST_INSTRUMENTS_SUBJECT = `${SUBJECT_PREFIX}.ingest.instruments`;

/** Splits and checks a comma-separated list of NATS URLs; returns the problem as a string when one is bad. */
export function parseNatsUrls(value: string): string[] | string {
  const urls = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (urls.length === 0) return 'name at least one NATS URL, e.g. nats://127.0.0.1:4222';
  for (const u of urls) {
    if (!/^(nats|tls):\/\/([^\s/@]+@)?[A-Za-z0-9.[\]:-]+(:\d{1,5})?\/?$/.test(u) && !/^[A-Za-z0-9.[\]:-]+:\d{1,5}$/.test(u)) {
      return `"${u}" is not a NATS URL like nats://127.0.0.1:4222`;
    }
  }
  return urls;
}

/** Symbol id named by a `tickwire.md.<id>` or `tickwire.snap.<id>` subject, or null. */
export function symbolIdOf(subject: string): number | null {
  const dot = subject.lastIndexOf('.');
  const text = subject.slice(dot + 1);
  if (!/^\d{1,5}$/.test(text)) return null;
  const id = Number(text);
  return id <= 0xffff ? id : null;
}

/** Reply of META_SUBJECT. */
export interface FeedMeta {
  epoch: number;
  protocolVersion: number;
  /** Identifies the feed process in logs (host-pid). */
  feedId: string;
  batchMs: number;
  heartbeatMs: number;
  /** Candles per interval the feed keeps (the most a snapshot can carry). */
  candleCapacity: number;
  /** Ticks per symbol the feed keeps for the snapshot's history (the resume window it can hand over). */
  resumeTicks: number;
  symbols: InstrumentInfo[];
}

/** Body of a snapshot request (JSON; an empty body means the feed's maximums). */
export interface SnapshotRequest {
  /** Candles per interval wanted. */
  candles?: number;
  /** Recent ticks wanted after the snapshot's state (an Updates frame ending at the snapshot's seq). */
  ticks?: number;
}

/** Parses untrusted FeedMeta JSON; never throws. */
export function parseFeedMeta(data: Uint8Array): FeedMeta | null {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(data));
  } catch {
    return null;
  }
  const m = value as Partial<FeedMeta> | null;
  if (m === null || typeof m !== 'object') return null;
  if (typeof m.epoch !== 'number' || !Number.isInteger(m.epoch) || m.epoch < 1 || m.epoch > 0xffff_ffff) return null;
  if (!Array.isArray(m.symbols) || m.symbols.length === 0 || m.symbols.length > 0xffff) return null;
  for (const [index, s] of m.symbols.entries()) {
    if (s === null || typeof s !== 'object' || s.id !== index || typeof s.ticker !== 'string' || typeof s.name !== 'string') return null;
    if (typeof s.assetClass !== 'string' || !Number.isInteger(s.priceScale) || !Number.isInteger(s.sizeScale)) return null;
  }
  return {
    epoch: m.epoch,
    protocolVersion: Number(m.protocolVersion),
    feedId: String(m.feedId ?? ''),
    batchMs: Number(m.batchMs),
    heartbeatMs: Number(m.heartbeatMs) || 1000,
    candleCapacity: Number(m.candleCapacity) || 0,
    resumeTicks: Number(m.resumeTicks) || 0,
    symbols: m.symbols.map(instrumentInfo),
  };
}

/** Parses a snapshot request body; anything malformed means "the feed's maximums". */
export function parseSnapshotRequest(data: Uint8Array): SnapshotRequest {
  if (data.length === 0 || data.length > 1024) return {};
  try {
    const v = JSON.parse(new TextDecoder().decode(data)) as SnapshotRequest;
    const out: SnapshotRequest = {};
    if (Number.isInteger(v.candles) && v.candles! >= 0) out.candles = v.candles!;
    if (Number.isInteger(v.ticks) && v.ticks! >= 0) out.ticks = v.ticks!;
    return out;
  } catch {
    return {};
  }
}
