// Options, safety rails and the deterministic client plan (roles, transports, symbol picks).
import { describe, expect, it } from 'vitest';
import { parseArgs, parseDuration } from '../src/cli.js';
import { ConfigError, isLoopbackHost, parseTarget } from '../src/config.js';
import { scriptJson } from '../src/report/html.js';
import { clientAdapter, clientKind, sourceAddress } from '../src/swarm.js';
import { SymbolPicker } from '../src/symbols.js';

describe('target safety', () => {
  it('accepts loopback only', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', 'app.localhost']) expect(isLoopbackHost(host)).toBe(true);
    for (const host of ['10.0.0.1', '128.0.0.1', 'example.com', '::2', '127.0.0.256', '0.0.0.0', 'localhost.example.com']) {
      expect(isLoopbackHost(host)).toBe(false);
    }
  });

  it('refuses remote targets unless --allow-remote', () => {
    expect(() => parseTarget('http://example.com:80', false)).toThrow(ConfigError);
    expect(parseTarget('http://example.com:80', true).hostname).toBe('example.com');
    expect(parseTarget('ws://[::1]:9001', false).protocol).toBe('http:');
    expect(() => parseTarget('ftp://127.0.0.1', false)).toThrow(/http/);
    expect(() => parseArgs(['--url', 'http://192.168.1.5:9001'])).toThrow(/refusing non-loopback/);
    expect(parseArgs(['--url', 'http://192.168.1.5:9001', '--allow-remote']).allowRemote).toBe(true);
  });
});

describe('command line', () => {
  it('parses durations with units', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('10s')).toBe(10_000);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('3')).toBe(3_000);
    expect(() => parseDuration('soon')).toThrow();
  });

  it('maps every option into the config', () => {
    const c = parseArgs([
      '-u',
      'http://127.0.0.1:4000',
      '-c',
      '250',
      '-t',
      'mix',
      '--sse-fraction',
      '0.3',
      '-s',
      '3',
      '--popularity',
      'zipf',
      '-r',
      '4s',
      '-d',
      '1m',
      '--slow',
      '0.1',
      '--slow-rate',
      '8k',
      '--churn',
      '0.2',
      '--churn-interval',
      '3s',
      '-w',
      '2',
      '--json',
      'a.json',
      '--html',
      'a.html',
      '--server-pid',
      '42',
    ]);
    expect(c).toMatchObject({
      url: 'http://127.0.0.1:4000',
      clients: 250,
      transport: 'mix',
      sseFraction: 0.3,
      symbolsPerClient: 3,
      popularity: 'zipf',
      rampUpMs: 4000,
      durationMs: 60_000,
      slowFraction: 0.1,
      slowRateBps: 8192,
      churnFraction: 0.2,
      churnIntervalMs: 3000,
      workers: 2,
      jsonPath: 'a.json',
      htmlPath: 'a.html',
      serverPid: 42,
    });
  });

  it('picks the ws library for https/wss targets (the built-in client speaks ws:// only)', () => {
    expect(parseArgs([]).wsClient).toBe('raw');
    expect(parseArgs(['--url', 'https://127.0.0.1:8443']).wsClient).toBe('ws');
    expect(parseArgs(['--url', 'wss://127.0.0.1:8443']).wsClient).toBe('ws');
    expect(parseArgs(['--url', 'https://127.0.0.1:8443', '-t', 'sse', '--ws-client', 'raw']).wsClient).toBe('raw');
    expect(() => parseArgs(['--url', 'https://127.0.0.1:8443', '--ws-client', 'raw'])).toThrow(/ws:\/\/ only/);
  });

  it('rejects out-of-range values', () => {
    expect(() => parseArgs(['-c', '0'])).toThrow(ConfigError);
    expect(() => parseArgs(['-c', '1000000'])).toThrow(/clients/);
    expect(() => parseArgs(['--slow', '0.7', '--churn', '0.5'])).toThrow(/exceed/);
    expect(() => parseArgs(['-t', 'carrier-pigeon'])).toThrow();
    expect(() => parseArgs(['-d', '2h'])).toThrow();
  });
});

describe('client plan', () => {
  it('spreads roles close to the requested fractions in any prefix', () => {
    const count = (n: number) => {
      const kinds = { normal: 0, slow: 0, churn: 0 };
      for (let i = 0; i < n; i++) kinds[clientKind(i, 0.1, 0.25)]++;
      return kinds;
    };
    const k = count(1000);
    expect(Math.abs(k.slow - 100)).toBeLessThanOrEqual(2);
    expect(Math.abs(k.churn - 250)).toBeLessThanOrEqual(2);
    expect(count(20).slow).toBeGreaterThanOrEqual(1);
  });

  it('mixes transports by ratio', () => {
    let sse = 0;
    for (let i = 0; i < 1000; i++) if (clientAdapter(i, { transport: 'mix', sseFraction: 0.3 }) === 'tickwire-sse') sse++;
    expect(Math.abs(sse - 300)).toBeLessThanOrEqual(3);
    expect(clientAdapter(5, { transport: 'socketio', sseFraction: 0 })).toBe('socketio');
  });

  it('picks distinct symbols deterministically, Zipf favouring the top of the list', () => {
    const symbols = Array.from({ length: 50 }, (_, id) => ({ id, ticker: `S${id}` }));
    const zipf = new SymbolPicker(symbols, 'zipf');
    const uniform = new SymbolPicker(symbols, 'uniform');
    expect(zipf.pick(7, 3, 5)).toEqual(zipf.pick(7, 3, 5));
    expect(zipf.pick(7, 3, 5)).not.toEqual(zipf.pick(7, 4, 5));
    let top = 0;
    let topUniform = 0;
    for (let i = 0; i < 500; i++) {
      const z = zipf.pick(1, i, 5);
      expect(new Set(z.map((s) => s.id)).size).toBe(5);
      top += z.filter((s) => s.id < 5).length;
      topUniform += uniform.pick(1, i, 5).filter((s) => s.id < 5).length;
    }
    expect(top).toBeGreaterThan(2 * topUniform);
    expect(new SymbolPicker(symbols.slice(0, 3), 'uniform').pick(1, 0, 5)).toHaveLength(3);
  });

  it('spreads source addresses only for IPv4 loopback targets', () => {
    const v4 = new URL('http://127.0.0.1:1');
    expect(sourceAddress(0, 4, v4)).toBe('127.0.0.1');
    expect(sourceAddress(5, 4, v4)).toBe('127.0.0.2');
    expect(sourceAddress(5, 1, v4)).toBeUndefined();
    expect(sourceAddress(5, 4, new URL('http://[::1]:1'))).toBeUndefined();
  });
});

describe('HTML report', () => {
  it('embeds JSON that cannot close its script element', () => {
    const text = scriptJson({ label: '</script><script>alert(1)</script>' });
    expect(text).not.toContain('</script>');
    expect(JSON.parse(text)).toEqual({ label: '</script><script>alert(1)</script>' });
  });
});
