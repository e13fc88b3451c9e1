// Run-time registration: new instruments take the next free ids and never renumber another; a repeat of
// an identical definition answers the existing id; a redefinition, a bad entry or a full registry
// refuses the whole request and changes nothing (in memory or on disk); the sidecar file reloads with the
// same ids, and a file changed under it stops the load with a message saying what to do.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InstrumentFileError } from '../src/instrument-file.js';
import { InstrumentRegistry, MAX_REGISTRATION_ENTRIES, registryPathFor, type RegistrationResult } from '../src/instrument-registry.js';

const ACME = { ticker: 'ACME', name: 'Acme Corp', assetClass: 'equity', priceScale: 2, sizeScale: 0, source: 'ingest' };
const SIMCO = { ticker: 'SIMCO', name: 'Simulated Co', assetClass: 'equity', priceScale: 2, sizeScale: 0, price: '50' };
const NEWCO = { ticker: 'NEWCO', name: 'New Co', assetClass: 'equity', priceScale: 2, sizeScale: 0 };
const COIN = { ticker: 'COIN-X', name: 'Coin X', assetClass: 'crypto', priceScale: 4, sizeScale: 6, tickSize: '0.0005' };

function setup(entries: unknown[] = [ACME, SIMCO]): { file: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tickwire-registry-'));
  const file = join(dir, 'my.json');
  writeFileSync(file, JSON.stringify({ instruments: entries }));
  return { file, dir };
}

function ok(result: RegistrationResult) {
  if (!result.ok) throw new Error(`refused: ${result.refusal.message}`);
  return result.instruments;
}

function refused(result: RegistrationResult) {
  if (result.ok) throw new Error('expected a refusal');
  return result.refusal;
}

describe('InstrumentRegistry', () => {
  it('names the sidecar next to the instrument file', () => {
    expect(registryPathFor('/data/my.json')).toBe('/data/my.registered.json');
    expect(registryPathFor('/data/instruments')).toBe('/data/instruments.registered.json');
  });

  it('gives new instruments the next free ids, one or a list, and tells each caller who was added', () => {
    const { file } = setup();
    const registry = InstrumentRegistry.load(file, { allIngested: false });
    const added: number[] = [];
    const one = ok(registry.register(NEWCO, (i) => added.push(i.id)));
    expect(one.map((a) => [a.instrument.id, a.instrument.ticker, a.created])).toEqual([[2, 'NEWCO', true]]);
    const two = ok(registry.register([COIN, { ...NEWCO, ticker: 'OTHER' }], (i) => added.push(i.id)));
    expect(two.map((a) => a.instrument.id)).toEqual([3, 4]);
    expect(added).toEqual([2, 3, 4]);
    expect(registry.list.map((i) => [i.id, i.ticker, i.source])).toEqual([
      [0, 'ACME', 'ingest'],
      [1, 'SIMCO', 'sim'],
      [2, 'NEWCO', 'ingest'],
      [3, 'COIN-X', 'ingest'],
      [4, 'OTHER', 'ingest'],
    ]);
    expect(registry.list[3]!.tickSize).toBe(5);
  });

  it('answers an identical definition with the existing id and changes nothing', () => {
    const { file } = setup();
    const registry = InstrumentRegistry.load(file, { allIngested: false });
    ok(registry.register(NEWCO, () => {}));
    const before = readFileSync(registryPathFor(file), 'utf8');
    const calls: number[] = [];
    for (const repeat of [NEWCO, { ...NEWCO, id: 2 }, { ...NEWCO, source: 'ingest' }, ACME]) {
      const [answer] = ok(registry.register(repeat, (i) => calls.push(i.id)));
      expect(answer!.created).toBe(false);
      expect(answer!.instrument.id).toBe(repeat === ACME ? 0 : 2);
    }
    expect(calls).toEqual([]);
    expect(registry.list).toHaveLength(3);
    expect(readFileSync(registryPathFor(file), 'utf8')).toBe(before);
  });

  it('refuses a redefinition with 409 naming the ticker, its id and each differing field', () => {
    const { file } = setup();
    const registry = InstrumentRegistry.load(file, { allIngested: false });
    ok(registry.register(NEWCO, () => {}));
    const r = refused(registry.register({ ...NEWCO, priceScale: 4 }, () => {}));
    expect(r.status).toBe(409);
    expect(r.name).toBe('InstrumentConflict');
    expect(r.message).toContain('ticker NEWCO is already id 2 with priceScale 2 (this definition: 4)');
    // A simulated file instrument cannot be taken over by producers either.
    expect(refused(registry.register({ ...SIMCO, source: 'ingest' }, () => {})).message).toContain('source "sim" (this definition: "ingest")');
    // Within one request too.
    expect(refused(registry.register([COIN, { ...COIN, name: 'Coin Y' }], () => {})).message).toContain('is registered earlier in this request');
    expect(registry.list).toHaveLength(3);
  });

  it('refuses a bad entry with 400 naming the field and the value, and registers none of the list', () => {
    const { file } = setup();
    const registry = InstrumentRegistry.load(file, { allIngested: false });
    const cases: Array<[unknown, string]> = [
      [{ ...NEWCO, priceScale: 13 }, 'priceScale 13 must be an integer in 0..12'],
      [{ ...NEWCO, ticker: 'bad ticker!' }, 'ticker "bad ticker!"'],
      [{ ...NEWCO, pricescale: 2 }, 'unknown field "pricescale"'],
      [{ ...NEWCO, source: 'sim' }, 'source must be "ingest"'],
      [{ ...NEWCO, id: 7 }, 'ids are assigned by the server (this one would get 2)'],
      [
        { ...NEWCO, price: '50000000.5' },
        'instrument (NEWCO): price 50000000.5 does not fit the wire at priceScale 2: more than 4294967295 ticks (u32); the largest priceScale that fits is 1',
      ],
      ['ACME', 'expected an object'],
      [[], 'no instrument'],
      [Array.from({ length: MAX_REGISTRATION_ENTRIES + 1 }, () => NEWCO), `at most ${MAX_REGISTRATION_ENTRIES}`],
    ];
    for (const [body, message] of cases) {
      const r = refused(registry.register(body, () => {}));
      expect(r.status, message).toBe(400);
      expect(r.name).toBe('BadInstrument');
      expect(r.message).toContain(message);
    }
    // One bad entry in a list: the good one is not registered either.
    const r = refused(registry.register([COIN, { ...NEWCO, sizeScale: -1 }], () => {}));
    expect(r.message).toContain('instruments[1] (NEWCO): sizeScale -1');
    expect(registry.list).toHaveLength(2);
    expect(existsSync(registryPathFor(file))).toBe(false);
  });

  it('refuses past the limit of registered instruments, whole', () => {
    const { file } = setup();
    const registry = InstrumentRegistry.load(file, { allIngested: false, maxRegistered: 2 });
    ok(registry.register(NEWCO, () => {}));
    const r = refused(registry.register([COIN, { ...NEWCO, ticker: 'OTHER' }], () => {}));
    expect(r).toMatchObject({ status: 409, name: 'InstrumentLimit' });
    expect(r.message).toContain('would make 3 registered at run time; at most 2');
    expect(registry.list).toHaveLength(3);
  });

  it('reloads with the same ids after a restart, the file first, and keeps registering after them', () => {
    const { file, dir } = setup();
    const first = InstrumentRegistry.load(file, { allIngested: false });
    ok(first.register([NEWCO, COIN], () => {}));
    // Written whole by rename: no temporary file is left behind.
    expect(readdirSync(dir).sort()).toEqual(['my.json', 'my.registered.json']);
    const again = InstrumentRegistry.load(file, { allIngested: false });
    expect(again.list.map((i) => [i.id, i.ticker, i.tickSize, i.source])).toEqual(first.list.map((i) => [i.id, i.ticker, i.tickSize, i.source]));
    expect(again.registeredCount).toBe(2);
    expect(ok(again.register(COIN, () => {}))[0]!.created).toBe(false);
    expect(ok(again.register({ ...NEWCO, ticker: 'THIRD' }, () => {}))[0]!.instrument.id).toBe(4);
    // --feed none: every file instrument is ingested, registered ones keep their ids.
    const none = InstrumentRegistry.load(file, { allIngested: true });
    expect(none.list.map((i) => i.source)).toEqual(['ingest', 'ingest', 'ingest', 'ingest', 'ingest']);
  });

  it('stops the load when the file changed under registered ids, saying how to fold them in', () => {
    const { file } = setup();
    ok(InstrumentRegistry.load(file, { allIngested: false }).register(NEWCO, () => {}));
    writeFileSync(file, JSON.stringify({ instruments: [ACME, SIMCO, { ...COIN, id: 2 }] }));
    let error: unknown;
    try {
      InstrumentRegistry.load(file, { allIngested: false });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InstrumentFileError);
    expect((error as Error).message).toContain('my.registered.json: instruments[0] (NEWCO): has id 2 but');
    expect((error as Error).message).toContain('Move the registered entries');
    // Folding them in as told: the same ids, nothing registered any more.
    writeFileSync(file, JSON.stringify({ instruments: [ACME, SIMCO, { ...NEWCO, id: 2, source: 'ingest' }, { ...COIN, id: 3 }] }));
    writeFileSync(registryPathFor(file), JSON.stringify({ instruments: [] }));
    expect(InstrumentRegistry.load(file, { allIngested: false }).list.map((i) => i.ticker)).toEqual(['ACME', 'SIMCO', 'NEWCO', 'COIN-X']);
  });

  it('refuses a bad sidecar naming the entry (a ticker twice, a simulated entry)', () => {
    const { file } = setup();
    writeFileSync(
      registryPathFor(file),
      JSON.stringify({
        instruments: [
          { ...ACME, id: 2 },
          { ...NEWCO, id: 3, source: 'sim' },
        ],
      }),
    );
    expect(() => InstrumentRegistry.load(file, { allIngested: false })).toThrow(
      /ticker ACME already has id 0[\s\S]*source "sim": registered instruments are ingested/,
    );
  });

  it('changes nothing when the sidecar cannot be written', () => {
    const { file, dir } = setup();
    const registry = InstrumentRegistry.load(file, { allIngested: false });
    // A directory where the sidecar should go: rename cannot replace it.
    mkdirSync(registryPathFor(file));
    const r = refused(registry.register(NEWCO, () => {}));
    expect(r).toMatchObject({ status: 500, name: 'RegistryWriteFailed' });
    expect(registry.list).toHaveLength(2);
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});
