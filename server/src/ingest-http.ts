// POST /ingest, the HTTP door of the ingest model (core/src/ingest.ts): its own Bearer credential, then
// bounds checked before and while the body arrives (in-flight bodies, per-producer rate, Content-Length,
// bytes read, a deadline for the whole body), then one synchronous submit of the complete body. A body
// that does not arrive whole (cut, too slow, too large) applies nothing. Answers: docs/ingest.md.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { Route } from '@tickwire/protocol/routes';
import { INGEST_REJECTIONS, type IngestCore, type IngestResult } from '@tickwire/core/ingest';
import type { Logger } from '@tickwire/core/log';
import { RefusalLog } from './admission.js';
import { sendJson, type Refusal } from './http-util.js';
import type { Metrics } from './metrics.js';

export interface IngestDoorOptions {
  core: IngestCore;
  token: string;
  maxBodyBytes: number;
  /** Trade lines per second per producer; a producer may burst two seconds' worth. */
  ratePerSec: number;
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
/** Producers whose rate buckets are remembered (the oldest is forgotten first). */
const MAX_PRODUCERS = 10_000;
/** A bucket may hold this many seconds of the rate: the burst. */
const BURST_SECONDS = 2;

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Token bucket per producer that may go into debt: a body is admitted while tokens remain, then charged its lines. */
class ProducerBuckets {
  private readonly buckets = new Map<string, { tokens: number; atMs: number }>();
  constructor(private readonly perSec: number) {}

  private refill(producer: string, nowMs: number): { tokens: number; atMs: number } {
    const cap = this.perSec * BURST_SECONDS;
    let b = this.buckets.get(producer);
    if (b === undefined) {
      if (this.buckets.size >= MAX_PRODUCERS) this.buckets.delete(this.buckets.keys().next().value!);
      b = { tokens: cap, atMs: nowMs };
      this.buckets.set(producer, b);
    }
    b.tokens = Math.min(cap, b.tokens + ((nowMs - b.atMs) / 1000) * this.perSec);
    b.atMs = nowMs;
    return b;
  }

  /** Seconds until the producer may send again; 0 = now. */
  waitSec(producer: string, nowMs: number): number {
    const b = this.refill(producer, nowMs);
    return b.tokens >= 1 ? 0 : Math.ceil((1 - b.tokens) / this.perSec);
  }

  charge(producer: string, lines: number, nowMs: number): void {
    this.refill(producer, nowMs).tokens -= lines;
  }
}

export function mountIngest(app: TemplatedApp, o: IngestDoorOptions): void {
  const expected = digest(`Bearer ${o.token}`);
  const buckets = new ProducerBuckets(o.ratePerSec);
  const lineLog = new RefusalLog(
    (fields) => o.log.warn({ reason: fields.reason, suppressed: fields.suppressed, example: fields.message }, 'ingest lines rejected'),
    () => Date.now(),
  );
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
    if (!timingSafeEqual(digest(req.getHeader('authorization')), expected)) {
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
    const waitSec = buckets.waitSec(producer, o.now());
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
      count(o, r, lineLog);
      sendJson(res, 200, r);
    });
  });
}

function count(o: IngestDoorOptions, r: IngestResult, lineLog: RefusalLog): void {
  o.metrics.ingestRequests.inc({ outcome: 'applied' });
  if (r.accepted > 0) {
    o.metrics.ingestAccepted.inc(r.accepted);
    o.metrics.ticksIn.inc(r.accepted);
  }
  for (const [reason, n] of Object.entries(r.reasons)) {
    o.metrics.ingestRejected.inc({ reason }, n);
    // One line per reason per window however many producers send it: a bad producer cannot flood the log.
    const example = r.errors.find((e) => e.reason === reason);
    lineLog.note({ status: 200, name: reason, message: example === undefined ? reason : `line ${example.line}: ${example.message}` });
  }
}
