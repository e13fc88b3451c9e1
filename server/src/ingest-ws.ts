// /ingest/ws, the WebSocket door of the ingest model (core/src/ingest.ts) for producers at high rates: the
// ingest Bearer credential on the upgrade, then each message is one batch (an NDJSON text message or a
// binary message of 32-byte records) answered by one JSON ack with counts per reason, or one refusal
// (rate, queue, size, shape) that applied nothing. uWS hands over whole messages only, so a producer
// that disconnects mid-message applies nothing of it. Answers and limits: docs/ingest.md.
import type { TemplatedApp, WebSocket } from 'uWebSockets.js';
import { TICK_RECORD_SIZE } from '@tickwire/protocol/codec';
import type { IngestAnswer } from '@tickwire/protocol/ingest-wire';
import { Route } from '@tickwire/protocol/routes';
import type { IngestCore } from '@tickwire/core/ingest';
import type { Logger } from '@tickwire/core/log';
import type { Admission } from './admission.js';
import { batchRecorder, bearerCheck, type ProducerBuckets } from './ingest-guard.js';
import type { Metrics } from './metrics.js';
import type { Uws } from './uws.js';

export interface IngestWsOptions {
  uws: Uws;
  core: IngestCore;
  token: string;
  /** Largest message (batch), bytes; larger ones are refused and the connection closed with 1009. */
  maxMessageBytes: number;
  /** Shared with POST /ingest: one trade budget per producer address. */
  buckets: ProducerBuckets;
  /** The batch window: when a refused batch may find room again. */
  batchMs: number;
  admission: Admission;
  metrics: Metrics;
  log: Logger;
  now(): number;
}

/** Producer connections at once, over all producers: each may hold a message of maxMessageBytes in flight. */
export const MAX_INGEST_CONNECTIONS = 64;
/**
 * Unread acks a producer may leave buffered before it is closed (1008): acks are ~100 bytes, so this is
 * thousands of batches, and a producer that never reads its acks cannot grow server memory.
 */
export const MAX_UNREAD_ACK_BYTES = 256 * 1024;
/** Seconds without a message or pong before uWS drops the producer (it pings automatically). */
const IDLE_TIMEOUT_SEC = 60;

interface ProducerData {
  producer: string;
  batch: number;
  closed: boolean;
}

export function mountIngestWs(app: TemplatedApp, o: IngestWsOptions): void {
  const authorized = bearerCheck(o.token);
  const record = batchRecorder(o.metrics, o.log);
  for (const outcome of ['applied', 'refused']) o.metrics.ingestBatches.inc({ door: 'ws', outcome }, 0);
  let open = 0;

  const answer = (ws: WebSocket<ProducerData>, body: IngestAnswer): void => {
    const data = ws.getUserData();
    if (data.closed) return;
    if (ws.getBufferedAmount() > MAX_UNREAD_ACK_BYTES) {
      // A producer that does not read is a slow consumer of its acks: counted with the viewers that fell behind.
      o.metrics.slowDisconnects.inc({ transport: 'ingest-ws' });
      close(ws, 1008, `over ${MAX_UNREAD_ACK_BYTES} bytes of acks unread: read the acks`);
      return;
    }
    ws.cork(() => ws.send(JSON.stringify(body), false));
  };
  const close = (ws: WebSocket<ProducerData>, code: number, reason: string): void => {
    const data = ws.getUserData();
    if (data.closed) return;
    data.closed = true;
    ws.cork(() => ws.end(code, reason));
  };
  const refuse = (ws: WebSocket<ProducerData>, batch: number, name: string, message: string, retryAfterMs?: number): void => {
    o.metrics.ingestBatches.inc({ door: 'ws', outcome: 'refused' });
    o.metrics.refusals.inc({ reason: name });
    answer(ws, { type: 'refused', batch, error: { name, message }, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
  };

  app.ws<ProducerData>(Route.ingestWs, {
    compression: o.uws.DISABLED,
    // Twice the batch limit: a message up to it is received and refused with a reason (1009); one beyond it
    // is cut off by uWS itself (a 1006 for the producer) so no single message can hold more memory.
    maxPayloadLength: o.maxMessageBytes * 2,
    // A safety net above MAX_UNREAD_ACK_BYTES, which closes with a reason first.
    maxBackpressure: MAX_UNREAD_ACK_BYTES + 64 * 1024,
    closeOnBackpressureLimit: 1,
    idleTimeout: IDLE_TIMEOUT_SEC,
    sendPingsAutomatically: true,
    upgrade: (res, req, context) => {
      // Producers are programs, not browsers: they can send the header on the upgrade, and a browser
      // page cannot, so no cross-site page can open this door with a user's credentials.
      if (!authorized(req.getHeader('authorization'))) {
        return o.admission.refuse(res, {
          status: 401,
          name: 'IngestAuth',
          message: `${Route.ingestWs} needs "Authorization: Bearer <ingest token>" on the upgrade (the --ingest-token, not a viewer token)`,
          headers: { 'WWW-Authenticate': 'Bearer realm="tickwire-ingest"' },
          close: true,
        });
      }
      if (open >= MAX_INGEST_CONNECTIONS) {
        return o.admission.refuse(res, {
          status: 503,
          name: 'IngestBusy',
          message: `${MAX_INGEST_CONNECTIONS} producer connections are open already`,
          retryAfterSec: 1,
          close: true,
        });
      }
      open++;
      res.upgrade<ProducerData>(
        { producer: o.admission.clientIp(res, req), batch: 0, closed: false },
        req.getHeader('sec-websocket-key'),
        req.getHeader('sec-websocket-protocol'),
        req.getHeader('sec-websocket-extensions'),
        context,
      );
    },
    message: (ws, message, isBinary) => {
      const data = ws.getUserData();
      if (data.closed) return;
      const batch = ++data.batch;
      if (message.byteLength > o.maxMessageBytes) {
        refuse(ws, batch, 'BodyTooLarge', `the message is ${message.byteLength} bytes; at most ${o.maxMessageBytes} per batch; nothing was applied`);
        close(ws, 1009, `message over ${o.maxMessageBytes} bytes`);
        return;
      }
      if (isBinary && message.byteLength % TICK_RECORD_SIZE !== 0) {
        refuse(
          ws,
          batch,
          'IngestBadRecords',
          `a binary batch is whole ${TICK_RECORD_SIZE}-byte records; ${message.byteLength} bytes is not; nothing was applied`,
        );
        return;
      }
      const nowMs = o.now();
      const waitMs = o.buckets.waitMs(data.producer, nowMs);
      if (waitMs > 0) {
        refuse(ws, batch, 'IngestRateLimited', `over ${o.buckets.perSec} trades per second from this producer; nothing was applied`, waitMs);
        return;
      }
      // The core reads the message synchronously, inside this callback: no copy needed.
      const bytes = new Uint8Array(message);
      const submitted = isBinary ? o.core.submitRecords(bytes, nowMs) : o.core.submit(bytes, nowMs);
      if (!submitted.ok) {
        refuse(
          ws,
          batch,
          'IngestQueueFull',
          `the batch has ${submitted.lines} trades and this batch window has room for ${submitted.room}; nothing was applied`,
          o.batchMs,
        );
        return;
      }
      const r = submitted.result;
      o.buckets.charge(data.producer, r.accepted + r.rejected, nowMs);
      o.metrics.ingestBatches.inc({ door: 'ws', outcome: 'applied' });
      record(r);
      answer(ws, { type: 'ack', batch, accepted: r.accepted, rejected: r.rejected, reasons: r.reasons, errors: r.errors });
    },
    close: (ws) => {
      ws.getUserData().closed = true;
      open--;
    },
  });
}
