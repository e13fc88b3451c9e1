// CLI surface of the HTTP transports: --transport stream|longpoll|poll, --poll-interval, --long-poll-wait,
// and --mix weights spreading clients over every Tickwire transport.
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../src/cli.js';
import { clientAdapter } from '../src/swarm.js';

describe('HTTP transport options', () => {
  it('accepts the new transports and polling timings', () => {
    expect(parseArgs(['-t', 'stream']).transport).toBe('stream');
    const c = parseArgs(['-t', 'poll', '--poll-interval', '100ms', '--long-poll-wait', '5s']);
    expect([c.transport, c.pollIntervalMs, c.longPollWaitMs]).toEqual(['poll', 100, 5000]);
    expect(clientAdapter(0, { transport: 'longpoll', sseFraction: 0 })).toBe('tickwire-longpoll');
    expect(() => parseArgs(['--mix', 'ws=1,carrier-pigeon=1', '-t', 'mix'])).toThrow(/unknown transport/);
  });

  it('spreads a --mix over the named transports by weight', () => {
    const c = parseArgs(['-t', 'mix', '--mix', 'ws=2,sse,stream,longpoll,poll']);
    const counts: Record<string, number> = {};
    for (let i = 0; i < 600; i++) {
      const a = clientAdapter(i, c);
      counts[a] = (counts[a] ?? 0) + 1;
    }
    expect(Object.keys(counts).sort()).toEqual(['tickwire-longpoll', 'tickwire-poll', 'tickwire-sse', 'tickwire-stream', 'tickwire-ws']);
    expect(counts['tickwire-ws']).toBeGreaterThan(190);
    expect(counts['tickwire-ws']).toBeLessThan(210);
    expect(counts['tickwire-poll']).toBeGreaterThan(90);
  });
});
