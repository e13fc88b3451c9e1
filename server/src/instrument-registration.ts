// POST /ingest/instruments: instruments registered at run time (docs/ingest.md), behind the ingest
// credential. The registry (feeds/src/instrument-registry.ts) checks the entries and saves them; this door
// reads the JSON body and, for each new id, grows the fan-out and the ingest core in the same synchronous
// pass, so the next /api/symbols, subscribe or trade already sees the instrument.
import type { HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { Route } from '@tickwire/protocol/routes';
import { instrumentInfo } from '@tickwire/protocol/instruments';
import type { InstrumentRegistry } from '@tickwire/feeds/instrument-registry';
import type { Fanout } from '@tickwire/core/fanout';
import type { IngestCore } from '@tickwire/core/ingest';
import type { Logger } from '@tickwire/core/log';
import { ingestInstrument } from './feed-selection.js';
import { bearerCheck } from './ingest-guard.js';
import { readBody, sendJson, type Refusal } from './http-util.js';

/** A registration body at most: a thousand instruments take about 200 bytes each. */
export const MAX_REGISTRATION_BYTES = 256 * 1024;

export interface RegistrationDoorOptions {
  /** Null without --instruments: nowhere to save registered ids, so registration is refused. */
  registry: InstrumentRegistry | null;
  core: IngestCore;
  fanout: Fanout;
  token: string;
  /** Sends a refusal and counts it in tickwire_refusals_total (Admission.refuse). */
  refuse(res: HttpResponse, refusal: Refusal): void;
  log: Logger;
}

export function mountInstrumentRegistration(app: TemplatedApp, o: RegistrationDoorOptions): void {
  const authorized = bearerCheck(o.token);
  const grow = (inst: Parameters<Parameters<InstrumentRegistry['register']>[1]>[0]) => {
    o.fanout.addInstrument(instrumentInfo(inst));
    o.core.addInstrument(ingestInstrument(inst, false));
  };

  app.post(Route.ingestInstruments, (res, req) => {
    if (!authorized(req.getHeader('authorization'))) {
      return o.refuse(res, {
        status: 401,
        name: 'IngestAuth',
        message: `POST ${Route.ingestInstruments} needs "Authorization: Bearer <ingest token>" (the --ingest-token, not a viewer token)`,
        headers: { 'WWW-Authenticate': 'Bearer realm="tickwire-ingest"' },
        close: true,
      });
    }
    const registry = o.registry;
    if (registry === null) {
      return o.refuse(res, {
        status: 409,
        name: 'RegistrationUnavailable',
        message: 'registering instruments needs an --instruments FILE: registered instruments are saved next to it so their ids survive restarts',
        close: true,
      });
    }
    const length = req.getHeader('content-length');
    if (length !== '' && Number(length) > MAX_REGISTRATION_BYTES) {
      return o.refuse(res, { status: 413, name: 'BodyTooLarge', message: `the body is ${length} bytes; at most ${MAX_REGISTRATION_BYTES}`, close: true });
    }
    readBody(res, MAX_REGISTRATION_BYTES, (body) => {
      if (body === null) {
        return o.refuse(res, {
          status: 413,
          name: 'BodyTooLarge',
          message: `the body exceeds ${MAX_REGISTRATION_BYTES} bytes; nothing was registered`,
          close: true,
        });
      }
      let doc: unknown;
      try {
        doc = JSON.parse(Buffer.from(body).toString('utf8'));
      } catch (error) {
        return o.refuse(res, { status: 400, name: 'BadJson', message: `the body is not JSON (${(error as Error).message}); nothing was registered` });
      }
      const result = registry.register(unwrapFileShape(doc), grow);
      if (!result.ok) {
        const { status, name, message, problems } = result.refusal;
        o.log.warn({ status, name, problems: problems.slice(0, 5) }, 'instrument registration refused');
        return o.refuse(res, { status, name, message });
      }
      const created = result.instruments.filter((a) => a.created);
      if (created.length > 0) {
        o.log.info({ instruments: created.map((a) => ({ id: a.instrument.id, ticker: a.instrument.ticker })), saved: registry.path }, 'instruments registered');
      }
      sendJson(res, created.length > 0 ? 201 : 200, {
        instruments: result.instruments.map((a) => ({ ...instrumentInfo(a.instrument), created: a.created })),
      });
    });
  });
}

/** `{"instruments": [...]}`, the instrument file's own shape, is accepted as a list too. */
function unwrapFileShape(doc: unknown): unknown {
  if (
    typeof doc === 'object' &&
    doc !== null &&
    !Array.isArray(doc) &&
    Object.keys(doc).length === 1 &&
    Array.isArray((doc as { instruments?: unknown }).instruments)
  ) {
    return (doc as { instruments: unknown[] }).instruments;
  }
  return doc;
}
