// POST /ingest, the HTTP door of the ingest model (core/src/ingest.ts): its own Bearer credential, then
// bounds checked before and while the body arrives (in-flight bodies, per-producer rate, Content-Length,
// bytes read, a deadline for the whole body), then one synchronous submit of the complete body. A body
// that does not arrive whole (cut, too slow, too large) applies nothing. Answers: docs/ingest.md.
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { Route } from '@tickwire/protocol/routes';
import { INGEST_REJECTIONS, type IngestCore } from '@tickwire/core/ingest';
import type { Logger } from '@tickwire/core/log';
import { batchRecorder, bearerCheck, ProducerBuckets } from './ingest-guard.js';
import { sendJson, type Refusal } from './http-util.js';
import type { Metrics } from './metrics.js';

export interface IngestDoorOptions {
  core: IngestCore;
  token: string;
  maxBodyBytes: number;
  /** Trade lines per second per producer; a producer may burst two seconds' worth. */
  ratePerSec: number;
  /** Shared with the other doors so a producer has one budget; default: this door's own. */
  buckets?: ProducerBuckets;
  bodyTimeoutMs: number;
  /** The producer a request is charged to (the client address, behind --trust-proxy). */
  producerOf(res: HttpResponse, req: HttpRequest): string;
  /** Sends a refusal and counts it in tickwire_refusals_total (Admission.refuse). */
  refuse(res: HttpResponse, refusal: Refusal): void;
  metrics: Metrics;
  log: Logger;
  now(): number;
}

/** Bodies being received at once, over all producers: bounds what slow producers can hold (× max body). */
export const MAX_INFLIGHT_BODIES = 32;
export function mountIngest(app: TemplatedApp, o: IngestDoorOptions): void {
  const authorized = bearerCheck(o.token);
  const buckets = o.buckets ?? new ProducerBuckets(o.ratePerSec);
  const record = batchRecorder(o.metrics, o.log);
  // Every reason shows in /metrics from the start, at 0, so alerts can name them before the first one.
  for (const reason of INGEST_REJECTIONS) o.metrics.ingestRejected.inc({ reason }, 0);
  for (const outcome of ['applied', 'refused', 'aborted']) o.metrics.ingestRequests.inc({ outcome }, 0);
  let inflight = 0;

  const refuse = (res: HttpResponse, refusal: Refusal) => {
    o.metrics.ingestRequests.inc({ outcome: 'refused' });
    o.refuse(res, refusal);
  };

  app.post(Route.ingest, (res, req) => {
    // Compared as digests of equal length in constant time: neither the token nor its length leaks.
    if (!authorized(req.getHeader('authorization'))) {
      return refuse(res, {
        status: 401,
        name: 'IngestAuth',
        message: 'POST /ingest needs "Authorization: Bearer <ingest token>" (the --ingest-token, not a viewer token)',
        headers: { 'WWW-Authenticate': 'Bearer realm="tickwire-ingest"' },
        close: true,
      });
    }
    const producer = o.producerOf(res, req);
    const length = req.getHeader('content-length');
    if (length !== '' && Number(length) > o.maxBodyBytes) {
      return refuse(res, { status: 413, name: 'BodyTooLarge', message: `the body is ${length} bytes; at most ${o.maxBodyBytes} per request`, close: true });
    }
    const waitSec = Math.ceil(buckets.waitMs(producer, o.now()) / 1000);
    if (waitSec > 0) {
      return refuse(res, {
        status: 429,
        name: 'IngestRateLimited',
        message: `over ${o.ratePerSec} trade lines per second from this producer`,
        retryAfterSec: waitSec,
        close: true,
      });
    }
    if (inflight >= MAX_INFLIGHT_BODIES) {
      return refuse(res, {
        status: 503,
        name: 'IngestBusy',
        message: `${MAX_INFLIGHT_BODIES} ingest bodies are arriving already`,
        retryAfterSec: 1,
        close: true,
      });
    }

    inflight++;
    const chunks: Buffer[] = [];
    let size = 0;
    let finished = false;
    const finish = () => {
      if (finished) return false;
      finished = true;
      inflight--;
      clearTimeout(timer);
      return true;
    };
    // uWS's own idle timeout does not end a body that trickles in a byte at a time: this deadline does.
    const timer = setTimeout(() => {
      if (!finish()) return;
      refuse(res, { status: 408, name: 'BodyTimeout', message: `the body did not arrive within ${o.bodyTimeoutMs} ms; nothing was applied`, close: true });
    }, o.bodyTimeoutMs);
    timer.unref();
    res.onAborted(() => {
      res.done = true;
      if (finish()) o.metrics.ingestRequests.inc({ outcome: 'aborted' });
    });
    res.onData((chunk, isLast) => {
      if (finished) return;
      size += chunk.byteLength;
      if (size > o.maxBodyBytes) {
        finish();
        refuse(res, { status: 413, name: 'BodyTooLarge', message: `the body exceeds ${o.maxBodyBytes} bytes; nothing was applied`, close: true });
        return;
      }
      // uWS reuses the chunk's memory after this callback returns: copy it.
      chunks.push(Buffer.from(new Uint8Array(chunk).slice()));
      if (!isLast) return;
      finish();
      const nowMs = o.now();
      const submitted = o.core.submit(Buffer.concat(chunks, size), nowMs);
      if (!submitted.ok) {
        refuse(res, {
          status: 503,
          name: 'IngestQueueFull',
          message: `the body has ${submitted.lines} lines and this batch window has room for ${submitted.room}; nothing was applied`,
          retryAfterSec: 1,
        });
        return;
      }
      const r = submitted.result;
      buckets.charge(producer, r.accepted + r.rejected, nowMs);
      o.metrics.ingestRequests.inc({ outcome: 'applied' });
      record(r);
      sendJson(res, 200, r);
    });
  });
}
