// The simulator driven by a clock: each poll emits the ticks whose event time has come, tagged with a
// feed epoch that changes on every restart. The epoch lives here, not in the simulator, because it is
// about this process's sequence continuity rather than about the market; it is the one Node-only piece.
import { randomInt } from 'node:crypto';
import type { Tick } from '@tickwire/protocol/messages';
import { U32_MAX } from '@tickwire/protocol/units';
import type { Clock } from './clock.js';
import type { MarketSimulator } from './simulator.js';

export interface LiveFeedOptions {
  simulator: MarketSimulator;
  clock: Clock;
  /** u32 in 1..U32_MAX; 0 is kept free so receivers can use it for "no epoch yet". Default: random. */
  epoch?: number;
}

export class LiveFeed {
  readonly simulator: MarketSimulator;
  readonly clock: Clock;
  readonly epoch: number;

  constructor({ simulator, clock, epoch }: LiveFeedOptions) {
    if (epoch !== undefined && !(Number.isInteger(epoch) && epoch >= 1 && epoch <= U32_MAX)) {
      throw new RangeError(`epoch must be an integer in 1..${U32_MAX}, got ${epoch}`);
    }
    this.simulator = simulator;
    this.clock = clock;
    // Random rather than a counter so two restarts of the same process never reuse an epoch.
    this.epoch = epoch ?? randomInt(1, U32_MAX + 1);
  }

  /**
   * Emits every tick with event time up to clock.now() and returns how many. Same scratch-object rule
   * as MarketSimulator.advanceTo: copy what you keep. A clock that went backwards emits nothing.
   * After a long stall this catches up in one synchronous burst (rate × stall length ticks).
   */
  poll(emit: (tick: Tick) => void): number {
    return this.simulator.advanceTo(this.clock.now(), emit);
  }
}
