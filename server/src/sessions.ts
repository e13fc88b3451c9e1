// A client connection as the subscription logic sees it, whatever its transport, and the registry of
// open sessions (heartbeats, shutdown, metrics walk it).
import { randomBytes } from 'node:crypto';
import type { RateLimiter } from './admission.js';
import type { TransportName } from './config.js';

/**
 * Conflation state of one session (slow-consumer.ts sets it): when it began and the seq each symbol had
 * reached on the wire. Declared here, with the session that holds it, so sessions.ts depends on no policy.
 */
export interface Lag {
  since: number;
  seqs: Map<number, number>;
}

export interface Session {
  readonly id: string;
  readonly transport: TransportName;
  /** Client address (admission counts connections per address). */
  readonly ip: string;
  /** Control-message budget of this connection. */
  readonly limiter: RateLimiter;
  /** Subscribed symbol ids, in subscription order. */
  readonly symbols: Set<number>;
  /** True once the connection ended (a deferred snapshot must not be delivered to it). */
  readonly closed: boolean;
  /** Non-null while the slow-consumer policy holds back full ticks (see slow-consumer.ts). */
  lag: Lag | null;
  /** Bytes written for this client that have not reached its socket yet. */
  bufferedBytes(): number;
  /**
   * Catch-up bytes (snapshots, replays) granted to this client that its backlog may hold on top of the
   * slow-consumer hard limit until they drain (see slow-consumer.ts: backlogLimit()).
   */
  catchUpBytes: number;
  /** Refreshes bufferedBytes() for a paused client when the transport can only learn it by writing. */
  probe?(): void;
  /**
   * Updates encoding the client chose (`compact` on subscribe, `compact=1` on HTTP): true for compact
   * frames (type 7). Setting it moves the live delivery of every held symbol to that encoding.
   */
  compact: boolean;
  /** Sends one frame to this client alone (hello, snapshot, ack, error, heartbeat). */
  send(frame: Uint8Array): void;
  /** Starts delivery of a symbol's Updates frames (after its snapshot was sent). */
  attach(symbolId: number): void;
  detach(symbolId: number): void;
  /** Ends the connection with a close code from protocol/src/codes.ts. */
  close(code: number, reason: string): void;
  /** Ends the connection for a shutdown, asking the client to come back after `retryAfterMs` (jittered per client). */
  goAway(retryAfterMs: number): void;
}

export function newSessionId(): string {
  return randomBytes(16).toString('base64url');
}

export class SessionRegistry {
  private readonly byId = new Map<string, Session>();
  readonly counts: Record<TransportName, number> = { ws: 0, sse: 0, stream: 0, poll: 0 };
  /** Called once per session that leaves (its symbols lose a holder: interest-based feed subscriptions). */
  onRemove: ((session: Session) => void) | null = null;

  add(session: Session): void {
    this.byId.set(session.id, session);
    this.counts[session.transport]++;
  }

  remove(session: Session): void {
    if (!this.byId.delete(session.id)) return;
    this.counts[session.transport]--;
    this.onRemove?.(session);
  }

  get(id: string): Session | undefined {
    return this.byId.get(id);
  }

  get size(): number {
    return this.byId.size;
  }

  [Symbol.iterator](): IterableIterator<Session> {
    return this.byId.values();
  }
}
