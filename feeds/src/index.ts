// Public surface of the simulated market feed: the seeded simulator, its instrument universe, and the
// clock-driven live wrapper the server ingests from.
export { Rng, type RngState } from './random.js';
export { DEFAULT_UNIVERSE_SIZE, MAX_INSTRUMENTS, assertInstrument, defaultUniverse, findInstrument, type AssetClass, type Instrument } from './universe.js';
export {
  DEFAULT_TIME_ACCELERATION,
  MAX_TICKS_PER_SECOND,
  MarketSimulator,
  SIMULATOR_STATE_VERSION,
  type Quote,
  type SimulatorState,
  type SimulatorOptions,
} from './simulator.js';
export {
  INSTRUMENT_DEFAULTS,
  InstrumentFileError,
  loadInstrumentFile,
  parseInstrumentFile,
  type InstrumentFileOptions,
  type InstrumentSource,
  type RegisteredInstrument,
} from './instrument-file.js';
export { ManualClock, systemClock, type Clock } from './clock.js';
export { LiveFeed, type LiveFeedOptions } from './live-feed.js';
