// The keyboard shortcut table (web/src/lib/shortcuts.ts): every key the overlay lists is one the page
// answers to, and interval steps stop at the ends.
import { describe, expect, it } from 'vitest';
import { SHORTCUTS, shortcutFor, stepInterval } from '../src/lib/shortcuts.js';

/** The key name a listed key produces in KeyboardEvent.key (with `Alt+` kept in front). */
const eventKey = (listed: string): string => listed.replace('↑', 'ArrowUp').replace('↓', 'ArrowDown');

describe('keyboard shortcuts', () => {
  it('every listed key has an action, and unlisted keys have none', () => {
    const listed = SHORTCUTS.flatMap((s) => s.keys.split(' ')).map(eventKey);
    expect(listed.length).toBeGreaterThan(5);
    for (const key of listed) expect(shortcutFor(key), key).not.toBeNull();
    for (const key of ['a', 'Enter', '3', 'Escape', 'Tab']) expect(shortcutFor(key), key).toBeNull();
    expect(shortcutFor('4')).toEqual({ kind: 'layout', layout: 4 });
    expect(shortcutFor(']')).toEqual({ kind: 'interval', delta: 1 });
    expect(shortcutFor('Alt+ArrowUp')).toEqual({ kind: 'reorder', delta: -1 });
    expect(shortcutFor('Alt+Delete')).toBeNull();
  });

  it('steps intervals and clamps at both ends', () => {
    const list = [1, 5, 60, 300];
    expect(stepInterval(list, 5, 1)).toBe(60);
    expect(stepInterval(list, 5, -1)).toBe(1);
    expect(stepInterval(list, 1, -1)).toBe(1);
    expect(stepInterval(list, 300, 1)).toBe(300);
  });
});
