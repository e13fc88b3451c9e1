// Public surface of the protocol module: zero dependencies, shared by server, browser and Node clients.
export * from './units.js';
export * from './messages.js';
export * from './codes.js';
export * from './codec.js';
export * from './control.js';
export * from './sse.js';
export * from './cursor.js';
export * from './framing.js';
export * from './peek.js';
export * from './backoff.js';
export * from './instruments.js';
export * from './routes.js';
export * from './candles.js';
export * from './compact.js';
