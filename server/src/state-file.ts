// Restart continuity for the embedded feed: on a graceful shutdown the server saves the simulator, the
// published state and the resume window; the next start with the same feed settings continues the very
// same stream under the same epoch, so clients resume without losing a tick. The file is consumed on
// load: after a crash there is nothing stale to restore, and the restarted server starts a new epoch.
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { SimulatorState } from '@tickwire/feeds/index';
import type { Fanout } from '@tickwire/core/fanout';
import type { SymbolStateSnapshot } from '@tickwire/core/market/symbol-state';
import type { TickHistoryState } from '@tickwire/core/market/tick-history';

export const STATE_FILE_VERSION = 1;

/** Settings that must match for a saved stream to be continued. */
export interface FeedFingerprint {
  seed: number;
  symbols: number;
  tickRate: number;
  candleCapacity: number;
  resumeTicks: number;
}

export interface SavedState {
  version: number;
  savedAtMs: number;
  fingerprint: FeedFingerprint;
  epoch: number;
  simulator: SimulatorState;
  symbols: SymbolStateSnapshot[];
  histories: TickHistoryState[];
}

export function saveState(path: string, state: Omit<SavedState, 'version'>): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ version: STATE_FILE_VERSION, ...state }));
  renameSync(tmp, path);
}

export type LoadedState = { ok: true; state: SavedState } | { ok: false; reason: string };

/** Reads and deletes the state file; explains why it cannot be used when it cannot. */
export function takeState(path: string, fingerprint: FeedFingerprint, nowMs: number, maxAgeMs: number): LoadedState {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return { ok: false, reason: 'no saved state' };
  }
  rmSync(path, { force: true });
  let state: SavedState;
  try {
    state = JSON.parse(text) as SavedState;
  } catch {
    return { ok: false, reason: 'saved state is not valid JSON' };
  }
  if (state.version !== STATE_FILE_VERSION) return { ok: false, reason: `saved state version ${state.version} is not ${STATE_FILE_VERSION}` };
  const changed = (Object.keys(fingerprint) as Array<keyof FeedFingerprint>).filter((k) => state.fingerprint?.[k] !== fingerprint[k]);
  if (changed.length > 0) return { ok: false, reason: `feed settings changed since it was saved (${changed.join(', ')})` };
  const age = nowMs - state.savedAtMs;
  if (!(age >= 0 && age <= maxAgeMs)) return { ok: false, reason: `saved state is ${Math.round(age / 1000)} s old (limit ${Math.round(maxAgeMs / 1000)} s)` };
  return { ok: true, state };
}

export function restoreFanout(fanout: Fanout, state: SavedState): void {
  if (state.symbols.length !== fanout.states.length || state.histories.length !== fanout.histories.length) {
    throw new RangeError('saved state has another symbol count');
  }
  state.symbols.forEach((s, i) => fanout.states[i]!.importState(s));
  state.histories.forEach((h, i) => fanout.histories[i]!.importState(h));
}
