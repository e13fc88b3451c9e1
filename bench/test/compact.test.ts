// The compact-frames bench's pure parts: the exact byte count on a short deterministic feed (compact
// frames must stay ≥ 2× smaller per update: that is a property of the encoding, not a timing), and the
// docs splice that replaces only its own section of docs/benchmarks.md.
import { describe, expect, it } from 'vitest';
import { measureBytes, spliceSection } from '../src/compact.js';

describe('compact bench', () => {
  it('counts compact frames at least 2x smaller per update at the default feed', () => {
    const r = measureBytes(60, 10, 200);
    expect(r.ticksPerFrame).toBeGreaterThan(1);
    expect(r.perUpdate.standard).toBeGreaterThan(32);
    expect(r.ratio.frames).toBeGreaterThanOrEqual(2);
    expect(r.ratio.ws).toBeGreaterThanOrEqual(2);
  });

  it('replaces only its own section, or inserts it before the analysis', () => {
    const doc = '# B\n\n## Cost of nginx in front\n\nx\n\n## Analysis\n\ny\n';
    const once = spliceSection(doc, '## Compact frames\n\nfirst\n');
    expect(once).toBe('# B\n\n## Cost of nginx in front\n\nx\n\n## Compact frames\n\nfirst\n\n## Analysis\n\ny\n');
    expect(spliceSection(once, '## Compact frames\n\nsecond\n')).toBe(once.replace('first', 'second'));
  });
});
