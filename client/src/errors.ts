// The one error type the client reports (event 'error'): a refused request (Error frame, codes from
// protocol's ErrorCode), a connection closed by the server with an application close code (CloseCode),
// or a transport attempt that failed. Users branch on `kind` and `code`, never on the message text.
import { CloseCode, ERROR_NAMES, ErrorCode } from '@tickwire/protocol/codes';

export type TickwireErrorKind =
  /** The server answered a subscribe/unsubscribe with an Error frame: `code` is an ErrorCode. */
  | 'refused'
  /** A connection was closed by the server: `code` is the close code (CloseCode, e.g. 4000 slow consumer, 4001 token expired). */
  | 'closed'
  /** A connection attempt or a live connection failed without a close code (network, HTTP status, silence). */
  | 'transport';

export class TickwireError extends Error {
  override readonly name = 'TickwireError';
  readonly kind: TickwireErrorKind;
  /** ErrorCode for 'refused', CloseCode (or another close code) for 'closed', null for 'transport'. */
  readonly code: number | null;
  /** Symbols a refusal concerns (empty otherwise). */
  readonly symbols: readonly string[];

  constructor(kind: TickwireErrorKind, message: string, details: { code?: number | null; symbols?: readonly string[]; cause?: unknown } = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.kind = kind;
    this.code = details.code ?? null;
    this.symbols = details.symbols ?? [];
  }

  /** The refusal is final for these symbols (unknown, or past the connection's limit): do not retry them. */
  get symbolsRejected(): boolean {
    return this.kind === 'refused' && (this.code === ErrorCode.UnknownSymbol || this.code === ErrorCode.TooManySymbols);
  }

  /** The server closed because the access token expired: pass a fresh one (`setToken`) and the client resumes. */
  get tokenExpired(): boolean {
    return this.kind === 'closed' && this.code === CloseCode.TokenExpired;
  }

  /** Name of an ErrorCode ('UnknownSymbol', …) for a refusal; null otherwise. */
  get codeName(): string | null {
    return this.kind === 'refused' && this.code !== null ? (ERROR_NAMES[this.code] ?? null) : null;
  }
}
