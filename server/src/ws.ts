// WebSocket transport at /ws: uWS pub/sub with one topic per symbol and encoding (`s<id>` standard,
// `c<id>` compact), so a batch frame is published once per encoding with subscribers and uWS copies it
// to every subscriber natively. Control messages are JSON text; replies are frames.
import { Route } from '@tickwire/protocol/routes';
import type { TemplatedApp, WebSocket } from 'uWebSockets.js';
import { encodeHello } from '@tickwire/protocol/codec';
import { CloseCode, goingAwayReason } from '@tickwire/protocol/codes';
import { HelloFlag } from '@tickwire/protocol/messages';
import { Admission, RateLimiter } from './admission.js';
import { onTokenExpiry, type TokenClaims } from './auth.js';
import type { FrameSink } from '@tickwire/core/fanout';
import type { Metrics } from './metrics.js';
import type { Lag } from './sessions.js';
import { newSessionId, type Session, type SessionRegistry } from './sessions.js';
import { CONTROL_BURST, CONTROL_PER_SECOND, type Subscriptions } from './subscriptions.js';
import type { Uws } from './uws.js';
import { SNAPSHOT_BURST_BYTES } from './snapshot-budget.js';

/** Control messages are tiny: 100 tickers of 16 characters fit in 2 KiB. Larger ones close with 1009. */
export const MAX_CONTROL_BYTES = 16 * 1024;
/**
 * uWS drops a connection whose message exceeds its maxPayloadLength without a close frame (1006), so it
 * is set above MAX_CONTROL_BYTES and the 1009 close is sent here; only messages past this are cut off.
 */
export const TRANSPORT_MAX_PAYLOAD_BYTES = 64 * 1024;
/**
 * uWS's own per-socket cap sits this far above the slow-consumer hard limit plus one full catch-up burst
 * (the most a subscribe may add to a backlog under the soft limit): only a safety net for a burst between
 * two policy checks (the policy closes with 4000 first).
 */
export const BACKPRESSURE_SAFETY_BYTES = 1024 * 1024;
/** Seconds without receiving anything before uWS drops the peer; automatic pings make live peers answer. */
export const IDLE_TIMEOUT_SEC = 60;

interface UserData {
  session: WsSession | null;
  ip: string;
  /** The upgrade's token (null when auth is off): the connection ends with 4001 when it expires. */
  claims: TokenClaims | null;
  /** Cancels the expiry timer. */
  cancelExpiry: () => void;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function symbolTopic(symbolId: number, compact = false): string {
  return `${compact ? 'c' : 's'}${symbolId}`;
}

class WsSession implements Session {
  readonly transport = 'ws' as const;
  readonly symbols = new Set<number>();
  lag: Lag | null = null;
  catchUpBytes = 0;
  closed = false;
  private encoding = false;

  constructor(
    readonly id: string,
    readonly ip: string,
    readonly limiter: RateLimiter,
    private readonly ws: WebSocket<UserData>,
    private readonly metrics: Metrics,
  ) {}

  send(frame: Uint8Array): void {
    if (this.closed) return;
    // Corked so sends from timers are batched into one syscall like sends from handlers.
    this.ws.cork(() => {
      const status = this.ws.send(frame, true, false);
      // 2 = dropped by the backpressure cap: a lost snapshot or ack would corrupt the client's view.
      if (status === 2) this.close(CloseCode.SlowConsumer, 'send buffer full');
    });
    this.metrics.framesSent.inc({ transport: 'ws', type: frame[1]! });
    this.metrics.bytesSent.inc({ transport: 'ws' }, frame.length);
  }

  bufferedBytes(): number {
    return this.closed ? 0 : this.ws.getBufferedAmount();
  }

  get compact(): boolean {
    return this.encoding;
  }

  /** Moves every attached symbol to the other encoding's topic: both publish in one batch loop, so nothing is lost or doubled. */
  set compact(on: boolean) {
    if (on === this.encoding) return;
    if (!this.closed) {
      for (const id of this.symbols) {
        if (this.ws.unsubscribe(symbolTopic(id, this.encoding))) this.ws.subscribe(symbolTopic(id, on));
      }
    }
    this.encoding = on;
  }

  attach(symbolId: number): void {
    // While conflating, delivery resumes only when the policy says so.
    if (!this.closed && this.lag === null) this.ws.subscribe(symbolTopic(symbolId, this.encoding));
  }

  detach(symbolId: number): void {
    if (!this.closed) this.ws.unsubscribe(symbolTopic(symbolId, this.encoding));
  }

  goAway(retryAfterMs: number): void {
    this.close(CloseCode.GoingAway, goingAwayReason(retryAfterMs));
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    if (code === CloseCode.SlowConsumer) this.metrics.slowDisconnects.inc({ transport: 'ws' });
    this.closed = true;
    this.ws.cork(() => this.ws.end(code, reason));
  }
}

export interface WsDeps {
  uws: Uws;
  admission: Admission;
  sessions: SessionRegistry;
  subscriptions: Subscriptions;
  metrics: Metrics;
  epoch: () => number;
  now: () => number;
  hello: { heartbeatMs: number; maxSymbols: number; serverId: string };
  hardBytes: number;
}

/**
 * RFC 6455 §4.2.1: a handshake carries "Upgrade: websocket" and a Connection header listing "upgrade";
 * uWS upgrades on Sec-WebSocket-Key alone. A proxy that drops those hop-by-hop headers (an nginx location
 * without `proxy_set_header Upgrade/Connection`) must get a refusal — the client then falls back to SSE,
 * and the refusal is counted and logged — rather than a 101 the proxy never asked for, which it may or
 * may not tunnel. Null when the handshake is fine.
 */
export function handshakeProblem(upgrade: string, connection: string): string | null {
  const tokens = connection.split(',').map((t) => t.trim().toLowerCase());
  if (upgrade.trim().toLowerCase() === 'websocket' && tokens.includes('upgrade')) return null;
  return (
    `a WebSocket handshake needs "Upgrade: websocket" and "Connection: upgrade" (got Upgrade "${upgrade.slice(0, 40)}", ` +
    `Connection "${connection.slice(0, 60)}"); a proxy on the path may drop them: see README "Deployment behind nginx"`
  );
}

export function mountWebSocket(app: TemplatedApp, deps: WsDeps): FrameSink {
  const { uws, sessions, subscriptions, metrics } = deps;
  app.ws<UserData>(Route.ws, {
    // Frames are small, binary and unique per batch: deflate would cost CPU for little gain.
    compression: uws.DISABLED,
    maxPayloadLength: TRANSPORT_MAX_PAYLOAD_BYTES,
    maxBackpressure: deps.hardBytes + SNAPSHOT_BURST_BYTES + BACKPRESSURE_SAFETY_BYTES,
    // uWS otherwise skips publishes to a socket over the cap: a silent gap. Closing lets the client resync.
    closeOnBackpressureLimit: 1,
    idleTimeout: IDLE_TIMEOUT_SEC,
    sendPingsAutomatically: true,
    upgrade: (res, req, context) => {
      const problem = handshakeProblem(req.getHeader('upgrade'), req.getHeader('connection'));
      if (problem !== null) return deps.admission.refuse(res, { status: 400, name: 'NotAWebSocketHandshake', message: problem });
      const ip = deps.admission.clientIp(res, req);
      const admitted = deps.admission.admit(req, ip);
      if (!admitted.ok) return deps.admission.refuse(res, admitted.refusal);
      res.upgrade<UserData>(
        { session: null, ip, claims: admitted.claims, cancelExpiry: () => {} },
        req.getHeader('sec-websocket-key'),
        req.getHeader('sec-websocket-protocol'),
        req.getHeader('sec-websocket-extensions'),
        context,
      );
    },
    open: (ws) => {
      const data = ws.getUserData();
      const session = new WsSession(newSessionId(), data.ip, new RateLimiter(CONTROL_BURST, CONTROL_PER_SECOND, deps.now()), ws, metrics);
      data.session = session;
      deps.admission.opened(data.ip);
      sessions.add(session);
      metrics.connectionsOpened.inc({ transport: 'ws' });
      session.send(encodeHello(deps.epoch(), deps.now(), { ...deps.hello, sessionId: session.id, flags: HelloFlag.Compact }));
      data.cancelExpiry = onTokenExpiry(data.claims, () => {
        if (session.closed) return;
        metrics.tokenExpiries.inc({ transport: 'ws' });
        session.close(CloseCode.TokenExpired, 'token expired');
      });
    },
    message: (ws, message, isBinary) => {
      const session = ws.getUserData().session;
      if (!session) return;
      if (message.byteLength > MAX_CONTROL_BYTES) {
        session.close(CloseCode.MessageTooBig, `control message of ${message.byteLength} bytes exceeds ${MAX_CONTROL_BYTES}`);
        return;
      }
      if (isBinary) {
        subscriptions.rejectBinary(session, message);
        return;
      }
      let text: string;
      try {
        text = utf8.decode(message);
      } catch {
        // RFC 6455 §8.1: a text frame that is not UTF-8 fails the connection with 1007. This uWS build
        // (v20.30) never gets here: it drops such a connection itself, without a close frame (the peer sees
        // 1006; server/test/hostile/control.test.ts records it). Kept for a build that hands them over.
        metrics.controlErrors.inc({ code: 'InvalidPayload' });
        session.close(CloseCode.InvalidPayload, 'text frame is not valid UTF-8');
        return;
      }
      subscriptions.handle(session, text);
    },
    close: (ws) => {
      const data = ws.getUserData();
      data.cancelExpiry();
      const session = data.session;
      if (!session) return;
      session.closed = true;
      sessions.remove(session);
      deps.admission.closed(session.ip);
    },
  });

  const topics: string[] = [];
  const compactTopics: string[] = [];
  const deliver = (topic: string, frame: Uint8Array, receivers: number) => {
    app.publish(topic, frame, true, false);
    metrics.framesSent.inc({ transport: 'ws', type: frame[1]! }, receivers);
    metrics.bytesSent.inc({ transport: 'ws' }, frame.length * receivers);
  };
  return {
    publish(symbolId, frame, compact) {
      const topic = (topics[symbolId] ??= symbolTopic(symbolId));
      const receivers = app.numSubscribers(topic);
      if (receivers > 0) deliver(topic, frame, receivers);
      const compactTopic = (compactTopics[symbolId] ??= symbolTopic(symbolId, true));
      const compactReceivers = app.numSubscribers(compactTopic);
      // Encoded once for all compact subscribers of every transport (compact.get() caches it).
      if (compactReceivers > 0) deliver(compactTopic, compact.get(), compactReceivers);
    },
    endOfBatch() {},
  };
}
