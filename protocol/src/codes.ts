// Catalogue of error codes (in Error frames) and WebSocket close codes, with the reaction each asks of a
// client. docs/protocol.md mirrors this table; clients branch on these numbers, never on message text.

export const ErrorCode = {
  /** Control message was not valid JSON. Fix the sender; the connection stays open. */
  BadJson: 1,
  /** JSON was valid but not a control message (wrong field types, missing fields). */
  BadMessage: 2,
  /** `op` is not one this server knows. */
  UnknownOp: 3,
  /** A requested symbol does not exist; nothing in the request was applied. */
  UnknownSymbol: 4,
  /** The request would take the connection past its symbol limit; nothing was applied. */
  TooManySymbols: 5,
  /** Control messages arrive faster than allowed; the message was ignored. */
  RateLimited: 6,
  /** Binary control messages are not accepted (controls are JSON text). */
  BinaryControl: 7,
  /** Server-side failure while handling the request. */
  Internal: 8,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const CloseCode = {
  /** Normal closure requested by the client. */
  Normal: 1000,
  /** Server shutting down or restarting: reconnect with jittered backoff. */
  GoingAway: 1001,
  /** A message broke the protocol. */
  ProtocolError: 1002,
  /** A text control message was not valid UTF-8 (RFC 6455 §7.4.1). Fix the sender. */
  InvalidPayload: 1007,
  /** A control message exceeded the server's maximum size. Do not resend it. */
  MessageTooBig: 1009,
  /** Server-side failure: reconnect with backoff. */
  InternalError: 1011,
  /** Client fell too far behind; reconnect and resume (fresh snapshots). */
  SlowConsumer: 4000,
  /** The token the connection was opened with expired: get a fresh token, then reconnect and resume. */
  TokenExpired: 4001,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

export const ERROR_NAMES: Readonly<Record<number, string>> = Object.fromEntries(Object.entries(ErrorCode).map(([name, code]) => [code, name]));

/** Close reason of a 1001 sent on shutdown: how long the client should wait before reconnecting. */
export function goingAwayReason(retryAfterMs: number): string {
  return `restart; retry-after-ms=${Math.round(retryAfterMs)}`;
}

/**
 * Reads the delay from a 1001 close reason (`restart; retry-after-ms=N`); null when the reason carries
 * none. Clients pass `capMs` so a server cannot park them for long.
 */
export function retryAfterFromReason(reason: string, capMs = Number.POSITIVE_INFINITY): number | null {
  const m = /retry-after-ms=(\d{1,7})/.exec(reason);
  return m ? Math.min(Number(m[1]), capMs) : null;
}
