// Reading a server's process counters from Prometheus text: prefixed and plain names, labels, and input
// that must yield null (absent, negative, not a number) instead of a made-up CPU figure.
import { describe, expect, it } from 'vitest';
import { parseProcessCounters } from '../src/server-metrics.js';

describe('parseProcessCounters', () => {
  it("reads a prefixed registry's CPU seconds and RSS", () => {
    const text = [
      '# HELP tickwire_process_cpu_seconds_total Total user and system CPU time spent in seconds.',
      '# TYPE tickwire_process_cpu_seconds_total counter',
      'tickwire_process_cpu_seconds_total 12.5',
      'tickwire_process_resident_memory_bytes 73400320',
    ].join('\n');
    expect(parseProcessCounters(text)).toEqual({ cpuMs: 12_500, rssBytes: 73_400_320, peakRssBytes: 73_400_320 });
  });

  it('reads unprefixed names and ignores labels; RSS is optional', () => {
    expect(parseProcessCounters('process_cpu_seconds_total{instance="a"} 0.25\n')).toEqual({ cpuMs: 250, rssBytes: 0, peakRssBytes: 0 });
  });

  it('does not take a look-alike metric for the counter', () => {
    expect(parseProcessCounters('tickwire_process_cpu_seconds_total_created 1700000000\n')).toBeNull();
    expect(parseProcessCounters('# tickwire_process_cpu_seconds_total 5\n')).toBeNull();
  });

  it('yields null for absent, negative or non-numeric values', () => {
    expect(parseProcessCounters('')).toBeNull();
    expect(parseProcessCounters('tickwire_ws_connections 3\n')).toBeNull();
    expect(parseProcessCounters('process_cpu_seconds_total -1\n')).toBeNull();
    expect(parseProcessCounters('process_cpu_seconds_total NaN\n')).toBeNull();
    expect(parseProcessCounters('process_cpu_seconds_total\n5\n')).toBeNull();
  });
});
