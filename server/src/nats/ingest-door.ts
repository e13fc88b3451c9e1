// The NATS door of the ingest model, in the feed process: producers publish NDJSON bodies on
// tickwire.ingest.json and 32-byte records on tickwire.ingest.rec; each message is one batch through the
// feed's IngestCore, all-or-nothing against the queue room like the other doors. A message sent as a NATS
// request gets the batch's ack (or refusal) as its reply; a plain publish is counted and logged only.
// Who may publish is NATS's business (its users and subject permissions): docs/ingest.md.
import { TICK_RECORD_SIZE } from '@tickwire/protocol/codec';
import type { IngestAnswer } from '@tickwire/protocol/ingest-wire';
import type { IngestCore, IngestRejection } from '@tickwire/core/ingest';
import type { Logger } from '@tickwire/core/log';
import type { Bus, BusSubscription } from '@tickwire/core/nats/bus';
import { INGEST_INSTRUMENTS_SUBJECT, INGEST_JSON_SUBJECT, INGEST_RECORDS_SUBJECT } from '@tickwire/core/nats/subjects';
import { RefusalLog } from '../admission.js';

/** What the door counted, for the feed's logs and tests (the feed process has no /metrics). */
export interface NatsIngestStats {
  batches: number;
  refused: Record<string, number>;
  accepted: number;
  rejected: Partial<Record<IngestRejection, number>>;
}

export function mountNatsIngest(bus: Bus, core: IngestCore, log: Logger, now: () => number, batchMs: number): { stats: NatsIngestStats; close(): void } {
  const stats: NatsIngestStats = { batches: 0, refused: {}, accepted: 0, rejected: {} };
  const bounded = new RefusalLog(
    (f) => log.warn({ reason: f.reason, suppressed: f.suppressed, example: f.message }, f.status === 200 ? 'ingest lines rejected' : 'ingest batch refused'),
    () => Date.now(),
  );
  const encoder = new TextEncoder();

  const refuser = (reply?: (answer: Uint8Array) => void) => (name: string, message: string, retryAfterMs?: number) => {
    stats.refused[name] = (stats.refused[name] ?? 0) + 1;
    bounded.note({ status: 503, name, message });
    const a: IngestAnswer = { type: 'refused', batch: 0, error: { name, message }, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
    reply?.(encoder.encode(JSON.stringify(a)));
  };

  const handle = (records: boolean) => (data: Uint8Array, _subject: string, reply?: (answer: Uint8Array) => void) => {
    const answer = (a: IngestAnswer) => reply?.(encoder.encode(JSON.stringify(a)));
    const refuse = refuser(reply);
    if (records && data.length % TICK_RECORD_SIZE !== 0) {
      refuse('IngestBadRecords', `a binary batch is whole ${TICK_RECORD_SIZE}-byte records; ${data.length} bytes is not; nothing was applied`);
      return;
    }
    // Processed synchronously, inside the callback: the payload view is not kept.
    const nowMs = now();
    const submitted = records ? core.submitRecords(data, nowMs) : core.submit(data, nowMs);
    if (!submitted.ok) {
      refuse('IngestQueueFull', `the batch has ${submitted.lines} trades and this batch window has room for ${submitted.room}; nothing was applied`, batchMs);
      return;
    }
    const r = submitted.result;
    stats.batches++;
    stats.accepted += r.accepted;
    for (const [reason, n] of Object.entries(r.reasons) as Array<[IngestRejection, number]>) {
      stats.rejected[reason] = (stats.rejected[reason] ?? 0) + n;
      const example = r.errors.find((e) => e.reason === reason);
      bounded.note({ status: 200, name: reason, message: example === undefined ? reason : `line ${example.line}: ${example.message}` });
    }
    answer({ type: 'ack', batch: 0, accepted: r.accepted, rejected: r.rejected, reasons: r.reasons, errors: r.errors });
  };

  // Instruments are fixed in a feed process: a registration request is told so and where to register instead.
  const registration = (_data: Uint8Array, _subject: string, reply?: (answer: Uint8Array) => void) =>
    refuser(reply)(
      'RegistrationUnavailable',
      "the feed process does not register instruments at run time: append them to its --instruments file and restart the feed, then the gateways (POST /ingest/instruments is the embedded server's)",
    );
  const subs: BusSubscription[] = [
    bus.subscribe(INGEST_JSON_SUBJECT, handle(false)),
    bus.subscribe(INGEST_RECORDS_SUBJECT, handle(true)),
    bus.subscribe(INGEST_INSTRUMENTS_SUBJECT, registration),
  ];
  return {
    stats,
    close: () => subs.forEach((s) => s.unsubscribe()),
  };
}
