// The dashboard's keyboard shortcuts, once: App.svelte dispatches keys through shortcutFor() and the `?`
// overlay (ShortcutsHelp.svelte) lists the same table, so the help cannot promise a key that does nothing.
import { LAYOUTS, type Layout } from './settings.js';

export type ShortcutAction =
  | { kind: 'search' }
  | { kind: 'move'; delta: 1 | -1 }
  | { kind: 'reorder'; delta: 1 | -1 }
  | { kind: 'remove' }
  | { kind: 'layout'; layout: Layout }
  | { kind: 'interval'; delta: 1 | -1 }
  | { kind: 'help' };

export interface Shortcut {
  /** Keys as shown, space-separated alternatives. */
  keys: string;
  does: string;
}

export const SHORTCUTS: readonly Shortcut[] = [
  { keys: '/', does: 'search and add a symbol' },
  { keys: '↑ ↓', does: 'select the previous / next symbol (linked charts and the tape follow)' },
  { keys: 'Alt+↑ Alt+↓', does: 'move the selected symbol up / down the watchlist (when it is not sorted)' },
  { keys: 'Delete', does: 'remove the selected symbol from the watchlist' },
  { keys: LAYOUTS.join(' '), does: `layout: ${LAYOUTS.map((l) => `${l} chart${l > 1 ? 's' : ''}`).join(', ')}` },
  { keys: '[ ]', does: 'shorter / longer interval on the active chart' },
  { keys: '?', does: 'show or hide this list' },
];

/** The action of a key press outside text fields (`key` as KeyboardEvent.key, `Alt+` in front when Alt is
 * held); null when the page does not use the key. */
export function shortcutFor(key: string): ShortcutAction | null {
  switch (key) {
    case 'Alt+ArrowDown':
      return { kind: 'reorder', delta: 1 };
    case 'Alt+ArrowUp':
      return { kind: 'reorder', delta: -1 };
    case '/':
      return { kind: 'search' };
    case 'ArrowDown':
      return { kind: 'move', delta: 1 };
    case 'ArrowUp':
      return { kind: 'move', delta: -1 };
    case 'Delete':
      return { kind: 'remove' };
    case '[':
      return { kind: 'interval', delta: -1 };
    case ']':
      return { kind: 'interval', delta: 1 };
    case '?':
      return { kind: 'help' };
    default: {
      const layout = LAYOUTS.find((l) => String(l) === key);
      return layout === undefined ? null : { kind: 'layout', layout };
    }
  }
}

/** The interval `delta` steps from `current` in `intervals`, clamped at the ends. */
export function stepInterval<T>(intervals: readonly T[], current: T, delta: 1 | -1): T {
  const i = intervals.indexOf(current);
  const next = Math.min(intervals.length - 1, Math.max(0, (i < 0 ? 0 : i) + delta));
  return intervals[next] as T;
}
