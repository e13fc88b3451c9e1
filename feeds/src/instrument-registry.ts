// The instrument registry of a server with an --instruments file: the file's entries, then instruments
// registered at run time (POST /ingest/instruments), which take the next free ids and are saved in a
// sidecar file next to the instrument file (`my.json` → `my.registered.json`), so the next start gives
// them the same ids. Entries are checked by the file's own rules (instrument-file.ts); a request is
// applied whole or not at all, and the sidecar is written (temp file + rename) before anything changes.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { InstrumentFileError, isObject, loadInstrumentFile, readInstrumentEntry, type RegisteredInstrument } from './instrument-file.js';
import { MAX_INSTRUMENTS } from './universe.js';

/** Instruments one request may register (a larger list is refused whole: split it). */
export const MAX_REGISTRATION_ENTRIES = 1000;
/**
 * Instruments registered at run time, in all (beyond the file's): each one costs the server its candle
 * rings and resume window whether it trades or not, so the sidecar cannot grow without bound.
 */
export const MAX_REGISTERED_INSTRUMENTS = 4096;

/** Problems spelled out in a refusal's message (the rest are counted). */
const MAX_REPORTED = 20;
/** The fields that define an instrument: a re-registration equal in all of them is the same instrument. */
const DEFINING = ['ticker', 'name', 'assetClass', 'priceScale', 'sizeScale', 'tickSize', 'source'] as const;

/** The sidecar of an instrument file: `my.json` → `my.registered.json` in the same directory. */
export function registryPathFor(instrumentsPath: string): string {
  const ext = extname(instrumentsPath);
  const stem = ext === '.json' ? basename(instrumentsPath, ext) : basename(instrumentsPath);
  return join(dirname(instrumentsPath), `${stem}.registered.json`);
}

export interface RegisteredAnswer {
  instrument: RegisteredInstrument;
  /** false: an identical definition was there already (the call was a repeat). */
  created: boolean;
}

/** A refusal: status, stable name, and the message naming the entry and field. Nothing was changed. */
export interface RegistrationRefusal {
  status: 400 | 409 | 500;
  name: 'BadInstrument' | 'InstrumentConflict' | 'InstrumentLimit' | 'RegistryWriteFailed';
  message: string;
  problems: string[];
}

export type RegistrationResult = { ok: true; instruments: RegisteredAnswer[] } | { ok: false; refusal: RegistrationRefusal };

export interface RegistryOptions {
  /** --feed none: every instrument is ingested, whatever its entry says. */
  allIngested: boolean;
  /** Registered instruments at most (default MAX_REGISTERED_INSTRUMENTS). */
  maxRegistered?: number;
}

export class InstrumentRegistry {
  /** Every instrument, ids = indices; grows in place as instruments are registered (the embedded feed holds it). */
  readonly list: RegisteredInstrument[];
  /** The sidecar's entries as registered (id and source filled in), in id order. */
  private readonly saved: Record<string, unknown>[];
  private readonly byTicker = new Map<string, RegisteredInstrument>();
  readonly maxRegistered: number;

  private constructor(
    fileInstruments: RegisteredInstrument[],
    saved: Record<string, unknown>[],
    registered: RegisteredInstrument[],
    /** The sidecar file. */
    readonly path: string,
    options: RegistryOptions,
  ) {
    this.list = [...fileInstruments, ...registered].map((i) => (options.allIngested ? { ...i, source: 'ingest' } : i));
    for (const i of this.list) this.byTicker.set(i.ticker.toUpperCase(), i);
    this.saved = saved;
    this.maxRegistered = options.maxRegistered ?? MAX_REGISTERED_INSTRUMENTS;
  }

  /** Loads the instrument file, then its sidecar when there is one; throws InstrumentFileError naming every problem. */
  static load(instrumentsPath: string, options: RegistryOptions): InstrumentRegistry {
    const fileInstruments = loadInstrumentFile(instrumentsPath, { defaultSource: options.allIngested ? 'ingest' : 'sim' });
    const path = registryPathFor(instrumentsPath);
    let text: string | null = null;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new InstrumentFileError([`cannot read the file: ${(error as Error).message}`], path);
    }
    const { saved, registered } = text === null ? { saved: [], registered: [] } : parseSidecar(text, path, fileInstruments, instrumentsPath);
    return new InstrumentRegistry(fileInstruments, saved, registered, path, options);
  }

  /** Instruments registered at run time (beyond the file's). */
  get registeredCount(): number {
    return this.saved.length;
  }

  /**
   * Registers one instrument (an object) or a list. Each entry either repeats an existing instrument
   * exactly (its id is answered, nothing changes), or takes the next free id; a ticker already defined
   * otherwise, a bad entry, or a full registry refuses the whole request. New ids are saved before they
   * are answered: `onAdded` runs for each new instrument, in id order, after the sidecar is written.
   */
  register(body: unknown, onAdded: (instrument: RegisteredInstrument) => void): RegistrationResult {
    const entries = Array.isArray(body) ? body : [body];
    const refuse = (status: RegistrationRefusal['status'], name: RegistrationRefusal['name'], problems: string[]): RegistrationResult => ({
      ok: false,
      refusal: {
        status,
        name,
        message:
          problems.length === 1
            ? problems[0]!
            : `${problems.length} problems: ${problems.slice(0, MAX_REPORTED).join('; ')}${problems.length > MAX_REPORTED ? '; …' : ''}`,
        problems,
      },
    });
    if (entries.length === 0) return refuse(400, 'BadInstrument', ['no instrument: send one instrument object or a non-empty list of them']);
    if (entries.length > MAX_REGISTRATION_ENTRIES) {
      return refuse(400, 'BadInstrument', [`${entries.length} instruments in one request; at most ${MAX_REGISTRATION_ENTRIES}: split the list`]);
    }
    const answers: RegisteredAnswer[] = [];
    const fresh: { instrument: RegisteredInstrument; entry: Record<string, unknown> }[] = [];
    const batch = new Map<string, RegisteredInstrument>();
    const bad: string[] = [];
    const conflicts: string[] = [];
    entries.forEach((entry, n) => {
      const named = isObject(entry) && typeof entry.ticker === 'string' ? ` (${entry.ticker.slice(0, 20)})` : '';
      const label = `${Array.isArray(body) ? `instruments[${n}]` : 'instrument'}${named}`;
      if (!isObject(entry)) return void bad.push(`${label}: expected an object with ticker, name, assetClass, priceScale and sizeScale`);
      const key = typeof entry.ticker === 'string' ? entry.ticker.toUpperCase() : '';
      const known = this.byTicker.get(key) ?? batch.get(key);
      const id = known?.id ?? this.list.length + fresh.length;
      if (entry.source !== undefined && entry.source !== 'ingest') {
        return void bad.push(
          `${label}: source ${JSON.stringify(entry.source)}: instruments registered at run time are ingested, source must be "ingest" (or left out)`,
        );
      }
      if (entry.id !== undefined && entry.id !== id) {
        return void bad.push(
          known === undefined
            ? `${label}: id ${JSON.stringify(entry.id)}: ids are assigned by the server (this one would get ${id}); leave "id" out`
            : `${label}: id ${JSON.stringify(entry.id)}: ${known.ticker} has id ${known.id}`,
        );
      }
      const { id: _given, ...rest } = entry;
      const checked = readInstrumentEntry({ ...rest, source: 'ingest' }, id, { defaultSource: 'ingest' });
      if (!checked.ok) return void bad.push(...checked.problems.map((p) => `${label}: ${p}`));
      const inst = checked.instrument;
      if (known !== undefined) {
        const differs = DEFINING.filter((f) => known[f] !== inst[f]);
        if (differs.length > 0) {
          const was = batch.get(key) === known ? 'is registered earlier in this request' : `is already id ${known.id}`;
          return void conflicts.push(
            `${label}: ticker ${known.ticker} ${was} with ${differs.map((f) => `${f} ${JSON.stringify(known[f])} (this definition: ${JSON.stringify(inst[f])})`).join(', ')}; an instrument cannot be redefined: register another ticker`,
          );
        }
        return void answers.push({ instrument: known, created: false });
      }
      batch.set(key, inst);
      fresh.push({ instrument: inst, entry: { id, ...rest, source: 'ingest' } });
      answers.push({ instrument: inst, created: true });
    });
    if (bad.length > 0) return refuse(400, 'BadInstrument', bad);
    if (conflicts.length > 0) return refuse(409, 'InstrumentConflict', conflicts);
    if (this.list.length + fresh.length > MAX_INSTRUMENTS) {
      return refuse(409, 'InstrumentLimit', [
        `${fresh.length} new instruments would make ${this.list.length + fresh.length}; symbol ids are u16: at most ${MAX_INSTRUMENTS} instruments`,
      ]);
    }
    if (this.saved.length + fresh.length > this.maxRegistered) {
      return refuse(409, 'InstrumentLimit', [
        `${fresh.length} new instruments would make ${this.saved.length + fresh.length} registered at run time; at most ${this.maxRegistered} (declare more in the instrument file)`,
      ]);
    }
    if (fresh.length > 0) {
      const saved = [...this.saved, ...fresh.map((f) => f.entry)];
      try {
        writeAtomically(this.path, `${JSON.stringify({ instruments: saved }, null, 1)}\n`);
      } catch (error) {
        return refuse(500, 'RegistryWriteFailed', [`cannot save the registry ${this.path}: ${(error as Error).message}; nothing was registered`]);
      }
      this.saved.push(...fresh.map((f) => f.entry));
      for (const { instrument } of fresh) {
        this.list.push(instrument);
        this.byTicker.set(instrument.ticker.toUpperCase(), instrument);
        onAdded(instrument);
      }
    }
    return { ok: true, instruments: answers };
  }
}

/** The sidecar: the instrument file's format, each entry with the id it was given, continuing the file's ids. */
function parseSidecar(
  text: string,
  path: string,
  fileInstruments: readonly RegisteredInstrument[],
  instrumentsPath: string,
): { saved: Record<string, unknown>[]; registered: RegisteredInstrument[] } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new InstrumentFileError([`not valid JSON (${(error as Error).message})`], path);
  }
  if (!isObject(doc) || !Array.isArray(doc.instruments)) throw new InstrumentFileError(['expected {"instruments": [ … ]}'], path);
  const tickers = new Map(fileInstruments.map((i) => [i.ticker.toUpperCase(), i.id]));
  const problems: string[] = [];
  const saved: Record<string, unknown>[] = [];
  const registered: RegisteredInstrument[] = [];
  (doc.instruments as unknown[]).forEach((entry, n) => {
    const expected = fileInstruments.length + n;
    const label = `instruments[${n}]${isObject(entry) && typeof entry.ticker === 'string' ? ` (${entry.ticker.slice(0, 20)})` : ''}`;
    if (!isObject(entry)) return void problems.push(`${label}: expected an object`);
    if (entry.id !== expected) {
      return void problems.push(
        `${label}: has id ${JSON.stringify(entry.id)} but ${instrumentsPath} has ${fileInstruments.length} instruments, so it would get ${expected}: ` +
          `the file was changed after instruments were registered. Move the registered entries (they carry their ids) to the end of the file, in id order, and delete ${path}`,
      );
    }
    if (entry.source !== undefined && entry.source !== 'ingest')
      return void problems.push(`${label}: source ${JSON.stringify(entry.source)}: registered instruments are ingested`);
    const { id: _id, ...rest } = entry;
    const checked = readInstrumentEntry(rest, expected, { defaultSource: 'ingest' });
    if (!checked.ok) return void problems.push(...checked.problems.map((p) => `${label}: ${p}`));
    const key = checked.instrument.ticker.toUpperCase();
    const first = tickers.get(key);
    if (first !== undefined) return void problems.push(`${label}: ticker ${checked.instrument.ticker} already has id ${first}`);
    tickers.set(key, expected);
    saved.push(entry);
    registered.push(checked.instrument);
  });
  if (problems.length > 0) throw new InstrumentFileError(problems, path);
  return { saved, registered };
}

/** Replaces `path` with `text` so a crash leaves the old file or the new one, never a torn one. */
function writeAtomically(path: string, text: string): void {
  const temp = `${path}.${process.pid}.tmp`;
  try {
    const fd = openSync(temp, 'w', 0o644);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}
