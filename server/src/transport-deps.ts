// What every HTTP-based transport (SSE, binary stream, polling) is handed by the server assembly.
import type { Admission } from './admission.js';
import type { Metrics } from './metrics.js';
import type { SessionRegistry } from './sessions.js';
import type { Subscriptions } from './subscriptions.js';

export interface TransportDeps {
  admission: Admission;
  sessions: SessionRegistry;
  subscriptions: Subscriptions;
  metrics: Metrics;
  epoch: () => number;
  seqOf: (symbolId: number) => number;
  now: () => number;
  hello: { heartbeatMs: number; maxSymbols: number; serverId: string };
  defaultHistory: number;
}
