// The --instruments file: what a valid file becomes (ids, scales, simulator defaults), the id-stability
// rule (positions, append-only, pinned by optional ids), and that every invalid entry is named with the
// value at fault — for prices, with the largest scale that would fit.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { U32_MAX } from '@tickwire/protocol/units';
import { InstrumentFileError, loadInstrumentFile, parseInstrumentFile, type InstrumentFileOptions } from '../src/instrument-file.js';
import { MarketSimulator } from '../src/simulator.js';

const SIM: InstrumentFileOptions = { defaultSource: 'sim' };
const ACME = { ticker: 'ACME', name: 'Acme Corp', assetClass: 'equity', priceScale: 2, sizeScale: 0, price: '123.45' };
const BTC = { ticker: 'BTC-USD', name: 'Bitcoin', assetClass: 'crypto', priceScale: 2, sizeScale: 8, tickSize: '0.01', price: '65012.5', typicalSize: '0.05' };

const file = (...instruments: unknown[]) => JSON.stringify({ instruments });

function problems(text: string, options = SIM): string[] {
  try {
    parseInstrumentFile(text, 'test.json', options);
  } catch (error) {
    expect(error).toBeInstanceOf(InstrumentFileError);
    return [...(error as InstrumentFileError).problems];
  }
  throw new Error('expected the file to be refused');
}

describe('parseInstrumentFile', () => {
  it('turns entries into instruments with ids by position and simulator defaults', () => {
    const [acme, btc] = parseInstrumentFile(file(ACME, BTC), 'test.json', SIM);
    expect(acme).toMatchObject({ id: 0, ticker: 'ACME', priceScale: 2, sizeScale: 0, initialPrice: 12345, tickSize: 1, source: 'sim', annualVol: 0.3 });
    expect(btc).toMatchObject({ id: 1, ticker: 'BTC-USD', initialPrice: 6501250, tickSize: 1, source: 'sim' });
    expect(Math.exp(btc!.sizeMu)).toBeCloseTo(5_000_000, 3);
  });

  it('gives instruments a simulator can run as they are', () => {
    const instruments = parseInstrumentFile(file(ACME, BTC, { ...ACME, ticker: 'TINY', price: '1.00', tickSize: '0.01' }), 'test.json', SIM);
    const sim = new MarketSimulator({ seed: 1, instruments, ticksPerSecond: 1000, startTimeMs: 0 });
    let ticks = 0;
    sim.advanceTo(10_000, (t) => {
      ticks++;
      expect(t.price % instruments[t.symbolId]!.tickSize).toBe(0);
    });
    expect(ticks).toBeGreaterThan(5000);
  });

  it('keeps every id when instruments are appended (the stability rule)', () => {
    const before = parseInstrumentFile(file(ACME, BTC), 'a.json', SIM);
    const after = parseInstrumentFile(file(ACME, BTC, { ...ACME, ticker: 'NEW1' }, { ...ACME, ticker: 'NEW2' }), 'a.json', SIM);
    for (const inst of before) expect(after.find((i) => i.ticker === inst.ticker)?.id).toBe(inst.id);
    expect(after.map((i) => i.id)).toEqual([0, 1, 2, 3]);
  });

  it('gives the same ids for the same file on every load', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tickwire-instruments-'));
    const path = join(dir, 'i.json');
    writeFileSync(path, file(ACME, BTC));
    const a = loadInstrumentFile(path, SIM).map((i) => [i.id, i.ticker]);
    const b = loadInstrumentFile(path, SIM).map((i) => [i.id, i.ticker]);
    expect(a).toEqual(b);
  });

  it('refuses a reordered or shortened file whose entries pin their ids', () => {
    const pinned = [
      { ...ACME, id: 0 },
      { ...BTC, id: 1 },
    ];
    expect(parseInstrumentFile(file(...pinned), 'a.json', SIM)).toHaveLength(2);
    const reordered = problems(file(pinned[1], pinned[0]));
    expect(reordered[0]).toMatch(/instruments\[0\] \(BTC-USD\): declares id 1 but sits at position 0; .*append new instruments at the end/);
    expect(problems(file(pinned[1]))[0]).toMatch(/declares id 1 but sits at position 0/);
  });

  it('names the instrument, the price and the largest priceScale that fits', () => {
    const [msg] = problems(file({ ...ACME, price: '5000000', priceScale: 4 }));
    expect(msg).toBe(
      `instruments[0] (ACME): price 5000000 does not fit the wire at priceScale 4: more than ${Math.floor(U32_MAX / 16)} ticks (${U32_MAX} ÷ 16: the simulator's headroom); the largest priceScale that fits is 1`,
    );
    // Ingested instruments need no simulator headroom: the u32 itself is the limit.
    const [ingest] = problems(file({ ...ACME, price: '50000000', priceScale: 2 }), { defaultSource: 'ingest' });
    expect(ingest).toBe(
      `instruments[0] (ACME): price 50000000 does not fit the wire at priceScale 2: more than ${U32_MAX} ticks (u32); the largest priceScale that fits is 1`,
    );
    expect(problems(file({ ...ACME, price: '1e12', priceScale: 0 }))[0]).toMatch(/no priceScale fits it/);
  });

  it('reports every problem of every entry at once', () => {
    const found = problems(
      file(
        { ...ACME, ticker: 'acme' },
        { ...ACME, ticker: 'X', priceScale: 13, sizeScale: -1 },
        { ...ACME, ticker: 'ACME' },
        { ...ACME, ticker: 'acme'.toUpperCase() },
        { ...ACME, ticker: 'ACME2', pricescale: 2 },
        'nope',
      ),
    );
    expect(found, found.join('\n')).toHaveLength(6);
    expect(found).toContainEqual(expect.stringMatching(/^instruments\[0\] \(acme\): ticker "acme" must be 1–16 characters/));
    expect(found).toContainEqual(expect.stringMatching(/^instruments\[1\] \(X\): priceScale 13 must be an integer in 0\.\.12/));
    expect(found).toContainEqual(expect.stringMatching(/^instruments\[1\] \(X\): sizeScale -1 must be an integer/));
    expect(found).toContainEqual('instruments[3] (ACME): ticker ACME is already instruments[2]');
    expect(found).toContainEqual(expect.stringMatching(/^instruments\[4\] \(ACME2\): unknown field "pricescale"/));
    expect(found).toContainEqual('instruments[5]: expected an object');
  });

  it('checks tick size, price grid, sizes and the simulator limits', () => {
    expect(problems(file({ ...ACME, tickSize: '0.001' }))[0]).toBe('instruments[0] (ACME): tickSize 0.001 is finer than priceScale 2 allows (one tick = 0.01)');
    expect(problems(file({ ...ACME, tickSize: '0.05', price: '123.42' }))[0]).toBe('instruments[0] (ACME): price 123.42 is not a multiple of tickSize 0.05');
    expect(problems(file({ ...ACME, price: '-1' }))[0]).toBe('instruments[0] (ACME): price "-1" must be a positive decimal');
    expect(problems(file({ ...ACME, price: 0 }))[0]).toBe('instruments[0] (ACME): price 0 must be a positive decimal');
    expect(problems(file({ ...ACME, price: '1.234' }))[0]).toBe('instruments[0] (ACME): price 1.234 has more decimals than priceScale 2');
    expect(problems(file({ ...ACME, typicalSize: '0.5' }))[0]).toMatch(/typicalSize "0.5" must be a positive decimal of at least one lot at sizeScale 0/);
    expect(problems(file({ ...ACME, annualVol: 11 }))[0]).toMatch(/annualVol 11 must be a number in \[0, 10\]/);
    expect(problems(file({ ...ACME, spreadTicks: 1000, price: '1.00' }))[0]).toMatch(/^instruments\[0\] \(ACME\): cannot be simulated: baseSpreadTicks/);
    expect(problems(file({ ...ACME, source: 'nats' }))[0]).toMatch(/source "nats" must be "sim" or "ingest"/);
  });

  it('refuses what is not an instrument file', () => {
    expect(problems('{')[0]).toMatch(/^not valid JSON/);
    expect(problems('[]')[0]).toBe('expected {"instruments": [ … ]}');
    expect(problems(file())[0]).toMatch(/is empty/);
    expect(problems(JSON.stringify({ instruments: [ACME], version: 2 }))[0]).toBe('unknown top-level field "version"');
    expect(() => loadInstrumentFile('/nonexistent/i.json', SIM)).toThrow(/\/nonexistent\/i\.json: cannot read the file/);
  });

  it('takes the default source from the feed mode and an explicit one per entry', () => {
    const [a, b] = parseInstrumentFile(file(ACME, { ...BTC, source: 'sim' }), 'test.json', { defaultSource: 'ingest' });
    expect([a!.source, b!.source]).toEqual(['ingest', 'sim']);
  });
});
